"""Central's API on a real PostgreSQL: the sites' histories are made by real bridges (built in
process on a manual clock: two business days of traffic each), sent through the wire's own
encoding and stored by central's ingest code, their states saved as central saves them.
Central's figures for a site equal the site's own; a region's and the network's combine every
ticket against its own service's target; a region account sees its region only; bad input is
refused with a clear error and changes nothing."""
from __future__ import annotations

import asyncio
import contextlib
import csv
import dataclasses
import io
import json
import random
from datetime import date, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from fastapi.testclient import TestClient

from host_bridge.bootstrap import build
from host_bridge.central import config as central_config
from host_bridge.central import db
from host_bridge.central.accounts import CentralAccounts
from host_bridge.central.app import Connections, create_app
from host_bridge.network import wire
from host_bridge.network.site_state import site_state
from host_bridge.service.clock import ManualClock
from support import AGENT, PARIS, SUPERVISOR

DAY1, DAY2 = date(2026, 11, 26), date(2026, 11, 27)
SITES = {"mairie-a": "Occitanie", "mairie-b": "Occitanie", "mairie-c": "Bretagne"}
PASSWORD = "un mot de passe sûr"


def site_history(settings, folder: Path, seed: int, targets: dict[str, int] | None = None):
    """A real bridge's two days: -> (its events as stored, its state, its own indicators
    over both days, and each day's). `targets` changes services' target waits."""
    site = settings.site
    if targets:
        site = dataclasses.replace(site, services=tuple(
            dataclasses.replace(s, target_wait_minutes=targets.get(s.id, s.target_wait_minutes))
            for s in site.services))
    folder.mkdir(parents=True, exist_ok=True)
    settings = dataclasses.replace(settings, site=site, db_path=str(folder / "queue.db"),
                                   devices_path=str(folder / "devices.db"))
    clock = ManualClock(datetime(2026, 11, 26, 9, 0, tzinfo=PARIS))
    rnd = random.Random(seed)
    bridge = build(settings, clock)
    try:
        with TestClient(bridge.app) as c:
            for day in (0, 1):
                for n in (1, 2):
                    c.post(f"/api/counters/{n}/open", headers=AGENT).raise_for_status()
                for _ in range(8 + seed * 3):
                    c.post("/api/tickets", json={"service": rnd.choice(["accueil", "etat-civil"])}
                           ).raise_for_status()
                    clock.advance(rnd.randint(60, 600))
                    if rnd.random() < 0.6:
                        c.post(f"/api/counters/{rnd.choice((1, 2))}/"
                               f"{rnd.choice(['next', 'next', 'absent'])}", headers=AGENT)
                if day == 0:  # some left waiting: expired at the next day's start
                    clock.current = datetime(2026, 11, 27, 9, 0, tzinfo=PARIS)
            c.post("/api/tickets", json={"service": "accueil"}).raise_for_status()
            own = c.get("/api/indicators", headers=SUPERVISOR,
                        params={"from": DAY1.isoformat(), "to": DAY2.isoformat()}).json()
            per_day = {d: c.get("/api/indicators", headers=SUPERVISOR,
                                params={"from": d.isoformat(), "to": d.isoformat()}).json()
                       for d in (DAY1, DAY2)}
            annual = c.get("/api/indicators/annual", headers=SUPERVISOR,
                           params={"year": 2026}).json()
        state = bridge.service.read(site_state)
        import sqlite3
        rows = sqlite3.connect(settings.db_path).execute(
            "SELECT seq, day, type, at, body FROM events ORDER BY seq").fetchall()
    finally:
        bridge.close()
    state.update(last_seq=rows[-1][0], published_seq=rows[-1][0], sent_at=0)
    return rows, state, own, per_day, annual


def store(dsn: str, site: str, rows, state, upto: int | None = None) -> None:
    """As central's ingest and answers do: each event checked by the wire, then stored."""
    events, prev = [], 0
    for seq, day, kind, at, body in rows:
        if upto is not None and seq > upto:
            break
        payload = wire.encode_event(site, seq, prev, day, kind, at, body)
        events.append(wire.decode_event(wire.events_subject(site), payload))
        prev = seq
    checked = wire.decode_state(wire.state_subject(site), wire.encode_state(site, state))

    async def go():
        async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as conn:
            await db.store_events(conn, events)
            await db.save_state(conn, site, checked)
    asyncio.run(go())


def config_for(dsn: str, folder: Path, sites: dict[str, str]):
    text = ["[central]", 'name = "Réseau de test"', 'nats_url = "nats://127.0.0.1:4222"',
            f'postgres = "{dsn}"', 'password = "unused-here"', ""]
    for s, region in sites.items():
        text += ["[[sites]]", f'id = "{s}"', f'name = "Mairie {s[-1].upper()}"',
                 f'region = "{region}"', ""]
    path = folder / "central.toml"
    path.write_text("\n".join(text), encoding="utf-8")
    return central_config.load(path)


@pytest.fixture(scope="module")
def histories(tmp_path_factory):
    """Three sites' real histories (made once: a bridge each), mairie-c with other targets."""
    from host_bridge.site_config import load
    from support import EXAMPLE
    base = load(EXAMPLE)
    base = dataclasses.replace(base, site=dataclasses.replace(
        base.site, rules=dataclasses.replace(base.site.rules, refuse_outside_hours=False)))
    folder = tmp_path_factory.mktemp("sites")
    return {s: site_history(base, folder / s, seed=i,
                            targets={"accueil": 5} if s == "mairie-c" else None)
            for i, s in enumerate(SITES)}


@contextlib.contextmanager
def running_central(pg, folder: Path, histories):
    """Central's app on a fresh database holding the three sites; a `network` account and an
    `occitanie` region account. -> (client, dsn, tokens by login)."""
    dsn = pg.new_database()
    config = config_for(dsn, folder, SITES)
    app = create_app(config)
    for s, (rows, state, *_rest) in histories.items():
        store(dsn, s, rows, state)
    people = CentralAccounts(Connections(dsn))
    people.add("dsi", "DSI du réseau", "network", "", PASSWORD)
    people.add("occ", "Supervision Occitanie", "region", "Occitanie", PASSWORD,
               {"Occitanie", "Bretagne"})
    try:
        with TestClient(app) as client:
            tokens = {}
            for login in ("dsi", "occ"):
                r = client.post("/api/central/sign-in",
                                json={"login": login, "password": PASSWORD})
                assert r.status_code == 200, r.text
                tokens[login] = {"Authorization": f"Bearer {r.json()['token']}"}
            yield client, dsn, tokens
    finally:
        app.state.connections.close()


@pytest.fixture(scope="module")
def shared(pg, tmp_path_factory, histories):
    """For the tests that only read."""
    with running_central(pg, tmp_path_factory.mktemp("central"), histories) as c:
        yield c


@pytest.fixture
def central(pg, tmp_path, histories):
    """For the tests that change what central holds."""
    with running_central(pg, tmp_path, histories) as c:
        yield c


def period(first=DAY1, last=DAY2, **more) -> dict:
    return {"from": first.isoformat(), "to": last.isoformat(), **more}


def test_a_sites_figures_at_central_equal_the_sites_own(shared, histories):
    client, _, tokens = shared
    for s, (_, _, own, per_day, annual) in histories.items():
        r = client.get("/api/central/indicators", headers=tokens["dsi"], params=period(site=s))
        assert r.status_code == 200, r.text
        got = r.json()
        for key in ("services", "total", "per_hour", "satisfaction", "days", "from", "to"):
            assert got[key] == own[key], (s, key)
        assert got["site"] == {"id": s, "name": f"Mairie {s[-1].upper()}", "region": SITES[s]}
        assert own["total"]["issued"] >= 17 and own["total"]["expired"] >= 1  # real traffic
        one = client.get("/api/central/indicators", headers=tokens["dsi"],
                         params=period(DAY2, DAY2, site=s)).json()
        assert one["total"] == per_day[DAY2]["total"]
        year = client.get("/api/central/annual", headers=tokens["dsi"],
                          params={"year": 2026, "site": s}).json()
        mine = year["sites"][0]
        for key in ("days_open", "tickets", "received", "wait_mean_minutes",
                    "wait_median_minutes", "received_within_target", "satisfaction",
                    "opinions", "targets_minutes"):
            assert mine[key] == annual[key], (s, key)


def test_a_region_and_the_network_combine_each_ticket_against_its_own_target(shared,
                                                                             histories):
    client, _, tokens = shared
    net = client.get("/api/central/indicators", headers=tokens["dsi"], params=period()).json()
    assert net["scope"] == {"kind": "network", "name": None, "sites": 3}
    owns = {s: h[2]["total"] for s, h in histories.items()}
    assert net["total"]["issued"] == sum(t["issued"] for t in owns.values())
    assert net["total"]["served"] == sum(t["served"] for t in owns.values())
    # within target: the count of each site's waits within its own target, over all waits
    within = sum(round(t["within_target"] * t["called"]) for t in owns.values())
    assert net["total"]["within_target"] == pytest.approx(
        within / sum(t["called"] for t in owns.values()))
    # mairie-c's accueil has a 5 min target: the same waits elsewhere would count otherwise
    assert histories["mairie-c"][2]["total"]["within_target"] != \
        histories["mairie-a"][2]["total"]["within_target"]
    assert [x["id"] for x in net["sites"]] == ["mairie-c", "mairie-a", "mairie-b"]  # by region
    assert {x["id"]: x["total"] for x in net["sites"]} == owns
    occ = client.get("/api/central/indicators", headers=tokens["dsi"],
                     params=period(region="Occitanie")).json()
    assert occ["total"]["issued"] == owns["mairie-a"]["issued"] + owns["mairie-b"]["issued"]
    year = client.get("/api/central/annual", headers=tokens["dsi"],
                      params={"year": 2026}).json()
    assert year["total"]["tickets"] == net["total"]["issued"]
    assert year["total"]["site_days_open"] == 6 and year["total"]["days_open"] == 2
    assert [x["id"] for x in year["sites"]] == ["mairie-c", "mairie-a", "mairie-b"]


def test_the_csv_has_the_sites_columns_with_site_and_region_first(shared, histories):
    client, _, tokens = shared
    r = client.get("/api/central/indicators.csv", headers=tokens["dsi"], params=period())
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert 'filename="indicateurs-reseau-2026-11-26-2026-11-27.csv"' in \
        r.headers["content-disposition"]
    lines = list(csv.reader(io.StringIO(r.text.lstrip("\ufeff")), delimiter=";"))
    assert lines[0][:4] == ["site", "région", "jour", "service"]
    assert lines[0][4] == "tickets émis" and len(lines[0]) == 4 + 13
    totals = {(x[0], x[2]): int(x[4]) for x in lines[1:] if x[3] == "tous services"}
    for s, (_, _, _, per_day, _) in histories.items():
        for d in (DAY1, DAY2):
            assert totals[(f"Mairie {s[-1].upper()}", d.isoformat())] == \
                per_day[d]["total"]["issued"]
    for d in (DAY1, DAY2):
        assert totals[("tous les sites", d.isoformat())] == sum(
            h[3][d]["total"]["issued"] for h in histories.values())
    accueil = [x for x in lines if x[0] == "Mairie A" and x[3] == "Accueil et renseignements"]
    assert accueil and any("," in c for x in accueil for c in x[4:])  # decimal commas
    assert not any("." in c for x in accueil for c in x[4:])


def test_the_sites_list_says_state_lag_waiting_today_and_refusals(central, histories):
    client, dsn, tokens = central
    with psycopg.connect(dsn, autocommit=True) as conn:  # mairie-b fell silent 2 min ago
        conn.execute("UPDATE states SET received_at = clock_timestamp() - interval '2 minutes'"
                     " WHERE site = 'mairie-b'")
        conn.execute("INSERT INTO rejects VALUES ('mairie-a', 'malformed', 3, now(), 'x'), "
                     "('', 'bad_subject', 2, now(), 'y')")
        conn.execute("UPDATE progress SET contiguous = contiguous - 4 WHERE site = 'mairie-c'")
    rows, state, *_ = histories["mairie-b"]
    store(dsn, "mairie-b", rows[:5], state)  # delivered again: stored once, counted
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("UPDATE states SET received_at = clock_timestamp() - interval '2 minutes'"
                     " WHERE site = 'mairie-b'")
    got = client.get("/api/central/sites", headers=tokens["dsi"]).json()
    by = {s["id"]: s for s in got["sites"]}
    assert [s["id"] for s in got["sites"]] == ["mairie-c", "mairie-a", "mairie-b"]
    assert by["mairie-a"]["state"] == "connected" and by["mairie-b"]["state"] == "silent"
    assert by["mairie-b"]["seconds_since_state"] >= 119
    assert by["mairie-a"]["lag"]["events"] == 0 and by["mairie-c"]["lag"]["events"] == 4
    assert by["mairie-a"]["refused"] == 3 and got["refused_unattributed"] == 2
    assert by["mairie-b"]["duplicates"] == 5 and by["mairie-a"]["duplicates"] == 0
    assert by["mairie-a"]["open_counters"] == 2
    rows, state, own, per_day, _ = histories["mairie-a"]
    assert by["mairie-a"]["waiting"] == sum(state["now"]["waiting"].values()) >= 1
    today = by["mairie-a"]["today"]
    assert today["day"] == DAY2.isoformat()
    assert today["issued"] == per_day[DAY2]["total"]["issued"]
    assert today["wait_median"] == per_day[DAY2]["total"]["wait_median"]
    assert got["regions"] == ["Bretagne", "Occitanie"]
    one = client.get("/api/central/sites/mairie-a", headers=tokens["dsi"]).json()
    moving = ("services", "seconds_since_state", "lag")  # read a moment later
    assert {k: v for k, v in one.items() if k not in moving} == \
        {k: v for k, v in by["mairie-a"].items() if k not in moving}
    assert one["lag"]["events"] == 0
    assert [(x["id"], x["waiting"]) for x in one["services"]] == [
        (k, v) for k, v in state["now"]["waiting"].items()]
    assert one["services"][0]["name"] == "Accueil et renseignements"
    for bad, status in (("nowhere", 404), ("Bad!", 422)):
        assert client.get(f"/api/central/sites/{bad}", headers=tokens["dsi"]).status_code \
            == status


def test_a_region_account_sees_only_its_region_everywhere(shared):
    client, _, tokens = shared
    occ = tokens["occ"]
    listed = client.get("/api/central/sites", headers=occ).json()
    assert [s["id"] for s in listed["sites"]] == ["mairie-a", "mairie-b"]
    assert listed["regions"] == ["Occitanie"] and listed["refused_unattributed"] == 0
    for path, params in (("/api/central/indicators", period(site="mairie-c")),
                         ("/api/central/indicators", period(region="Bretagne")),
                         ("/api/central/indicators.csv", period(site="mairie-c")),
                         ("/api/central/annual", {"year": 2026, "region": "Bretagne"}),
                         ("/api/central/sites", {"region": "Bretagne"})):
        r = client.get(path, headers=occ, params=params)
        assert r.status_code == 403 and r.json()["error"] == "forbidden", (path, params)
    r = client.get("/api/central/sites/mairie-c", headers=occ)
    assert r.status_code == 403 and r.json()["error"] == "forbidden"
    mine = client.get("/api/central/indicators", headers=occ, params=period()).json()
    everyone = client.get("/api/central/indicators", headers=tokens["dsi"],
                          params=period(region="Occitanie")).json()
    assert mine["scope"] == {"kind": "region", "name": "Occitanie", "sites": 2}
    assert mine["total"] == everyone["total"]
    text = client.get("/api/central/indicators.csv", headers=occ, params=period()).text
    assert "Mairie C" not in text and "Mairie A" in text
    year = client.get("/api/central/annual", headers=occ, params={"year": 2026}).json()
    assert [s["id"] for s in year["sites"]] == ["mairie-a", "mairie-b"]
    assert client.get("/api/central/me", headers=occ).json()["regions"] == ["Occitanie"]


def test_bad_input_is_refused_with_a_clear_error_and_changes_nothing(shared):
    client, dsn, tokens = shared
    dsi = tokens["dsi"]

    def snapshot():
        with psycopg.connect(dsn) as conn:
            return [conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                    for t in ("events", "states", "rejects", "central_accounts")]
    before = snapshot()
    cases = [
        ("/api/central/indicators", period(DAY2, DAY1), 422, "invalid_period"),
        ("/api/central/indicators", period(DAY1, DAY1 + timedelta(days=366)), 422,
         "invalid_period"),
        ("/api/central/indicators", {"from": "2026-13-01", "to": "2026-12-01"}, 422,
         "invalid_request"),
        ("/api/central/indicators", {"from": "2026-11-26"}, 422, "invalid_request"),
        ("/api/central/indicators", period(site="nowhere"), 404, "unknown_site"),
        ("/api/central/indicators", period(site="Bad Id!"), 422, "invalid_request"),
        ("/api/central/indicators", period(region="Normandie"), 404, "unknown_region"),
        ("/api/central/indicators", period(site="mairie-a", region="Occitanie"), 422,
         "invalid_scope"),
        ("/api/central/indicators.csv", period(DAY2, DAY1), 422, "invalid_period"),
        ("/api/central/indicators.csv", period(site="nowhere"), 404, "unknown_site"),
        ("/api/central/indicators.csv", {"from": "yesterday", "to": "2026-11-27"}, 422,
         "invalid_request"),
        ("/api/central/annual", {"year": 1999}, 422, "invalid_request"),
        ("/api/central/annual", {"year": 2026, "region": "x" * 81}, 422, "invalid_request"),
        ("/api/central/sites", {"region": "Normandie"}, 404, "unknown_region"),
    ]
    for path, params, status, code in cases:
        r = client.get(path, headers=dsi, params=params)
        assert (r.status_code, r.json()["error"]) == (status, code), (path, params, r.text)
        assert r.json()["message"]
    r = client.get("/api/central/indicators", headers=dsi, params=period(DAY2, DAY1))
    assert r.json()["reason"] == "ends_before_start" and r.json()["max_days"] == 366
    for headers in ({}, {"Authorization": "Bearer not-a-session"}, {"Authorization": "Basic x"}):
        r = client.get("/api/central/sites", headers=headers)
        assert r.status_code == 401 and r.json()["error"] == "unauthorized"
    assert snapshot() == before


def test_a_site_that_never_sent_its_state_is_listed_and_said_apart(pg, tmp_path, histories):
    dsn = pg.new_database()
    app = create_app(config_for(dsn, tmp_path, {"mairie-a": "Occitanie",
                                                "mairie-z": "Occitanie"}))
    rows, state, own, *_ = histories["mairie-a"]
    store(dsn, "mairie-a", rows, state)
    CentralAccounts(Connections(dsn)).add("dsi", "DSI", "network", "", PASSWORD)
    with TestClient(app) as client:
        token = client.post("/api/central/sign-in",
                            json={"login": "dsi", "password": PASSWORD}).json()["token"]
        auth = {"Authorization": f"Bearer {token}"}
        z = [s for s in client.get("/api/central/sites", headers=auth).json()["sites"]
             if s["id"] == "mairie-z"][0]
        assert z["state"] == "never" and z["last_seen"] is None and z["today"] is None
        net = client.get("/api/central/indicators", headers=auth, params=period()).json()
        assert net["without_state"] == [{"id": "mairie-z", "name": "Mairie Z",
                                         "region": "Occitanie"}] and net["total"] == own["total"]
        r = client.get("/api/central/indicators", headers=auth, params=period(site="mairie-z"))
        assert r.status_code == 404 and r.json()["error"] == "unknown_site"
        r = client.get("/api/central/annual", headers=auth,
                       params={"year": 2026, "site": "mairie-z"})
        assert r.status_code == 404 and r.json()["error"] == "unknown_site"
    app.state.connections.close()


def test_the_pages_are_served_with_the_sites_css(shared):
    client, _, _ = shared
    for path in ("/central/", "/central/site?id=mairie-a", "/central/indicateurs"):
        r = client.get(path)
        assert r.status_code == 200 and 'lang="fr"' in r.text, path
        assert "/static/suivant.css" in r.text
    assert client.get("/static/suivant.css").status_code == 200
    assert client.get("/central/static/central.js").status_code == 200
    assert client.get("/", follow_redirects=False).headers["location"] == "/central/"
    assert client.get("/api/central/health").json()["status"] == "ok"
    assert json.loads(client.get("/api/central/health").text)["sites"] == 3


def test_settled_days_are_read_once_and_again_only_when_late_events_come(central, histories):
    """A period's days before each site's latest are kept; the latest day is read each time
    (its events still come); an event arriving late for a settled day (a site catching up)
    has that site's settled days read again. The figures stay the site's own."""
    from host_bridge.central import views
    client, dsn, tokens = central
    views.MEMO._kept.clear()
    before = views.MEMO.computed
    first = client.get("/api/central/indicators", headers=tokens["dsi"], params=period()).json()
    assert views.MEMO.computed == before + 3
    again = client.get("/api/central/indicators", headers=tokens["dsi"], params=period()).json()
    assert again == first and views.MEMO.computed == before + 3
    rows, state, *_ = histories["mairie-a"]
    seq, _, _, at, _ = rows[-1]  # one more ticket at mairie-a, today (day 2)
    body = json.dumps({"ticket_id": "t" * 24, "service": "accueil", "number": 99,
                       "label": "A099", "category": None, "at": at}, separators=(",", ":"))
    rows = rows + [(seq + 1, DAY2.isoformat(), "TicketIssued", at, body)]
    store(dsn, "mairie-a", rows, state)
    after = client.get("/api/central/indicators", headers=tokens["dsi"], params=period()).json()
    assert views.MEMO.computed == before + 3  # today's event: only today read again
    assert after["total"]["issued"] == first["total"]["issued"] + 1
    day1_at = rows[1][3]  # an opinion given on day 1, arriving late
    late = json.dumps({"score": 4, "counter": 1, "label": None, "at": day1_at},
                      separators=(",", ":"))
    store(dsn, "mairie-a", rows + [(seq + 2, DAY1.isoformat(), "FeedbackGiven", day1_at, late)],
          state)
    latest = client.get("/api/central/indicators", headers=tokens["dsi"], params=period()).json()
    assert views.MEMO.computed == before + 4  # mairie-a's settled day read again, alone
    assert latest["satisfaction"]["votes"] == first["satisfaction"]["votes"] + 1


def test_postgresql_down_is_a_503_that_says_so(central):
    from support import free_port
    client, _, tokens = central
    pool = client.app.state.connections
    pool.close()
    pool.dsn = f"host=127.0.0.1 port={free_port()} user=suivant dbname=none connect_timeout=2"
    r = client.get("/api/central/sites", headers=tokens["dsi"])
    assert r.status_code == 503 and r.json()["error"] == "database_unavailable"
    assert r.headers["retry-after"] == "10"


@pytest.mark.slow
def test_through_real_nats_the_running_central_shows_what_the_site_sent(make_network,
                                                                       histories):
    """`suivant central serve`'s pair: the runner (NATS → PostgreSQL) and create_app(config,
    runner). A site publishes its history and state as the site's user, on its own subjects."""
    import nats
    import time

    net = make_network(["mairie-a", "mairie-b"], {"mairie-a": "Occitanie",
                                                  "mairie-b": "Bretagne"})
    runner = net.central()
    app = create_app(net.config, runner)
    CentralAccounts(Connections(net.dsn)).add("dsi", "DSI", "network", "", PASSWORD)
    rows, state, own, *_ = histories["mairie-a"]
    password = (Path(net.config.secrets) / "mairie-a.password").read_text().strip()

    async def as_the_site():
        nc = await nats.connect(net.nats.url, user="site-mairie-a", password=password,
                                inbox_prefix=wire.inbox_prefix("mairie-a"))
        js = nc.jetstream()
        prev = 0
        for seq, day, kind, at, body in rows:
            await js.publish(wire.events_subject("mairie-a"),
                             wire.encode_event("mairie-a", seq, prev, day, kind, at, body),
                             headers={"Nats-Msg-Id": wire.msg_id("mairie-a", seq)})
            prev = seq
        await nc.publish(wire.state_subject("mairie-a"), wire.encode_state("mairie-a", state))
        await nc.flush()
        await nc.close()
    asyncio.run(as_the_site())
    net.wait_caught_up("mairie-a", rows[-1][0])
    with TestClient(app) as client:
        auth = bearer_of(client, "dsi")
        deadline = time.monotonic() + 10
        while True:
            listed = {s["id"]: s for s in client.get("/api/central/sites",
                                                     headers=auth).json()["sites"]}
            if listed["mairie-a"]["state"] == "connected" or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        assert listed["mairie-a"]["state"] == "connected"
        assert listed["mairie-a"]["lag"]["events"] == 0
        assert listed["mairie-b"]["state"] == "never"
        got = client.get("/api/central/indicators", headers=auth,
                         params=period(site="mairie-a")).json()
        assert got["total"] == own["total"] and got["services"] == own["services"]
        health = client.get("/api/central/health").json()
        assert health["ingest"]["stored"] == len(rows)
    app.state.connections.close()


def bearer_of(client, login: str) -> dict:
    r = client.post("/api/central/sign-in", json={"login": login, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['token']}"}
