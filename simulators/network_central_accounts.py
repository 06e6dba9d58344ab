"""The network demo's central accounts: one for the network's IT (every site) and one for a
region's supervisor (that region's sites only), both with the site demo's password.

    logins = demo_central_accounts(central_toml, sites)   # -> the banner's "login (role)"s

Made with central's own accounts module (what `suivant central account add` calls), hashed
with cheap Argon2 parameters as the site demo's accounts are: the password is printed anyway,
and the first sign-in hashes it again with the real ones.
"""
from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Any

from host_bridge.cli import DEMO_PASSWORD

NETWORK_ACCOUNT = ("reseau", "DSI du réseau (démo)")
REGION = "Occitanie"  # the regional account's, when the demo has a site there


def demo_central_accounts(config_path: Path, sites: Any) -> list[str]:
    import psycopg
    from argon2 import PasswordHasher

    from host_bridge.central.accounts import CentralAccounts, migrate
    from host_bridge.central.config import load
    from host_bridge.staff.passwords import Passwords
    config = load(config_path)

    @contextmanager
    def connect():
        with psycopg.connect(config.postgres, autocommit=True, connect_timeout=10) as conn:
            yield conn
    with connect() as conn:
        migrate(conn)
    people = CentralAccounts(connect, Passwords(PasswordHasher(time_cost=1, memory_cost=1024,
                                                               parallelism=1)))
    regions = {s.region for s in sites}
    login, name = NETWORK_ACCOUNT
    people.add(login, name, "network", "", DEMO_PASSWORD, regions)
    made = [f"{login} (every site)"]
    if REGION in regions:
        people.add("occitanie", f"Supervision {REGION} (démo)", "region", REGION,
                   DEMO_PASSWORD, regions)
        made.append(f"occitanie ({REGION}'s sites only)")
    return made
