"""Where the latest rollout is, for people: `/api/devices`, `suivant device list`, the
administration page."""
from __future__ import annotations

from typing import Any

from .store import UpdateStore


def rollout_view(store: UpdateStore) -> tuple[dict[str, Any] | None, dict[str, dict[str, Any]]]:
    """(the latest rollout, or None; each of its boards by id: build, step, state, detail,
    the build it runs)."""
    rollout = store.latest_rollout()
    if rollout is None:
        return None, {}
    targets = store.targets(rollout.id)
    boards = {t.device: {"build": t.build, "step": t.step, "state": t.state,
                         "detail": t.detail, "running": t.running, "updated_at": t.updated_at}
              for t in targets}
    counts: dict[str, int] = {}
    for t in targets:
        counts[t.state] = counts.get(t.state, 0) + 1
    return {"id": rollout.id, "created_at": rollout.created_at, "state": rollout.state,
            "reason": rollout.reason, "wave": rollout.wave, "confirm_s": rollout.confirm_s,
            "boards": len(targets), "by_state": counts}, boards
