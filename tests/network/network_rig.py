"""A network for a test: real NATS JetStream (the config `suivant central nats-config` writes),
a real PostgreSQL database, central, and site files that point at them.

    net = Network(tmp_path, pg, ["mairie-a", "mairie-b"])  # central.toml, NATS started
    net.site_file("mairie-a")                      # the example site as that site, in the network
    runner = net.central()                          # central's NATS side, in this process
    net.rows("mairie-a")                            # what central holds: [(seq, type)]
"""
from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import psycopg

from host_bridge.central import config as central_config
from host_bridge.central import nats_config
from host_bridge.central.runner import CentralRunner
from network_servers import NatsServer, Postgres
from support import EXAMPLE, free_port


class Network:
    def __init__(self, folder: Path, pg: Postgres, sites: list[str],
                 regions: dict[str, str] | None = None, pki: Path | None = None):
        """`pki`: tests/pki.make_pki's folder: NATS on TLS only, with its broker certificate."""
        self.folder = folder
        self.dsn = pg.new_database()
        self.nats = NatsServer()
        self.pki = pki
        self.url = self.nats.url if pki is None else self.nats.url.replace("nats://", "tls://")
        text = ["[central]", 'name = "Réseau de test"',
                f'nats_url = "{self.url}"', f'postgres = "{self.dsn}"',
                f'listen = "127.0.0.1:{free_port()}"',
                *([] if pki is None else [f'ca_file = "{pki / "ca.pem"}"']), ""]
        for s in sites:
            text += ["[[sites]]", f'id = "{s}"', f'name = "Site {s}"',
                     f'region = "{(regions or {}).get(s, "Occitanie")}"', ""]
        self.config_path = folder / "central.toml"
        self.config_path.write_text("\n".join(text))
        self.config = central_config.load(self.config_path)
        conf = nats_config.write(self.config, folder / "nats", port=self.nats.port,
                                 tls_cert=pki and pki / "broker.pem",
                                 tls_key=pki and pki / "broker.key")
        self.nats.set_config(conf.read_text())
        self.nats.start()
        self.runners: list[CentralRunner] = []

    def site_file(self, site_id: str, state_seconds: float = 0.3, rules: str = "",
                  nats_url: str | None = None) -> Path:
        """The example town hall as `site_id`, open at any hour, in this network (through
        `nats_url` if given: a link_cut.Link)."""
        text = EXAMPLE.read_text(encoding="utf-8")
        text = re.sub(r'^id = "mairie-villeneuve"', f'id = "{site_id}"', text, count=1,
                      flags=re.M)
        text = text.replace("refuse_outside_hours = true", "refuse_outside_hours = false")
        text = text.replace("[rules]\n", f"[rules]\n{rules}", 1)
        folder = self.folder / site_id
        folder.mkdir(exist_ok=True)
        text += (f"\n[mqtt]\nembedded_port = {free_port()}\n"
                 f'\n[limits]\nunlimited_addresses = ["127.0.0.1"]\n'
                 f'\n[network]\nurl = "{nats_url or self.url}"\n'
                 + ("" if self.pki is None else f'ca_file = "{self.pki / "ca.pem"}"\n')
                 + f'password_file = "{Path(self.config.secrets) / (site_id + ".password")}"\n'
                 f"state_seconds = {state_seconds}\n")
        text = text.replace('path = "mairie.db"', f'path = "{folder / "queue.db"}"')
        text = text.replace('devices_path = "devices.db"',
                            f'devices_path = "{folder / "devices.db"}"')
        path = folder / "site.toml"
        path.write_text(text, encoding="utf-8")
        return path

    def site_settings(self, site_id: str, state_seconds: float = 0.3) -> Any:
        """A publisher's settings as the site file's [network] would give them."""
        from host_bridge.network.settings import NetworkSettings
        password = (Path(self.config.secrets) / f"{site_id}.password").read_text().strip()
        return NetworkSettings((self.url,), f"site-{site_id}", password, state_seconds,
                               ca_file=None if self.pki is None else str(self.pki / "ca.pem"))

    def central(self) -> CentralRunner:
        runner = CentralRunner(self.config).start()
        self.runners.append(runner)
        return runner

    def query(self, sql: str, *params: Any) -> list[tuple]:
        with psycopg.connect(self.dsn) as conn:
            return conn.execute(sql, params).fetchall()

    def rows(self, site: str) -> list[tuple[int, str]]:
        return [(s, t) for s, t in self.query(
            "SELECT seq, type FROM events WHERE site = %s ORDER BY seq", site)]

    def contiguous(self, site: str) -> int:
        rows = self.query("SELECT contiguous FROM progress WHERE site = %s", site)
        return rows[0][0] if rows else 0

    def wait_caught_up(self, site: str, last_seq: int, timeout: float = 30.0) -> None:
        end = time.monotonic() + timeout
        while self.contiguous(site) < last_seq:
            if time.monotonic() > end:
                raise AssertionError(f"central holds {site} up to {self.contiguous(site)}, "
                                     f"the site is at {last_seq}")
            time.sleep(0.1)

    def close(self) -> None:
        for r in self.runners:
            r.stop()
        self.nats.stop()


# ----- a site's NATS client without a bridge: what a faulty or hostile site could send --------
def event_rows(count: int, start: int = 1, day: str = "2026-12-07",
               service: str = "accueil") -> list[tuple[int, str, str, str, str]]:
    """`count` valid stored rows (seq, day, type, at, body): tickets issued one a second."""
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    from host_bridge.domain.events import TicketIssued
    from host_bridge.store.event_codec import event_to_json
    base = datetime.fromisoformat(f"{day}T09:00:00").replace(tzinfo=ZoneInfo("Europe/Paris"))
    rows = []
    for seq in range(start, start + count):
        at = base + timedelta(seconds=seq)
        event = TicketIssued(f"t{seq}", service, seq % 999 + 1, f"A{seq % 999 + 1:03d}", None, at)
        rows.append((seq, day, "TicketIssued", at.isoformat(), event_to_json(event)))
    return rows


async def site_connection(net: Network, site: str, errors: list | None = None) -> Any:
    """A NATS connection with `site`'s credentials (the server's errors go to `errors`)."""
    import nats

    from host_bridge.network import wire

    async def on_error(e: Exception) -> None:
        if errors is not None:
            errors.append(str(e))
    password = (Path(net.config.secrets) / f"{site}.password").read_text().strip()
    return await nats.connect(net.nats.url, user=f"site-{site}", password=password,
                              inbox_prefix=wire.inbox_prefix(site), error_cb=on_error,
                              allow_reconnect=False)


async def publish_rows(nc: Any, site: str, rows: list, prev: int | None = None) -> None:
    """As the publisher does: each row with its Nats-Msg-Id, acknowledged by the stream."""
    from host_bridge.network import wire
    js = nc.jetstream(timeout=10)
    before = rows[0][0] - 1 if prev is None else prev
    for seq, day, kind, at, body in rows:
        await js.publish(wire.events_subject(site), wire.encode_event(site, seq, before, day,
                                                                      kind, at, body),
                         headers={"Nats-Msg-Id": wire.msg_id(site, seq)})
        before = seq


def wait_for(check, timeout: float = 20.0, what: str = "") -> None:
    end = time.monotonic() + timeout
    while not check():
        if time.monotonic() > end:
            raise AssertionError(f"timed out waiting for {what or check}")
        time.sleep(0.05)
