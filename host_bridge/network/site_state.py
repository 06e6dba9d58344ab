"""What a site tells central about itself every few seconds (wire.encode_state): who it is and
what its services' targets are (central's indicators need them, with the same definitions as
the site's), and how it is now (open counters, people waiting). Read under the queue's lock."""
from __future__ import annotations

from typing import Any

from ..domain.queue import QueueState
from ..domain.tickets import CounterStatus


def site_state(state: QueueState) -> dict[str, Any]:
    site = state.site
    return {
        "site_info": {"name": site.name, "timezone": site.timezone,
                      "services": [{"id": s.id, "name": s.name, "letter": s.letter,
                                    "target_wait_minutes": s.target_wait_minutes}
                                   for s in site.services]},
        "now": {"day": state.day.isoformat() if state.day else None,
                "open_counters": sum(1 for k in state.counters.values()
                                     if k.status is CounterStatus.OPEN),
                "waiting": {sid: len(state.waiting[sid]) + len(state.priority_waiting[sid])
                            for sid in state.waiting}},
    }
