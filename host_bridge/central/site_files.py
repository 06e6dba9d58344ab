"""A site's file published from central (issue 14, « Configuration published from central »):
checked, then kept as that site's next version in `site_configs`; a site with [network]
apply_config = true takes the newest (network/config_pull.py) and says which it applied in its
state, so central shows both.

What a site applies is what its administration page may change — [site], [[services]],
[[counters]], [[priority_categories]], [hours], [rules] (service/site_admin.SECTIONS) — through
the same code. Every other table stays the site's own: its [network] (central must not cut the
site off), [store] (nor move its database), [mqtt], [[users]], printer and serial ports. A
published file may hold them (IT often keeps whole site files); they are checked, and named as
not applied when it is published.
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass
from typing import Any

from ..service.site_admin import SECTIONS
from ..site_config import ConfigError, parse

MAX_BYTES = 256 * 1024  # as the administration page's limit
MAX_BY = 80


class PublishRefused(Exception):
    pass


@dataclass(frozen=True)
class Checked:
    site: str
    name: str
    not_applied: tuple[str, ...]  # tables the site keeps its own


def check(site_id: str, text: str, file: str = "<published>") -> Checked:
    """The file as the site will check it: PublishRefused (with the key at fault) if not."""
    if len(text.encode()) > MAX_BYTES:
        raise PublishRefused(f"{file}: at most {MAX_BYTES // 1024} KB")
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise PublishRefused(f"{file}: not valid TOML: {e}") from None
    # [network] names files of the site's own machine (its password): checked there, not here
    own = {k: v for k, v in doc.items() if k != "network"}
    try:
        settings = parse(own, file)
    except ConfigError as e:
        raise PublishRefused(str(e)) from None
    if settings.site.id != site_id:
        raise PublishRefused(f"{file}: site.id: {settings.site.id!r}, not {site_id!r}: each "
                             "site takes only its own file")
    return Checked(site_id, settings.site.name, tuple(sorted(set(doc) - set(SECTIONS))))


async def publish(conn: Any, site_id: str, text: str, by: str = "") -> int:
    """Kept as the site's next version (one transaction, the site's row locked: two
    publications at once get two versions) -> the version."""
    async with conn.transaction():
        cur = await conn.execute("SELECT listed FROM sites WHERE id = %s FOR UPDATE", (site_id,))
        row = await cur.fetchone()
        if row is None or not row[0]:
            raise PublishRefused(f"no site {site_id!r} in central.toml")
        cur = await conn.execute(
            "INSERT INTO site_configs (site, version, toml, published_by) SELECT %s, "
            "coalesce(max(version), 0) + 1, %s, %s FROM site_configs WHERE site = %s "
            "RETURNING version", (site_id, text, by[:MAX_BY], site_id))
        version = (await cur.fetchone())[0]
    return version


@dataclass(frozen=True)
class Versions:
    site: str
    published: int | None  # the newest central holds
    published_at: Any
    applied: int | None  # what the site last said it applied (None: never, or not taking them)
    refused: dict[str, Any] | None  # the version the site refused, and why


def versions(conn: Any) -> list[Versions]:
    """For each listed site: the version published and the one applied (from its state). On
    a plain (not async) psycopg connection, as the central pages hold them."""
    cur = conn.execute(
        "SELECT s.id, c.version, c.published_at, st.state->'config_version', "
        "st.state->'config_refused' FROM sites s "
        "LEFT JOIN LATERAL (SELECT version, published_at FROM site_configs "
        "  WHERE site = s.id ORDER BY version DESC LIMIT 1) c ON true "
        "LEFT JOIN states st ON st.site = s.id WHERE s.listed ORDER BY s.id")
    out = []
    for site, version, at, applied, refused in cur.fetchall():
        out.append(Versions(site, version, at,
                            applied if isinstance(applied, int) and applied >= 0 else None,
                            refused if isinstance(refused, dict) else None))
    return out
