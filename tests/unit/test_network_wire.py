"""The network's messages (host_bridge/network/wire.py): what a site sends, central reads back
exactly; anything else is a WireError with a reason, never another exception."""
from __future__ import annotations

import json
from datetime import datetime

from hypothesis import given, settings, strategies as st

from host_bridge.domain import events as e
from host_bridge.network import wire
from host_bridge.store.event_codec import event_body, event_from_json, event_to_json
from support import PARIS

SUBJECT = "suivant.site.mairie-a.events"
texts = st.text(st.characters(blacklist_categories=("Cs",)), max_size=30)
times = st.datetimes(datetime(2020, 1, 1), datetime(2030, 1, 1)).map(
    lambda d: d.replace(tzinfo=PARIS))
events = st.one_of(
    st.builds(e.TicketIssued, texts, texts, st.integers(1, 999), texts,
              st.none() | texts, times, st.lists(texts, max_size=3).map(tuple)),
    st.builds(e.TicketCalled, texts, st.integers(1, 200), times),
    st.builds(e.DayStarted, times.map(lambda d: d.date()), times,
              st.lists(texts, max_size=3).map(tuple)),
    st.builds(e.FeedbackGiven, st.integers(1, 4), st.none() | st.integers(1, 200),
              st.none() | texts, times),
)


def encoded(event, seq=5, prev=4) -> bytes:
    body = event_body(event)
    return wire.encode_event("mairie-a", seq, prev, "2026-12-07", type(event).__name__,
                             body["at"], event_to_json(event))


@settings(max_examples=200)
@given(events, st.integers(1, 2 ** 40))
def test_an_event_comes_back_as_the_site_stored_it(event, seq):
    got = wire.decode_event(SUBJECT, encoded(event, seq, seq - 1))
    assert (got["site"], got["seq"], got["prev"], got["type"]) == \
        ("mairie-a", seq, seq - 1, type(event).__name__)
    assert event_from_json(got["type"], got["body"], PARIS) == event


@settings(max_examples=300)
@given(events, st.data())
def test_damage_is_refused_with_a_reason_or_reads_as_a_valid_event(event, data):
    payload = bytearray(encoded(event))
    for _ in range(data.draw(st.integers(1, 4))):
        i = data.draw(st.integers(0, len(payload) - 1))
        payload[i] = data.draw(st.integers(0, 255))
    try:
        got = wire.decode_event(SUBJECT, bytes(payload))
    except wire.WireError as refused:
        assert refused.reason in {"malformed", "wrong_site", "unknown_version", "too_large"}
        return
    # accepted: then it is a whole, readable event of this site
    assert got["site"] == "mairie-a"
    event_from_json(got["type"], got["body"], PARIS)


@given(st.binary(max_size=300))
def test_any_bytes_at_all(payload):
    try:
        wire.decode_event(SUBJECT, payload)
    except wire.WireError:
        pass


def test_subjects_name_one_site_and_only_known_verbs():
    assert wire.site_of_subject("suivant.site.mairie-a.events", "events") == "mairie-a"
    assert wire.request_of_subject("suivant.central.history.mairie-a") == ("history", "mairie-a")
    for bad in ("suivant.site.*.events", "suivant.site.Mairie.events", "suivant.site.a.b.events",
                "suivant.site.a.state"):
        try:
            wire.site_of_subject(bad, "events")
        except wire.WireError as refused:
            assert refused.reason == "bad_subject"
        else:
            raise AssertionError(bad)
    for bad in ("suivant.central.delete.mairie-a", "suivant.central.cursor"):
        try:
            wire.request_of_subject(bad)
        except wire.WireError:
            pass
        else:
            raise AssertionError(bad)


def test_a_body_must_be_the_event_s_own_fields_of_their_types():
    event = e.TicketCalled("t1", 2, datetime(2026, 12, 7, 9, tzinfo=PARIS))
    good = json.loads(encoded(event))
    for change in ({"counter": "2"}, {"counter": True}, {"ticket_id": None}, {"extra": 1},
                   {"at": "2026-12-07T10:00:00+01:00"}):
        bad = {**good, "body": {**good["body"], **change}}
        try:
            wire.decode_event(SUBJECT, json.dumps(bad).encode())
        except wire.WireError as refused:
            assert refused.reason == "malformed"
        else:
            raise AssertionError(change)
    # a field added since may be missing, as in a site's older rows: TicketIssued without needs
    issued = json.loads(encoded(e.TicketIssued("t", "accueil", 1, "A001", None,
                                               datetime(2026, 12, 7, 9, tzinfo=PARIS))))
    del issued["body"]["needs"]
    assert wire.decode_event(SUBJECT, json.dumps(issued).encode())["type"] == "TicketIssued"
