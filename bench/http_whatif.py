"""What-if: the same load as bench.http_latency against variants of the bridge's HTTP wiring.

    python -m bench.http_whatif                          # every variant, 1 and 8 clients
    python -m bench.http_whatif --variant base --variant async-deps --rounds 3

An experiment, not the product: the bridge `host_bridge.bootstrap.build` makes (same service,
store, auth, error handlers), with the routes the load uses declared again in this file, so the
figures say what a change in host_bridge/api would be worth.

  base          the bridge as `suivant serve` runs it
  async-deps    get_service, get_user and idempotency_key as `async def` (same bodies).
                FastAPI runs every plain `def` dependency in the thread pool, so the bridge
                hops to a worker thread 2-3 times per request before the endpoint's own hop
  no-resp-model async-deps, and the POST routes with response_model=None: the `-> dict`
                annotation otherwise makes FastAPI validate each answer against a dict model
                (in one more thread-pool hop for a sync endpoint), then run jsonable_encoder
  on-loop       no-resp-model, and the endpoints `async def` calling the same code: no thread
                hop at all, but the event loop waits for each commit's fsync (an upper bound,
                with a cost for the live event stream while a commit is in flight)

Variants run in rounds (base, async-deps, …, base, …) so slow drift of the machine's load hits
them alike.
"""
from __future__ import annotations

import argparse
import dataclasses
import functools
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Annotated  # the overrides' annotations are resolved in this module

from fastapi import Depends, FastAPI, Header, HTTPException, Request

from host_bridge.api import deps, errors, health
from host_bridge.api import services as services_api
from host_bridge.api.auth import may_act_at_counter
from host_bridge.api.schemas import CounterNumber, IssueTicketBody
from host_bridge.api.tickets import PUBLIC
from host_bridge.domain import commands as c
from host_bridge.service.queue_service import QueueService, new_ticket_id
from host_bridge.site_config import User

from ._common import machine_lines, wait_for_quiet

VARIANTS = ("base", "async-deps", "no-resp-model", "on-loop")


# ----- the server side (runs in the subprocess) ----------------------------------------------
# The variants' POST routes are declared here again, with the bodies of host_bridge/api/tickets.py
# and counters.py. (app.dependency_overrides would be simpler but is no measure: with any
# override, FastAPI rebuilds every dependency's Dependant on every request.)
async def get_service(request: Request) -> QueueService:
    return request.app.state.service


async def get_user(request: Request, authorization: Annotated[str | None, Header()] = None) -> User:
    return request.app.state.auth.user_for(authorization)


async def idempotency_key(idempotency_key: Annotated[str | None, Header()] = None) -> str | None:
    if idempotency_key is not None and not deps._KEY.match(idempotency_key):
        raise HTTPException(422, "Idempotency-Key: 1 to 100 printable ASCII characters, no spaces")
    return idempotency_key


AsyncService = Annotated[QueueService, Depends(get_service)]
AsyncStaff = Annotated[User, Depends(get_user)]
AsyncKey = Annotated[str | None, Depends(idempotency_key)]


def issue(body: IssueTicketBody, service: AsyncService, key: AsyncKey) -> dict:
    return service.execute(c.IssueTicket(body.service, new_ticket_id(), body.category), PUBLIC, key)


def counter_action(command_type):
    def act(number: CounterNumber, service: AsyncService, user: AsyncStaff, key: AsyncKey) -> dict:
        may_act_at_counter(user, number)
        return service.execute(command_type(number), f"user:{user.name}", key)
    return act


def on_loop(endpoint):
    @functools.wraps(endpoint)  # FastAPI reads the signature through __wrapped__
    async def wrapper(*args, **kwargs):
        return endpoint(*args, **kwargs)
    return wrapper


def variant_app(bridge, variant: str) -> FastAPI:
    if variant == "base":
        return bridge.app
    app = FastAPI()
    app.state.service, app.state.auth = bridge.app.state.service, bridge.app.state.auth
    errors.install(app)
    extra = {} if variant == "async-deps" else {"response_model": None}
    wrap = on_loop if variant == "on-loop" else (lambda f: f)
    app.add_api_route("/api/tickets", wrap(issue), methods=["POST"], status_code=201, **extra)
    for name, command_type in (("next", c.CallNext), ("open", c.OpenCounter)):
        app.add_api_route(f"/api/counters/{{number}}/{name}", wrap(counter_action(command_type)),
                          methods=["POST"], **extra)
    app.include_router(health.router)
    app.include_router(services_api.router)
    return app


def serve(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.http_whatif --serve")
    p.add_argument("variant", choices=VARIANTS)
    p.add_argument("--config", required=True)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--db", required=True)
    args = p.parse_args(argv)
    import uvicorn

    from host_bridge.bootstrap import build
    from host_bridge.site_config import load

    bridge = build(dataclasses.replace(load(args.config), db_path=args.db))
    app = variant_app(bridge, args.variant)
    try:
        uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
    finally:
        bridge.close()
    return 0


# ----- the measuring side --------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--serve"]:
        return serve(argv[1:])
    from .http_latency import Server, measure, print_table

    p = argparse.ArgumentParser(prog="python -m bench.http_whatif", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--variant", choices=VARIANTS, action="append", help="default: all")
    p.add_argument("--requests", type=int, default=2000, help="requests per phase")
    p.add_argument("--clients", type=int, action="append", help="default: 1 and 8")
    p.add_argument("--rounds", type=int, default=1, help="rounds over the variants")
    p.add_argument("--block", type=int, default=200, help="as in bench.http_latency")
    p.add_argument("--quiet-wait", type=float, default=0, metavar="SECONDS",
                   help="before each variant, wait up to this long for other work to stop")
    p.add_argument("--sync", choices=("FULL", "NORMAL"), default="FULL")
    p.add_argument("--seed", type=int, default=2026)
    args = p.parse_args(argv)
    variants = args.variant or list(VARIANTS)
    clients = args.clients or [1, 8]

    top = tempfile.mkdtemp(prefix="suivant-whatif-")
    try:
        print("\n".join(machine_lines(top, args.sync)))
        print("clients:  processes, one httpx.Client each (keep-alive)\n")
        for round_no in range(1, args.rounds + 1):
            for variant in variants:
                directory = Path(top, f"{variant}-{round_no}")
                directory.mkdir()
                server = Server(args.sync, str(directory),
                                serve=["-m", "bench.http_whatif", "--serve", variant])
                try:
                    server.wait_ready()
                    if args.quiet_wait:
                        print(wait_for_quiet(args.quiet_wait))
                    phases = measure(server, clients, args.requests, args.block, "process", 100,
                                     args.seed)
                finally:
                    server.stop()
                print(f"== {variant} (round {round_no})")
                print_table(phases)
                print()
    finally:
        shutil.rmtree(top, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
