"""Central's HTTP application: the network's pages (/central/) and their API (/api/central/),
issue 14. The NATS side runs beside it (runner.py); both read and write the same PostgreSQL.

Every route but health and sign-in takes a central account's session as a Bearer token
(accounts.py); a `region` account sees only its region's sites, in every answer.
"""
from __future__ import annotations

import asyncio
import queue
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Annotated, Any

from psycopg import OperationalError
from fastapi import Depends, FastAPI, Header, Query, Request, Response
from fastapi import Path as PathParam
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, Field

from ..api.auth import Unauthorized
from ..api.errors import install as install_errors
from ..api.errors import responses
from ..site_versions import running_version
from ..api.indicators import check_period
from ..api.limits import InputLimits, Limits
from ..api.limits import configure as configure_limits
from ..staff.directory import SignInRefused
from . import accounts, views
from .config import CentralConfig

WEB = Path(__file__).parent / "web"
SITE_STATIC = Path(__file__).parent.parent / "web" / "static"  # the site's CSS, read-only
POOL = 8  # PostgreSQL connections kept for the pages (each request takes one a moment)


class Connections:
    """A few psycopg connections reused by the requests' threads (no pool package needed);
    a connection left broken or inside a transaction is dropped, not given back."""

    def __init__(self, dsn: str, size: int = POOL):
        self.dsn = dsn
        self.idle: queue.LifoQueue[Any] = queue.LifoQueue(size)

    @contextmanager
    def __call__(self) -> Iterator[Any]:
        import psycopg
        conn = None
        while conn is None:
            try:
                conn = self.idle.get_nowait()
            except queue.Empty:
                conn = psycopg.connect(self.dsn, autocommit=True, connect_timeout=5)
            if conn.closed or conn.broken:
                conn = None
        try:
            yield conn
        finally:  # a refusal raised meanwhile leaves it idle: kept; a broken one is not
            if conn.closed or conn.info.transaction_status != 0:
                conn.close()
            else:
                try:
                    self.idle.put_nowait(conn)
                except queue.Full:
                    conn.close()

    def close(self) -> None:
        while True:
            try:
                self.idle.get_nowait().close()
            except queue.Empty:
                return


async def _prepare_schema(config: CentralConfig) -> None:
    """Central's tables and sites, when no runner did it in this process (db.py's migrate)."""
    import psycopg

    from . import db
    async with await psycopg.AsyncConnection.connect(config.postgres, autocommit=True) as conn:
        await db.migrate(conn)
        await db.sync_sites(conn, config.sites)


class SignIn(BaseModel):
    login: str = Field(max_length=100)
    password: str = Field(max_length=1000, description="never logged, never sent back")


Site = Annotated[str | None, Query(max_length=40, pattern=r"^[a-z0-9][a-z0-9-]*$",
                                   description="one site's id")]
Region = Annotated[str | None, Query(min_length=1, max_length=80, description="a region")]
From = Annotated[date, Query(alias="from", description="first business day (YYYY-MM-DD)")]
To = Annotated[date, Query(alias="to", description="last business day, included")]


class ScopeRefused(ValueError):
    pass


def _one_scope(site: str | None, region: str | None) -> None:
    if site is not None and region is not None:
        raise ScopeRefused("ask for a site or a region, not both")


class _Sessions:
    """The input limits' view of who is signed in (api/limits.py asks `user_for`)."""

    def __init__(self, people: accounts.CentralAccounts):
        self.people = people

    def user_for(self, authorization: str) -> accounts.CentralUser:
        found = self.people.user_for_token(authorization[7:].strip()) \
            if authorization.startswith("Bearer ") else None
        if found is None:
            raise Unauthorized("unknown session")
        return found


def _signed_in(request: Request,
               authorization: Annotated[str | None, Header()] = None) -> accounts.CentralUser:
    if not authorization or not authorization.startswith("Bearer "):
        raise Unauthorized("send 'Authorization: Bearer <token>' (POST /api/central/sign-in "
                           "gives one)")
    found = request.app.state.accounts.user_for_token(authorization[7:].strip())
    if found is None:
        raise Unauthorized("unknown token, or a session that has ended: sign in again")
    return found


User = Annotated[accounts.CentralUser, Depends(_signed_in)]


def create_app(config: CentralConfig, runner: Any = None, prepare: bool = True) -> FastAPI:
    """`prepare`: make central's tables (when no runner made them) and the accounts' tables."""
    app = FastAPI(title="Suivant central", version=running_version(), docs_url=None, redoc_url=None,
                  description=f"The network {config.name}: every site's state and figures.")
    app.state.config = config
    app.state.runner = runner
    connect = Connections(config.postgres)
    people = accounts.CentralAccounts(connect)
    app.state.connections, app.state.accounts = connect, people
    if prepare:
        if runner is None:
            asyncio.run(_prepare_schema(config))
        with connect() as conn:
            accounts.migrate(conn)
    install_errors(app)
    # the site's input limits (api/limits.py): bodies capped and timed, and writes without a
    # session (sign-in) limited per address: 20 at once, then 20 a minute
    app.state.auth = _Sessions(people)
    configure_limits(app.state, Limits())
    app.add_middleware(InputLimits, state=app.state)

    @app.exception_handler(views.Unknown)
    async def unknown(_: Request, exc: views.Unknown):
        return JSONResponse({"error": f"unknown_{exc.what}", "message": str(exc),
                             exc.what: exc.name}, 404)

    @app.exception_handler(ScopeRefused)
    async def bad_scope(_: Request, exc: ScopeRefused):
        return JSONResponse({"error": "invalid_scope", "message": str(exc)}, 422)

    @app.exception_handler(OperationalError)
    async def database_down(_: Request, exc: Exception):
        return JSONResponse({"error": "database_unavailable",
                             "message": "central's PostgreSQL does not answer: try again in a "
                                        "moment"}, 503, headers={"Retry-After": "10"})

    @app.exception_handler(SignInRefused)
    async def refused(_: Request, exc: SignInRefused):
        body: dict[str, Any] = {"error": exc.code, "message": str(exc)}
        headers = {}
        if exc.retry_after:
            body["retry_after"] = exc.retry_after
            headers["Retry-After"] = str(exc.retry_after)
        return JSONResponse(body, exc.status, headers=headers)

    refusals = responses(401, 403, 404, 422)

    @app.get("/api/central/health", tags=["health"],
             summary="Central is up; what its ingest has done since it started")
    def health() -> dict[str, Any]:
        counts = runner.counts if runner is not None else None
        return {"status": "ok", "network": config.name, "sites": len(config.sites),
                "ingest": None if counts is None else vars(counts)}

    # ----- accounts -------------------------------------------------------------------------
    @app.post("/api/central/sign-in", tags=["accounts"], responses=responses(401, 403, 422, 429),
              summary="Sign in with a central account: a session token (Bearer)")
    def sign_in(body: SignIn, request: Request):
        address = request.client.host if request.client else None
        token, account, expires = people.sign_in(body.login, body.password, address)
        return {"token": token, "account": account.public(),
                "expires": datetime.fromtimestamp(expires, timezone.utc).isoformat()}

    @app.post("/api/central/sign-out", tags=["accounts"], responses=responses(401),
              summary="End this session")
    def sign_out(me: User):
        people.sign_out(me)
        return {"signed_out": True}

    @app.get("/api/central/me", tags=["accounts"], responses=responses(401),
             summary="Who this session is, and the regions it sees")
    def whoami(me: User):
        with connect() as conn:
            regions = views.regions_seen(me, views.listed_sites(conn))
        return {**me.public(), "regions": regions, "network": config.name}

    # ----- sites and figures ----------------------------------------------------------------
    @app.get("/api/central/sites", tags=["sites"], responses=refusals,
             summary="Every site the account sees: connected or not, last seen, lag, open "
                     "counters, waiting now, today's figures, refused messages")
    def sites(me: User, region: Region = None):
        with connect() as conn:
            return views.sites_list(conn, me, region)

    @app.get("/api/central/sites/{site}", tags=["sites"], responses=refusals,
             summary="One site now: its row of the list, and each service's people waiting")
    def one_site(me: User, site: Annotated[str, PathParam(max_length=40,
                                                          pattern=r"^[a-z0-9][a-z0-9-]*$")]):
        with connect() as conn:
            return views.site_now(conn, me, site)

    @app.get("/api/central/indicators", tags=["indicators"], responses=refusals,
             summary="Indicators over business days from..to for a site, a region or every "
                     "site the account sees (the site's definitions; each ticket against its "
                     "own service's target)")
    def indicators(me: User, first: From, last: To, site: Site = None, region: Region = None):
        check_period(first, last)
        _one_scope(site, region)
        with connect() as conn:
            return views.scope_indicators(conn, views.scope(conn, me, site, region),
                                          first, last)

    @app.get("/api/central/indicators.csv", tags=["indicators"], response_class=Response,
             responses={**refusals, 200: {"content": {"text/csv": {}}}},
             summary="The site's CSV for every site of the scope, site and region first "
                     "(semicolons, decimal commas, UTF-8 with BOM)")
    def indicators_csv(me: User, first: From, last: To, site: Site = None,
                       region: Region = None) -> Response:
        check_period(first, last)
        _one_scope(site, region)
        with connect() as conn:
            s = views.scope(conn, me, site, region)
            text = views.scope_csv(conn, s, first, last)
        name = s.name or "reseau"
        return Response(text, media_type="text/csv; charset=utf-8", headers={
            "Content-Disposition": f'attachment; filename="indicateurs-{_ascii(name)}-'
                                   f'{first}-{last}.csv"'})

    @app.get("/api/central/annual", tags=["indicators"], responses=refusals,
             summary="The Services Publics+ yearly summary per site and for the scope")
    def annual(me: User, year: Annotated[int, Query(ge=2000, le=2100)], site: Site = None,
               region: Region = None):
        _one_scope(site, region)
        with connect() as conn:
            return views.scope_annual(conn, views.scope(conn, me, site, region), year)

    # ----- pages ----------------------------------------------------------------------------
    def page(name: str):
        def serve() -> FileResponse:
            return FileResponse(WEB / f"{name}.html", headers={"Cache-Control": "no-cache"})
        return serve

    app.add_api_route("/central/", page("sites"), methods=["GET"], include_in_schema=False)
    app.add_api_route("/central/site", page("figures"), methods=["GET"], include_in_schema=False)
    app.add_api_route("/central/indicateurs", page("figures"), methods=["GET"],
                      include_in_schema=False)

    @app.get("/", include_in_schema=False)
    @app.get("/central", include_in_schema=False)
    def home() -> RedirectResponse:
        return RedirectResponse("/central/")

    app.mount("/central/static", StaticFiles(directory=WEB), name="central-static")
    app.mount("/static", StaticFiles(directory=SITE_STATIC), name="static")
    return app


def _ascii(text: str) -> str:
    """A file name any browser keeps: letters, digits and dashes."""
    import unicodedata
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(c if c.isalnum() else "-" for c in plain).strip("-").lower()[:60] or "scope"
