"""Central's PostgreSQL: the schema, and what the ingest and the sites' requests write and read.

Idempotent by (site, seq): an event delivered twice (at-least-once) is one row. Each site's
`progress.contiguous` is the highest sequence number up to which central holds every event the
site sent (followed by each event's `prev`, so the gaps a site's retention left are no gaps).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

SCHEMA_VERSION = 1
SCHEMA = """
CREATE TABLE IF NOT EXISTS central_meta (key text PRIMARY KEY, value text NOT NULL);
CREATE TABLE IF NOT EXISTS sites (
    id     text PRIMARY KEY,
    name   text NOT NULL,
    region text NOT NULL DEFAULT '',
    listed boolean NOT NULL DEFAULT true   -- false: removed from central.toml, history kept
);
CREATE TABLE IF NOT EXISTS events (
    site        text NOT NULL,
    seq         bigint NOT NULL,
    prev        bigint NOT NULL,
    day         date NOT NULL,
    type        text NOT NULL,
    at          timestamptz NOT NULL,
    body        text NOT NULL,           -- the event's fields as the site stored them (JSON)
    received_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (site, seq)
);
CREATE INDEX IF NOT EXISTS events_site_day ON events (site, day);
CREATE INDEX IF NOT EXISTS events_site_prev ON events (site, prev);
CREATE TABLE IF NOT EXISTS progress (
    site             text PRIMARY KEY REFERENCES sites (id),
    contiguous       bigint NOT NULL DEFAULT 0,
    max_seq          bigint NOT NULL DEFAULT 0,
    last_received_at timestamptz
);
CREATE TABLE IF NOT EXISTS states (
    site        text PRIMARY KEY REFERENCES sites (id),
    received_at timestamptz NOT NULL,
    state       jsonb NOT NULL
);
CREATE TABLE IF NOT EXISTS rejects (
    site        text NOT NULL,           -- '' when the message named no site central could read
    reason      text NOT NULL,
    count       bigint NOT NULL,
    last_at     timestamptz NOT NULL,
    last_detail text NOT NULL,
    PRIMARY KEY (site, reason)
);
CREATE TABLE IF NOT EXISTS duplicates (site text PRIMARY KEY, count bigint NOT NULL);
CREATE TABLE IF NOT EXISTS site_configs (
    site         text NOT NULL REFERENCES sites (id),
    version      integer NOT NULL,
    toml         text NOT NULL,
    published_at timestamptz NOT NULL DEFAULT now(),
    published_by text NOT NULL DEFAULT '',
    PRIMARY KEY (site, version)
);
"""


class SchemaMismatch(RuntimeError):
    pass


@dataclass
class Stored:
    new: int = 0
    duplicates: int = 0
    conflicts: list[tuple[str, int]] = field(default_factory=list)  # (site, seq)


async def migrate(conn: Any) -> None:
    """Creates what is missing; refuses a database of a newer central. Several centrals may
    start at once: the schema is made under an advisory lock."""
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock(74061)")
        await conn.execute(SCHEMA)
        cur = await conn.execute("SELECT value FROM central_meta WHERE key = 'schema'")
        row = await cur.fetchone()
        if row is None:
            await conn.execute("INSERT INTO central_meta VALUES ('schema', %s)",
                               (str(SCHEMA_VERSION),))
        elif int(row[0]) > SCHEMA_VERSION:
            raise SchemaMismatch(f"the database has central schema {row[0]}; this Suivant "
                                 f"knows up to {SCHEMA_VERSION}: upgrade Suivant")


async def sync_sites(conn: Any, sites: Any) -> None:
    """central.toml's sites into `sites` (added, renamed, moved; unlisted ones kept, marked)."""
    async with conn.transaction():
        await conn.execute("UPDATE sites SET listed = false")
        if sites:
            await conn.cursor().executemany(
                "INSERT INTO sites (id, name, region, listed) VALUES (%s, %s, %s, true) "
                "ON CONFLICT (id) DO UPDATE SET name = excluded.name, region = excluded.region, "
                "listed = true", [(s.id, s.name, s.region) for s in sites])
            await conn.execute("INSERT INTO progress (site) SELECT id FROM sites "
                               "ON CONFLICT DO NOTHING")


async def listed_sites(conn: Any) -> set[str]:
    cur = await conn.execute("SELECT id FROM sites WHERE listed")
    return {r[0] for r in await cur.fetchall()}


async def store_events(conn: Any, events: list[dict[str, Any]]) -> Stored:
    """One transaction: the new events inserted, the ones already held counted as duplicates
    (the same body) or conflicts (another body: refused, the row kept), each touched site's
    progress moved on. Sites are locked in order, so concurrent centrals never deadlock and
    each sees the other's rows when it follows the chain."""
    out = Stored()
    if not events:
        return out
    first: dict[tuple[str, int], dict[str, Any]] = {}
    again: list[dict[str, Any]] = []  # a second copy in the same batch
    for e in events:
        key = (e["site"], e["seq"])
        if key in first:
            again.append(e)
        else:
            first[key] = e
    unique = list(first.values())
    sites = sorted({e["site"] for e in unique})
    async with conn.transaction():
        await conn.execute("SELECT site FROM progress WHERE site = ANY(%s) ORDER BY site "
                           "FOR UPDATE", (sites,))
        cols = list(zip(*[(e["site"], e["seq"], e["prev"], e["day"], e["type"], e["at"],
                           e["body"]) for e in unique]))
        cur = await conn.execute(
            "INSERT INTO events (site, seq, prev, day, type, at, body) "
            "SELECT * FROM unnest(%s::text[], %s::bigint[], %s::bigint[], %s::date[], "
            "%s::text[], %s::timestamptz[], %s::text[]) ON CONFLICT DO NOTHING "
            "RETURNING site, seq", [list(c) for c in cols])
        inserted = {(r[0], r[1]) for r in await cur.fetchall()}
        out.new = len(inserted)
        held = [e for e in unique if (e["site"], e["seq"]) not in inserted] + again
        if held:
            cur = await conn.execute(
                "SELECT e.site, e.seq, e.body FROM events e JOIN unnest(%s::text[], "
                "%s::bigint[]) AS k(site, seq) ON e.site = k.site AND e.seq = k.seq",
                ([e["site"] for e in held], [e["seq"] for e in held]))
            bodies = {(r[0], r[1]): r[2] for r in await cur.fetchall()}
            dup_by_site: dict[str, int] = {}
            for e in held:
                key = (e["site"], e["seq"])
                if bodies.get(key) == e["body"]:
                    dup_by_site[e["site"]] = dup_by_site.get(e["site"], 0) + 1
                else:
                    out.conflicts.append(key)
            out.duplicates = sum(dup_by_site.values())
            if dup_by_site:
                await conn.cursor().executemany(
                    "INSERT INTO duplicates VALUES (%s, %s) ON CONFLICT (site) DO UPDATE "
                    "SET count = duplicates.count + excluded.count", list(dup_by_site.items()))
        await conn.execute(
            "WITH RECURSIVE chain (site, seq) AS ("
            " SELECT site, contiguous FROM progress WHERE site = ANY(%s)"
            " UNION SELECT e.site, e.seq FROM events e JOIN chain c"
            "  ON e.site = c.site AND e.prev = c.seq)"
            "UPDATE progress p SET contiguous = m.top, max_seq = GREATEST(p.max_seq, m.most),"
            " last_received_at = clock_timestamp()"
            " FROM (SELECT c.site, max(c.seq) AS top, (SELECT max(seq) FROM events e"
            "       WHERE e.site = c.site) AS most FROM chain c GROUP BY c.site) m"
            " WHERE p.site = m.site", (sites,))
    return out


async def count_rejects(conn: Any, rejects: list[tuple[str, str, str]]) -> None:
    """(site or '', reason, detail) each counted; the last detail kept (bounded)."""
    if not rejects:
        return
    async with conn.transaction():
        await conn.cursor().executemany(
            "INSERT INTO rejects VALUES (%s, %s, 1, clock_timestamp(), %s) "
            "ON CONFLICT (site, reason) DO UPDATE SET count = rejects.count + 1, "
            "last_at = excluded.last_at, last_detail = excluded.last_detail",
            [(site, reason, detail[:300]) for site, reason, detail in rejects])


async def contiguous(conn: Any, site: str) -> int | None:
    cur = await conn.execute("SELECT contiguous FROM progress WHERE site = %s", (site,))
    row = await cur.fetchone()
    return None if row is None else row[0]


async def history(conn: Any, site: str, after: int, limit: int) -> list[dict[str, Any]]:
    """The site's events after `after`, as the site stored them (for a restore)."""
    cur = await conn.execute("SELECT seq, prev, day, type, body FROM events WHERE site = %s "
                             "AND seq > %s ORDER BY seq LIMIT %s", (site, after, limit))
    return [{"seq": seq, "prev": prev, "day": day.isoformat(), "type": kind,
             "at": json.loads(body)["at"], "body": body}
            for seq, prev, day, kind, body in await cur.fetchall()]


async def save_state(conn: Any, site: str, state: dict[str, Any]) -> None:
    await conn.execute("INSERT INTO states VALUES (%s, clock_timestamp(), %s) "
                       "ON CONFLICT (site) DO UPDATE SET received_at = excluded.received_at, "
                       "state = excluded.state", (site, json.dumps(state)))


async def latest_config(conn: Any, site: str) -> tuple[int, str] | None:
    cur = await conn.execute("SELECT version, toml FROM site_configs WHERE site = %s "
                             "ORDER BY version DESC LIMIT 1", (site,))
    row = await cur.fetchone()
    return None if row is None else (row[0], row[1])
