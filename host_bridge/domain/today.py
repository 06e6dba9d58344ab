"""Today so far, for the supervisor's live alert and charts (`/api/indicators/today`): worked out
from a copy of today's tickets, outside the queue's lock."""
from __future__ import annotations

from datetime import datetime, timedelta, tzinfo
from typing import Any

from .elapsed import minutes
from .site import Site
from .tickets import TicketStatus

# Waits against the target, in shares of each ticket's own service target so that services with
# different targets add up: up to half the target, half to the target, then past it.
WAIT_BUCKETS = (0.5, 1.0, 1.5, 2.0)  # the last bucket is "over twice the target"
STEP_MINUTES = 10  # the waiting-over-the-day curve: one point every 10 minutes


def today_figures(site: Site, tz: tzinfo, now: datetime | None,
                  tickets: list[tuple]) -> dict[str, Any]:
    """From today's tickets as (service, issued, called, finished, status), copied under the
    queue's lock: each service's longest current wait against its target, people waiting over
    the day, the waits in shares of their target, tickets per hour (site time)."""
    target = {s.id: s.target_wait_minutes for s in site.services}
    oldest: dict[str, Any] = {}
    waiting = {s.id: 0 for s in site.services}
    changes: list[tuple[Any, int]] = []  # +1 when a ticket starts waiting, -1 when it stops
    buckets = [0] * (len(WAIT_BUCKETS) + 1)
    per_hour = [0] * 24
    for sid, issued, called, finished, status in tickets:
        per_hour[issued.astimezone(tz).hour] += 1
        changes.append((issued, 1))
        if status is TicketStatus.WAITING:
            waiting[sid] = waiting.get(sid, 0) + 1
            if sid not in oldest or issued < oldest[sid]:
                oldest[sid] = issued
            continue
        end = called or finished
        if end is not None:
            changes.append((end, -1))
        if called is not None and sid in target:
            share = minutes(issued, called) / target[sid]
            buckets[sum(share > b for b in WAIT_BUCKETS)] += 1
    services = {}
    for s in site.services:
        since = oldest.get(s.id)
        longest = None if since is None or now is None else round(minutes(since, now), 1)
        services[s.id] = {"waiting": waiting[s.id], "target_minutes": s.target_wait_minutes,
                          "oldest_since": since.isoformat() if since else None,
                          "longest_wait_minutes": longest,
                          "late": longest is not None and longest > s.target_wait_minutes}
    return {"now": now.isoformat() if now else None, "services": services,
            "waiting_over_day": _curve(changes, now, tz), "per_hour": per_hour,
            "waits": {"buckets": buckets, "bounds": list(WAIT_BUCKETS), "called": sum(buckets),
                      "within_target": buckets[0] + buckets[1]}}


def _curve(changes: list[tuple[Any, int]], now: Any, tz: Any) -> list[dict[str, Any]]:
    """Every 10 minutes (site time) from the first ticket's to now: people waiting at the mark,
    and the most waiting at once in the 10 minutes that follow (a short rush is not missed)."""
    if not changes or now is None:
        return []
    changes.sort(key=lambda c: c[0])
    first = changes[0][0].astimezone(tz)
    mark = first.replace(minute=first.minute - first.minute % STEP_MINUTES, second=0, microsecond=0)
    now = now.astimezone(tz)
    points, count, i = [], 0, 0
    while i < len(changes) and changes[i][0] <= mark:
        count += changes[i][1]
        i += 1
    while len(points) <= 24 * 60 // STEP_MINUTES:
        at, peak = count, count
        end = min(mark + timedelta(minutes=STEP_MINUTES), now)
        while i < len(changes) and changes[i][0] <= end:
            count += changes[i][1]
            peak = max(peak, count)
            i += 1
        points.append({"at": mark.strftime("%H:%M"), "waiting": at, "peak": peak})
        if end >= now:
            break
        mark = end
    return points
