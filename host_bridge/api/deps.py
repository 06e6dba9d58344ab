"""FastAPI dependencies: the service, the caller (and its named accounts), and the request's
idempotency key."""
from __future__ import annotations

import json
import re
import threading
from typing import Annotated, Any

from fastapi import Depends, Header, Request
from fastapi.responses import JSONResponse

from ..service.queue_service import QueueService
from ..site_config import User
from ..staff import StaffDirectory, staff_path
from ..staff.audit import ACTING

# At least 16 characters: a public key is shared by every citizen's client, so a short,
# guessable one could fetch someone else's ticket answer (and its id). Use a UUID.
_KEY = re.compile(r"^[\x21-\x7e]{16,100}$")


# Dependencies are `async def` on purpose: they do no I/O, and FastAPI would otherwise run
# each one in its thread pool, a hop per dependency per request (see docs/performance.md).
async def get_service(request: Request) -> QueueService:
    return request.app.state.service


async def get_user(request: Request, authorization: Annotated[str | None, Header()] = None) -> User:
    # A config token is found in memory. A named account's session is one indexed read of the
    # staff file (and a write at most once a minute, without fsync): tens of microseconds on
    # the loop, less than the thread pool's hop every other request would then pay.
    auth = request.app.state.auth
    if auth.staff is None:
        staff_of(request.app)
    user = auth.user_for(authorization)
    # who acts, for the audit log: the route's worker thread inherits this request's context,
    # and the queue's events committed there are recorded as this person's (staff/audit.py)
    ACTING.set(user)
    return user


_attaching = threading.Lock()


def staff_of(app: Any, passwords: Any = None) -> StaffDirectory:
    """The app's named accounts, opened on first use beside the queue's file (the app factory
    knows nothing of them: this is the one place that wires them). `passwords`: a cheaper
    hasher, for tests that open it before any request."""
    auth = app.state.auth
    with _attaching:
        if auth.staff is None:
            service = app.state.service
            staff = StaffDirectory(
                staff_path(service.store.path), service.clock, service.tz,
                lambda: frozenset(k.number for k in service.site.counters),
                passwords=passwords, reserved=frozenset(u.name for u in auth.users))
            service.bus.listen(staff.audit.on_events)
            auth.staff = staff
    return auth.staff


async def idempotency_key(idempotency_key: Annotated[str | None, Header(
        min_length=16, max_length=100, pattern=_KEY.pattern,
        description="Retry-safe request id (16 to 100 printable ASCII characters, no spaces; "
                    "a UUID fits): a repeat returns the first answer and is applied once")] = None
                    ) -> str | None:
    return idempotency_key


Service = Annotated[QueueService, Depends(get_service)]
Staff = Annotated[User, Depends(get_user)]
IdempotencyKey = Annotated[str | None, Depends(idempotency_key)]


# the bytes JSONResponse renders (FastAPI's default response), from one encoder made once
_encode = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode


class Answer(JSONResponse):
    """A command's answer sent as it is: the service's answers are plain JSON values (str,
    int, None, lists and dicts: views.py makes them, a replay reads them back from JSON), so
    the route returns this instead of the dict, and FastAPI skips its jsonable_encoder walk
    of it (about 28 µs a request, for a copy equal to the dict)."""

    def render(self, content: Any) -> bytes:
        return _encode(content).encode("utf-8")
