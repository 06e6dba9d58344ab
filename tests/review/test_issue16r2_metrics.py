"""Review of issue 16's /metrics (host_bridge/metrics/) and its alert rules
(examples/prometheus/suivant-alerts.yml), as a hostile tester."""
from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from support import ADMIN

PASSPORTS = (("service", "passeports-cni"),)  # target_wait_minutes = 15 in examples/mairie.toml


def _scrape(client) -> dict:
    r = client.get("/metrics")
    assert r.status_code == 200, r.text
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(r.text) for s in family.samples}


def test_an_appointment_checked_in_early_is_not_a_wait_past_the_service_s_target(client, clock):
    """Bug: QueueCollector's suivant_longest_wait_seconds is now - the earliest issued_at of
    the service's waiting tickets, appointments included. A citizen checked in at 10:00 for a
    10:45 appointment is not callable before 10:40 (callable_before_minutes = 5; the queue
    orders it by appointment_at, tickets.py), yet at 10:20, with nobody else waiting, the gauge
    says 20 minutes against the 15-minute target, and SuivantServicePastTarget fires ("Open
    another counter for it") though nobody is late; every early arrival raises it. The site's
    own indicators measure an appointment by punctuality (first call - appointment time), not
    as a wait (domain/indicators.py). Should count an appointment's wait from when it became
    callable (or leave it out)."""
    r = client.post("/api/appointments", headers=ADMIN, json={
        "service": "passeports-cni", "id": "rdv-1045", "at": "10:45", "code": "K7Q2M9"})
    assert r.status_code == 201, r.text
    r = client.post("/api/appointments/check-in", json={"key": "K7Q2M9"})
    assert r.status_code == 201, r.text
    clock.advance(20 * 60)  # 10:20, 25 minutes before the appointment
    m = _scrape(client)
    assert m[("suivant_tickets_waiting", PASSPORTS)] == 1
    assert m[("suivant_longest_wait_seconds", PASSPORTS)] <= \
        m[("suivant_wait_target_seconds", PASSPORTS)]
    assert m[("suivant_longest_wait_seconds", PASSPORTS)] == 0  # not callable before 10:40
    clock.advance(38 * 60)  # 10:58: callable since 10:40, still not called: it does wait
    assert _scrape(client)[("suivant_longest_wait_seconds", PASSPORTS)] == 18 * 60
