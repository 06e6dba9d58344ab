"""/api/site is public: a service's appointment rules are there (the kiosk says from when an
early appointment is called), where its appointments come from is not (an iCal URL often holds
a private token; found in review)."""
from __future__ import annotations

import dataclasses

from host_bridge.domain.site import AppointmentRules
from host_bridge.service.views import site_view
from host_bridge.site_config import load
from support import EXAMPLE


def test_the_public_site_view_has_the_rules_but_not_the_calendars_address():
    site = load(EXAMPLE).site
    secret = "https://rdv.example.fr/export.ics?token=s3cr3t"
    services = tuple(dataclasses.replace(s, appointments=AppointmentRules(ical=secret))
                     if s.appointments else s for s in site.services)
    view = site_view(dataclasses.replace(site, services=services))
    assert "s3cr3t" not in repr(view)
    rules = next(s for s in view["services"] if s["id"] == "passeports-cni")["appointments"]
    assert rules["callable_before_minutes"] == 5 and "ical" not in rules
    assert services[2].appointments.ical == secret  # the site itself keeps it
