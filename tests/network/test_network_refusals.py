"""Bad input at central, on real NATS and PostgreSQL: a message on another site's subject, an
unknown site, a malformed event, a replay from an old sequence — refused and counted, nothing
written. Each site publishes with its own credentials and only on its own subjects."""
from __future__ import annotations

import asyncio
import dataclasses
import json

import pytest

from host_bridge.network import wire
from network_rig import event_rows, publish_rows, site_connection, wait_for


def rejects(net) -> dict[tuple[str, str], int]:
    return {(s, r): n for s, r, n in net.query("SELECT site, reason, count FROM rejects")}


def test_a_site_cannot_publish_or_read_as_another(make_network):
    net = make_network(["mairie-a", "mairie-b"])
    net.central()

    async def attempt() -> list[str]:
        errors: list[str] = []
        nc = await site_connection(net, "mairie-a", errors)
        body = event_rows(1)[0]
        await nc.publish(wire.events_subject("mairie-b"),
                         wire.encode_event("mairie-b", *body[:1], 0, *body[1:]))
        await nc.publish("suivant.central.cursor.mairie-b", b"")
        await nc.subscribe(wire.inbox_prefix("mairie-b") + ".>")
        await nc.subscribe("suivant.>")
        await nc.flush()
        await asyncio.sleep(0.3)
        await nc.close()
        return errors

    errors = asyncio.run(attempt())
    violations = [e for e in errors if "permissions violation" in e.lower()]
    assert len(violations) == 4, errors
    assert any("suivant.site.mairie-b.events" in e for e in violations)
    assert net.rows("mairie-b") == []


def test_malformed_events_are_refused_counted_and_write_nothing(make_network):
    net = make_network(["mairie-a"])
    net.central()
    seq, day, kind, at, body = event_rows(1)[0]
    good = json.loads(wire.encode_event("mairie-a", seq, 0, day, kind, at, body))
    bad = {
        "malformed": [b"not json", b"[1,2]", json.dumps({**good, "seq": 0}).encode(),
                      json.dumps({**good, "prev": 5, "seq": 5}).encode(),
                      json.dumps({**good, "type": "TicketStolen"}).encode(),
                      json.dumps({**good, "body": {**good["body"], "ticket_id": 7,
                                                   "extra": 1}}).encode(),
                      json.dumps({**good, "at": "yesterday"}).encode()],
        "wrong_site": [json.dumps({**good, "site": "mairie-b"}).encode()],
        "unknown_version": [json.dumps({**good, "v": 2}).encode()],
        "too_large": [json.dumps({**good, "pad": "x" * 20_000}).encode()],
    }

    async def send() -> None:
        nc = await site_connection(net, "mairie-a")
        js = nc.jetstream(timeout=10)
        for payloads in bad.values():
            for p in payloads:
                await js.publish(wire.events_subject("mairie-a"), p)
        await nc.close()

    asyncio.run(send())
    expected = {("mairie-a", reason): len(p) for reason, p in bad.items()}
    wait_for(lambda: rejects(net) == expected, what=f"rejects {expected}")
    assert net.rows("mairie-a") == []
    assert net.contiguous("mairie-a") == 0


def test_unknown_site_and_replays_are_refused_or_dropped_and_counted(make_network):
    net = make_network(["mairie-a", "mairie-z"])
    # central stops listing mairie-z; its NATS user still exists (the server's file is older)
    net.config = dataclasses.replace(net.config, sites=net.config.sites[:1])
    net.central()
    rows = event_rows(10)

    async def send() -> None:
        a = await site_connection(net, "mairie-a")
        await publish_rows(a, "mairie-a", rows)
        z = await site_connection(net, "mairie-z")
        await publish_rows(z, "mairie-z", event_rows(3))
        await z.close()
        net.wait_caught_up("mairie-a", 10)
        # a replay from an old sequence: the same events again (after the stream's
        # de-duplication window: a new message id), and seq 3 with another content
        js = a.jetstream(timeout=10)
        for seq, day, kind, at, body in rows[2:6]:
            await js.publish(wire.events_subject("mairie-a"),
                             wire.encode_event("mairie-a", seq, seq - 1, day, kind, at, body),
                             headers={"Nats-Msg-Id": f"replay-{seq}"})
        seq, day, kind, at, body = event_rows(1, start=3, service="etat-civil")[0]
        await js.publish(wire.events_subject("mairie-a"),
                         wire.encode_event("mairie-a", seq, 2, day, kind, at, body),
                         headers={"Nats-Msg-Id": "other-3"})
        await a.close()

    before = net.query("SELECT seq, body FROM events WHERE site = 'mairie-a' ORDER BY seq")
    asyncio.run(send())
    wait_for(lambda: rejects(net).get(("mairie-a", "conflict")) == 1, what="the conflict")
    assert rejects(net) == {("mairie-z", "unknown_site"): 3, ("mairie-a", "conflict"): 1}
    wait_for(lambda: net.query("SELECT count FROM duplicates WHERE site = 'mairie-a'")
             == [(4,)], what="4 duplicates")
    after = net.query("SELECT seq, body FROM events WHERE site = 'mairie-a' ORDER BY seq")
    assert before == [] and len(after) == 10
    assert [json.loads(b)["service"] for _, b in after] == ["accueil"] * 10
    assert net.rows("mairie-z") == []


def test_bad_states_and_requests_are_refused(make_network):
    net = make_network(["mairie-a"])
    net.central()

    async def send() -> list[dict]:
        nc = await site_connection(net, "mairie-a")
        await nc.publish(wire.state_subject("mairie-a"), b"{}")
        await nc.publish(wire.state_subject("mairie-a"),
                         wire.encode_state("mairie-a", {"last_seq": -1}))
        answers = []
        for payload in (b'{"v":1,"after":-1}', b'{"v":1,"limit":100000}', b"garbage",
                        b'{"v":1,"after":0}'):
            msg = await nc.request(wire.request_subject("history", "mairie-a"), payload, timeout=5)
            answers.append(json.loads(msg.data))
        await nc.close()
        return answers

    answers = asyncio.run(send())
    assert [a.get("error") for a in answers] == ["malformed", "malformed", "malformed", None]
    assert answers[3]["events"] == []
    wait_for(lambda: sum(rejects(net).values()) == 2, what="2 state refusals")
    assert set(rejects(net)) == {("mairie-a", "state_unknown_version"),
                                 ("mairie-a", "state_malformed")}
    assert net.query("SELECT count(*) FROM states") == [(0,)]


@pytest.mark.parametrize("payload", [b"", b"{", b'{"v":1,"site":"mairie-a"}'])
def test_wire_refuses_without_crashing(payload):
    with pytest.raises(wire.WireError):
        wire.decode_event("suivant.site.mairie-a.events", payload)
