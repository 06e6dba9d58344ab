"""Outcomes told back to RDV Service Public: `seen` or `noshow`, through its API.

`PATCH {api_url}/api/v1/rdvs/{rdv id}/update_status` with `{"status": ...}`, authenticated as
an agent (betagouv/rdv-service-public: config/routes/api.rb, app/controllers/api/v1/
rdvs_controller.rb#update_status, agent_auth_base_controller.rb): an OAuth bearer token
(`Authorization: Bearer ...`), or on RDV Solidarités' historical instance the deprecated
`access-token` / `client` / `uid` headers. The headers come from the credentials file.

Blocking (urllib, bounded by the timeout, the whole answer's read too): called from the outcome reporter's own thread,
never a request's. False on any failure, so that caller retries (a bounded number of times).
"""
from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request

from ..http_read import fetch
from ..model import OUTCOMES, Appointment, Status
from .settings import Settings
from .webhook import SOURCE

log = logging.getLogger(__name__)
MAX_ANSWER = 64 * 1024  # what is read of an answer (its status is what matters)


class Reporter:
    """H1's `Reporter` protocol for the "rdv-service-public" source."""

    source = SOURCE

    def __init__(self, settings: Settings):
        if settings.api_url is None:
            raise ValueError("no api_url: RDV Service Public's outcomes cannot be reported")
        self.settings = settings

    def report(self, appointment: Appointment, status: Status) -> bool:
        if appointment.source != SOURCE:
            raise ValueError(f"not an RDV Service Public appointment: {appointment.source!r}")
        if status not in OUTCOMES:
            raise ValueError(f"only seen or noshow are reported, not {status!r}")
        request = urllib.request.Request(
            f"{self.settings.api_url}/api/v1/rdvs/{appointment.external_id}/update_status",
            data=json.dumps({"status": status.value}).encode(), method="PATCH",
            headers={"Content-Type": "application/json", "Accept": "application/json",
                     "User-Agent": "Suivant", **dict(self.settings.credentials)})
        try:  # no redirects followed: the token would go wherever a redirect points
            status, _ = fetch(request, MAX_ANSWER, self.settings.timeout_seconds, NoRedirect)
            return 200 <= status < 300
        except urllib.error.HTTPError as exc:
            # 401/403: the token expired or lacks the right; 404: the rdv was deleted; 422:
            # RDV-SP refused the status. Said once per attempt, without the token.
            log.warning("RDV Service Public refused the outcome %s of the rdv %s: HTTP %s",
                        status.value, appointment.logged_as, exc.code)
            exc.close()
        except (OSError, ValueError) as exc:  # refused, unreachable, timed out, bad answer
            log.warning("RDV Service Public not reached for the outcome of the rdv %s: %s",
                        appointment.logged_as, exc)
        return False


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):  # noqa: ANN001
        return None  # the 3xx comes back as an HTTPError: a failure, retried later
