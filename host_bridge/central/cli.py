"""`suivant central …`: the network's central service (docs/network.md, operations.md).

    suivant central serve --config central.toml          the ingest, the answers, the pages
    suivant central nats-config --config central.toml --out /etc/suivant/nats
    suivant central check-config central.toml
    suivant central account add|list|…   central's staff accounts (cli_accounts.py)
    suivant central publish-config …     a site's file published for it (cli_site_files.py)
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path


from .cli_errors import CentralCliError  # noqa: F401  (host_bridge/cli.py catches it here)


def cmd_check(args: argparse.Namespace) -> int:
    from .config import load
    config = load(args.file)
    regions = sorted({s.region for s in config.sites if s.region})
    print(f"{args.file}: valid — {config.name}: {len(config.sites)} sites"
          f"{', regions: ' + ', '.join(regions) if regions else ''}")
    return 0


def cmd_nats_config(args: argparse.Namespace) -> int:
    from . import nats_config
    from .config import load
    config = load(args.config)
    if (args.tls_cert is None) != (args.tls_key is None):
        raise CentralCliError("--tls-cert and --tls-key go together")
    for f in (args.tls_cert, args.tls_key):
        if f is not None and not Path(f).is_file():
            raise CentralCliError(f"no file {f}")
    path = nats_config.write(config, Path(args.out), args.host, args.port,
                             Path(args.store) if args.store else None, rotate=args.rotate,
                             tls_cert=args.tls_cert and Path(args.tls_cert),
                             tls_key=args.tls_key and Path(args.tls_key))
    print(f"wrote {path}: central's user and {len(config.sites)} site users, each allowed only "
          f"its own subjects; run it with: nats-server -c {path}")
    print(f"each site's password is in {config.secrets}/<site id>.password: give it to the "
          f"site's IT, who puts it in [network] password_file")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from .app import create_app
    from .config import load
    from .runner import CentralRunner
    config = load(args.config)
    host = args.host or config.listen_host
    port = args.port or config.listen_port
    runner = CentralRunner(config)
    try:
        runner.start()
    except Exception as e:  # noqa: BLE001 - said plainly: NATS or PostgreSQL unreachable
        raise CentralCliError(f"central cannot start: {type(e).__name__}: {e}") from None
    try:
        print(f"Suivant central for {config.name}: http://{host}:{port}/central/  "
              f"({len(config.sites)} sites; NATS {', '.join(config.nats_urls)})", flush=True)
        from ..api.limits import server_options  # connections and request heads bounded
        app = create_app(config, runner)
        uvicorn.run(app, host=host, port=port, log_level="warning",
                    **server_options(app.state.limits))
    finally:
        runner.stop()
    return 0


def add_parsers(sub: argparse._SubParsersAction) -> None:
    from ..arg_types import bounded
    port = bounded(int, 1, 65535, "port", "a port number")
    p = sub.add_parser("central", help="the network's central service (NATS JetStream → "
                                       "PostgreSQL, the network's pages)")
    csub = p.add_subparsers(dest="central_command", required=True, metavar="CENTRAL_COMMAND")
    s = csub.add_parser("serve", help="run central: the sites' events into PostgreSQL, their "
                                      "requests answered, the pages")
    s.add_argument("--config", required=True, help="central TOML file")
    s.add_argument("--host", help="address for the pages (default: [central] listen)")
    s.add_argument("--port", type=port, help="port for the pages (default: [central] listen)")
    s.set_defaults(func=cmd_serve)
    s = csub.add_parser("nats-config", help="write the NATS server's config: one user per "
                                            "site, limited to its own subjects")
    s.add_argument("--config", required=True, help="central TOML file")
    s.add_argument("--out", required=True, help="folder for nats-server.conf")
    s.add_argument("--host", default="0.0.0.0", help="address NATS listens on (default all)")
    s.add_argument("--port", type=port, default=4222, help="NATS port (default 4222)")
    s.add_argument("--store", help="JetStream's folder (default: OUT/jetstream)")
    s.add_argument("--tls-cert", help="the server's certificate (PEM): TLS only, as the sites' "
                                      "passwords cross the WAN")
    s.add_argument("--tls-key", help="its private key (PEM)")
    s.add_argument("--rotate", action="store_true",
                   help="new passwords for every site and central (each site must get its new one)")
    s.set_defaults(func=cmd_nats_config)
    s = csub.add_parser("check-config", help="validate a central TOML file (exit 0 when valid)")
    s.add_argument("file")
    s.set_defaults(func=cmd_check)
    from . import cli_accounts, cli_site_files
    cli_accounts.add_parsers(csub)
    cli_site_files.add_parsers(csub)


def main(argv: list[str] | None = None) -> int:  # python -m host_bridge.central.cli
    from ..cli import main as suivant
    return suivant(["central", *(argv if argv is not None else sys.argv[1:])])
