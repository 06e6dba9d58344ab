"""Today's rdvs read from RDV Service Public's API, every `pull_minutes`: what webhooks cannot
bring (rdvs booked before the site was connected, messages lost while the bridge was down past
their max age) comes this way, and the day's list is made whole.

`GET {api_url}/api/v1/rdvs?starts_after=...&starts_before=...&page=N`, 100 rdvs a page,
answered `{"rdvs": [...], "meta": {"total_pages": ...}}` (app/controllers/api/v1/
rdvs_controller.rb#index and base_controller.rb#render_collection). Each rdv is read as a
webhook's would be (webhook.parse), and the source's day replaced at once (store.replace_day:
a booked rdv no longer listed is cancelled; a checked-in one keeps its ticket).
"""
from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any
from urllib.parse import urlencode

from ...service.periodic import Periodic
from ..http_read import fetch
from ..model import Appointment
from ..store import MAX_PER_DAY
from . import webhook as w
from .reporter import NoRedirect
from .settings import Settings

log = logging.getLogger(__name__)
PER_PAGE = 100  # RDV-SP's page size (Api::V1::BaseController::PAGINATE_PER)
MAX_PAGES = MAX_PER_DAY // PER_PAGE  # no more than the store takes in a day
MAX_PAGE_BYTES = 4 * 1024 * 1024  # 100 rdvs with their users and agents: a few hundred KB


class PullFailed(Exception):
    """The day's rdvs could not be read: the list is left as it was."""


def fetch_day(settings: Settings, day: date, tz: tzinfo) -> list[dict[str, Any]]:
    if settings.api_url is None:
        raise PullFailed("no api_url")
    start = datetime.combine(day, time(0), tz)
    # the filter is strict (starts_at > starts_after): a second before midnight includes it
    query = {"starts_after": (start - timedelta(seconds=1)).isoformat(),
             "starts_before": (start + timedelta(days=1)).isoformat()}
    rdvs: list[dict[str, Any]] = []
    for page in range(1, MAX_PAGES + 1):
        answer = _get(settings, f"{settings.api_url}/api/v1/rdvs?"
                      + urlencode({**query, "page": page}))
        items, meta = answer.get("rdvs"), answer.get("meta")
        if not isinstance(items, list) or not isinstance(meta, dict):
            raise PullFailed("the answer has no 'rdvs' list and 'meta' object")
        rdvs += [r for r in items if isinstance(r, dict)]
        pages = meta.get("total_pages")
        if not isinstance(pages, int) or page >= pages:
            return rdvs
    raise PullFailed(f"more than {MAX_PAGES} pages of rdvs in a day")


def _get(settings: Settings, url: str) -> dict[str, Any]:
    request = urllib.request.Request(url, headers={
        "Accept": "application/json", "User-Agent": "Suivant", **dict(settings.credentials)})
    try:  # within timeout_seconds in all (a page sent a byte at a time is given up)
        _, body = fetch(request, MAX_PAGE_BYTES, settings.timeout_seconds, NoRedirect)
    except urllib.error.HTTPError as exc:
        exc.close()
        raise PullFailed(f"HTTP {exc.code}") from None
    except (OSError, ValueError) as exc:
        raise PullFailed(f"not reached ({exc})") from None
    if len(body) > MAX_PAGE_BYTES:
        raise PullFailed(f"a page over {MAX_PAGE_BYTES} bytes")
    try:
        answer = json.loads(body)
    except (ValueError, RecursionError):
        raise PullFailed("the answer is not JSON") from None
    if not isinstance(answer, dict):
        raise PullFailed("the answer is not a JSON object")
    return answer


def appointments_of(rdvs: list[dict[str, Any]], settings: Settings, now: datetime) -> list[Appointment]:
    """Today's appointments of this site among `rdvs` (the others, and the malformed, left out)."""
    out: dict[str, Appointment] = {}
    for rdv in rdvs:
        try:
            change = w.parse({"data": rdv, "meta": {"model": "Rdv", "event": "updated"}},
                             settings, now)
        except w.Refused as refused:
            log.warning("RDV Service Public: an rdv of the day left out: %s", refused.message)
            continue
        if isinstance(change, w.Upsert) and change.appointment.at.date() == now.date():
            out[change.appointment.external_id] = change.appointment
    return list(out.values())


class Puller:
    """The pull, in its own thread, at start and then every `settings.pull_minutes`."""

    def __init__(self, store: Any, settings: Settings, clock: Any, tz: tzinfo):
        self.store, self.settings, self.clock, self.tz = store, settings, clock, tz
        self.last: dict[str, Any] = {"at": None, "error": None, "counts": None}
        # PullFailed, ValueError: said in the log and in status(); the next round tries again
        self._rounds = Periodic("rdvsp-pull", self.run_once, settings.pull_minutes * 60,
                                failed="RDV Service Public: the pull failed",
                                expected=(PullFailed, ValueError),
                                join_s=settings.timeout_seconds + 5)

    def run_once(self) -> dict[str, int]:
        now = self.clock.now().astimezone(self.tz)
        try:
            items = appointments_of(fetch_day(self.settings, now.date(), self.tz),
                                    self.settings, now)
            counts = self.store.replace_day(w.SOURCE, now.date(), items)
        except (PullFailed, ValueError) as exc:  # ValueError: the store refused (too many)
            log.warning("RDV Service Public: today's rdvs not read: %s", exc)
            self.last = {"at": now.isoformat(), "error": str(exc), "counts": None}
            raise
        self.last = {"at": now.isoformat(), "error": None, "counts": counts}
        return counts

    def status(self) -> dict[str, Any]:
        return dict(self.last)

    def start(self) -> Puller:
        self._rounds.start()
        return self

    def stop(self) -> None:
        self._rounds.stop()
