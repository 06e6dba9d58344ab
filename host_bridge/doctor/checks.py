"""Every check of a site, run side by side, each in a daemon thread with a bound on its time:
a whole run ends within DEADLINE_S even when every address is dead (a check that has not
answered by then is reported so, and left behind).

    findings = run_all(config_path, url, token, quiet_after_s)
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable

from ..site_config import ConfigError, Settings, load
from . import host_checks, link_checks, store_checks
from .bridge_view import BridgeView, look, with_devices
from .report import Finding, fail, ok

DEADLINE_S = 6.0  # each check's own timeouts are 1 to 2 s: this is the backstop


class _Later:
    """fn() in a daemon thread: a check stuck on a dead address cannot hold doctor."""

    def __init__(self, fn: Callable[[], object]):
        self._done = threading.Event()
        self.value: object = None
        self.error: BaseException | None = None
        threading.Thread(target=self._run, args=(fn,), daemon=True, name="doctor").start()

    def _run(self, fn: Callable[[], object]) -> None:
        try:
            self.value = fn()
        except BaseException as exc:  # reported as the check's failure, never lost
            self.error = exc
        finally:
            self._done.set()

    def wait(self, until: float) -> bool:
        return self._done.wait(max(0.0, until - time.monotonic()))


def _result(later: _Later, until: float, url: str) -> BridgeView:
    if not later.wait(until) or later.error is not None:
        return BridgeView(url, error="no answer in time")
    return later.value  # type: ignore[return-value]


def config(path: str) -> tuple[Settings | None, Finding]:
    try:
        settings = load(path)
    except ConfigError as exc:
        return None, fail("config", str(exc), f"fix the file (suivant check-config {path} says "
                          "the same); the other checks need it")
    site = settings.site
    return settings, ok("config", f"{path}: valid: {site.name}, {len(site.services)} services, "
                        f"{len(site.counters)} counters")


def run_all(path: str, url: str, token: str | None, quiet_after_s: float) -> list[Finding]:
    settings, first = config(path)
    if settings is None:
        return [first]
    until = time.monotonic() + DEADLINE_S
    health = _Later(lambda: look(url))
    full = _Later(lambda: with_devices(_result(health, until, url), token,
                                            settings.site.id))

    def view(later: _Later = health) -> BridgeView:
        return _result(later, until, url)

    checks: list[tuple[str, Callable[[], list[Finding]]]] = [
        ("bridge", lambda: link_checks.bridge(settings, view())),
        ("database", lambda: store_checks.database(settings)),
        ("disk", lambda: store_checks.disk(settings)),
        ("broker", lambda: link_checks.broker(settings, view())),
        ("boards", lambda: link_checks.boards(settings, view(full), quiet_after_s)),
        ("printer", lambda: host_checks.printer(settings)),
        ("clock", lambda: host_checks.clock(settings)),
        ("backup", lambda: host_checks.backup(settings)),
    ]
    running = [(name, _Later(fn)) for name, fn in checks]
    findings = [first]
    for name, later in running:
        if not later.wait(until):
            findings.append(fail(name, f"no answer within {DEADLINE_S:g} s",
                                 "something it needs hangs: run doctor again; if it lasts, "
                                 "check this part by hand"))
        elif later.error is not None:
            findings.append(fail(name, f"the check itself failed: {later.error!r}",
                                 "a fault in doctor: please report it with this line"))
        else:
            findings.extend(later.value)  # type: ignore[arg-type]
    return findings
