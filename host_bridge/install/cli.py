"""`suivant init`: a site installed the Debian way.

    sudo suivant init --site "Mairie de Villeneuve" --mosquitto mqtt://192.168.10.2:1883 \
        --public-url https://file.mairie-villeneuve.fr
    sudo systemctl daemon-reload && sudo systemctl enable --now suivant

As root: the `suivant` system user (made if missing), /etc/suivant/site.toml, the data in
/var/lib/suivant (the first administrator's account), /etc/systemd/system/suivant.service and,
with --mosquitto, the broker's accounts in /etc/mosquitto/suivant. As another user: the same
into the folders given (--config-dir, --data-dir, --unit-dir, --mosquitto-dir).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .init import InitRequest, run
from .layout import InitRefused, Layout
from .proxy import root_path

__all__ = ["InitRefused", "add_parsers"]


def _password(args: argparse.Namespace) -> str | None:
    if not args.admin_password_stdin:
        return None
    line = sys.stdin.readline(200)  # bounded: a password is at most 128 characters
    return line.rstrip("\r\n")


def cmd_init(args: argparse.Namespace) -> int:
    layout = Layout(Path(args.config_dir).absolute(), Path(args.data_dir).absolute(),
                    Path(args.unit_dir).absolute(),
                    Path(args.mosquitto_dir).absolute() if args.mosquitto else None)
    serve = ["--host", args.host, "--port", str(args.port)]
    if args.root_path:
        serve += ["--root-path", args.root_path]
    serve += ["--forwarded-allow-ips", args.forwarded_allow_ips]
    request = InitRequest(
        site_name=args.site, layout=layout, user=args.user, site_id=args.site_id,
        public_url=args.public_url, mosquitto_url=args.mosquitto,
        mosquitto_pid_file=args.mosquitto_pid_file, admin_login=args.admin_login,
        admin_name=args.admin_name, admin_password=_password(args), serve_options=tuple(serve),
        force=args.force)
    for line in run(request):
        print(line)
    print("next: systemctl daemon-reload && systemctl enable --now suivant; then "
          "journalctl -u suivant (docs/operations.md, section 15)")
    return 0


def add_parsers(sub: argparse._SubParsersAction, port_type) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("init", help="install a site: its site file, data folder, first "
                                    "administrator, systemd unit (and Mosquitto's accounts)",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--site", required=True, help="the site's name, e.g. \"Mairie de Villeneuve\"")
    p.add_argument("--site-id", help="its id (default: made from the name)")
    p.add_argument("--config-dir", default="/etc/suivant", help="default /etc/suivant")
    p.add_argument("--data-dir", default="/var/lib/suivant", help="default /var/lib/suivant")
    p.add_argument("--unit-dir", default="/etc/systemd/system",
                   help="where suivant.service goes (default /etc/systemd/system)")
    p.add_argument("--user", default="suivant",
                   help="the service's system user (default suivant; made when run as root)")
    p.add_argument("--mosquitto", metavar="URL",
                   help="the site runs Mosquitto, reached by the boards at this address, e.g. "
                        "mqtt://192.168.10.2:1883: its accounts are written too")
    p.add_argument("--mosquitto-dir", default="/etc/mosquitto/suivant",
                   help="where Mosquitto's accounts go (default /etc/mosquitto/suivant)")
    p.add_argument("--mosquitto-pid-file", default="/run/mosquitto/mosquitto.pid",
                   help=argparse.SUPPRESS)
    p.add_argument("--public-url", help="the address phones reach (QR codes, links), e.g. "
                                        "https://file.mairie.fr")
    p.add_argument("--host", default="127.0.0.1",
                   help="the bridge listens here (default 127.0.0.1: behind the reverse proxy)")
    p.add_argument("--port", type=port_type, default=8080, help="its HTTP port (default 8080)")
    p.add_argument("--root-path", type=root_path,
                   help="the bridge served under this prefix by the proxy, "
                                       "e.g. /suivant")
    p.add_argument("--forwarded-allow-ips", default="127.0.0.1",
                   help="the proxy's address: its X-Forwarded-Proto/For are trusted "
                        "(default 127.0.0.1)")
    p.add_argument("--admin-login", default="admin", help="the first administrator (default admin)")
    p.add_argument("--admin-name", default="Administrateur", help="their name on the pages")
    p.add_argument("--admin-password-stdin", action="store_true",
                   help="read their password as one line from stdin (default: one is made "
                        "and printed once)")
    p.add_argument("--force", action="store_true",
                   help="replace an existing site file, unit or Mosquitto files (never the data)")
    p.set_defaults(func=cmd_init)
