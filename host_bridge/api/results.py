"""The site's results for the reception area (Services Publics+ asks sites to display them):
the last 30 days' figures as the supervisor reads them, for the hall screen, which has no
token. No per-counter or per-hour figure; worked out at most once every 5 minutes (a report
reads a month of history: anyone could ask, so nobody's asking costs more than that)."""
from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Request, Response

from .deps import Service
from .indicators import indicators_view

router = APIRouter(prefix="/api/results", tags=["indicators"])
DAYS = 30
FRESH_S = 300.0

_lock = threading.Lock()


@router.get("", summary="The last 30 days' results, for the hall screen (public: no per-counter "
                        "or per-hour figure)")
def results(service: Service, request: Request, response: Response) -> dict[str, Any]:
    response.headers["Cache-Control"] = "public, max-age=60"
    now = service.clock.now().astimezone(service.tz)
    last = now.date()
    first = last - timedelta(days=DAYS - 1)
    state = request.app.state
    with _lock:  # one computation at a time; the others get its result
        kept = getattr(state, "public_results", None)
        if kept is not None and kept[0] == last and \
                timedelta(0) <= now - kept[1] < timedelta(seconds=FRESH_S):
            return kept[2]
        view = indicators_view(service.indicators(first, last), first, last)
        view.pop("per_hour", None)
        view.pop("counters", None)
        state.public_results = (last, now, view)
        return view
