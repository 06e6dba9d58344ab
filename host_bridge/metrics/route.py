"""GET /metrics in Prometheus's text format. Without a token: the public part, what the hall
screen shows anyway. With a supervisor's or administrator's token (Prometheus's
`authorization: credentials_file:`): the staff part too: the boards, the refusals, the command
times. A wrong token is refused (401), not answered with less: a misconfigured scrape then
shows as `up == 0` instead of silently losing the boards' alerts."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from ..api.auth import Forbidden
from ..api.deps import staff_of

router = APIRouter(tags=["health"])
STAFF_ROLES = ("supervisor", "admin")


@router.get("/metrics", summary="Prometheus metrics: the queue for anyone; with a supervisor's "
                                "or administrator's token the boards, refusals and timings too",
            response_class=Response,
            responses={200: {"content": {CONTENT_TYPE_LATEST: {}}}})
def metrics(request: Request, authorization: Annotated[str | None, Header()] = None) -> Response:
    app = request.app
    registries = app.state.metrics
    body = generate_latest(registries.public)
    if authorization is not None:
        if app.state.auth.staff is None:
            staff_of(app)
        user = app.state.auth.user_for(authorization)  # Unauthorized: 401
        if user.role not in STAFF_ROLES:
            raise Forbidden(f"role {user.role!r} cannot read the staff metrics: use a "
                            "supervisor's or administrator's token")
        body += generate_latest(registries.staff)
    return Response(body, media_type=CONTENT_TYPE_LATEST)
