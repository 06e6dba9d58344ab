"""RDV Service Public's webhooks: the signature, the age, the replays and the payload's reading
(pure functions), then the endpoint behind a real uvicorn with the bridge's whole app.

The payloads are shaped as RDV-SP makes them (RdvBlueprint rendered with root :data and
meta {model, event, webhook_reason, timestamp}: betagouv/rdv-service-public,
app/models/concerns/webhook_deliverable.rb), and signed as its WebhookJob signs them.
"""
from __future__ import annotations

import dataclasses
import json
from datetime import datetime, timedelta

import pytest
from hypothesis import given, settings as hsettings, strategies as st

from host_bridge.appointments.model import Appointment, Status
from host_bridge.appointments.rdv_service_public import PATH, build
from host_bridge.appointments.rdv_service_public import webhook as w
from host_bridge.appointments.rdv_service_public.freshness import FUTURE_SKEW, Freshness
from host_bridge.appointments.rdv_service_public.settings import Settings
from host_bridge.service.clock import ManualClock
from host_bridge.site_config import load
from live_server import running_server
from support import EXAMPLE, PARIS

SECRET = b"un-secret-partage-de-32-caracteres"
NOW = datetime(2026, 11, 26, 10, 0, tzinfo=PARIS)
SETTINGS = Settings(secret=SECRET, motifs={"1234": "passeports-cni"}, lieux=frozenset({"56"}))


def rdv(id=4242, starts_at="2026-11-26T10:30:00.000+01:00", status="unknown", motif=1234,
        lieu=56, user=None, **extra) -> dict:
    user = user if user is not None else {
        "id": 9, "first_name": "Jeanne", "last_name": "Durand", "birth_name": None,
        "email": "jeanne.durand@example.fr", "phone_number": "0611223344",
        "ants_pre_demande_number": "abcde12345"}
    return {"id": id, "uuid": "5f0c8a3e-6a43-4a4e-9a43-0c1f6f1d2b7a", "status": status,
            "starts_at": starts_at, "ends_at": starts_at, "duration_in_min": 15,
            "address": "1 place de la Mairie", "context": None, "cancelled_at": None,
            "max_participants_count": None, "users_count": 1, "name": None, "collectif": False,
            "created_by": "user", "created_by_type": "User", "created_by_id": 9,
            "url_for_agents": "https://rdv.anct.gouv.fr/admin/organisations/3/rdvs/4242",
            "organisation": {"id": 3, "name": "Mairie de Villeneuve"},
            "motif": {"id": motif, "name": "Passeport", "location_type": "public_office"},
            "users": [user], "participations": [{"id": 1, "status": status, "user": user}],
            "agents": [{"id": 2, "first_name": "Paul", "last_name": "Agent"}],
            "lieu": None if lieu is None else {"id": lieu, "name": "Mairie", "address": "..."},
            **extra}


def message(data: dict | None = None, event="updated", sent: datetime = NOW, model="Rdv") -> dict:
    return {"data": data if data is not None else rdv(),
            "meta": {"model": model, "event": event, "webhook_reason": None,
                     "timestamp": sent.isoformat(timespec="milliseconds")}}


def body_of(payload: dict) -> bytes:
    return json.dumps(payload).encode()


# --- the signature -------------------------------------------------------------------------

def test_a_body_signed_with_the_secret_is_accepted_whatever_the_case_of_its_hex():
    body = body_of(message())
    assert w.verify(SECRET, body, w.sign(SECRET, body).upper()) == w.sign(SECRET, body)


@pytest.mark.parametrize("signature", [None, "", "00" * 32, "not hex at all", "é" * 64])
def test_a_missing_or_wrong_signature_is_refused_401(signature):
    with pytest.raises(w.Refused) as refused:
        w.verify(SECRET, body_of(message()), signature)
    assert refused.value.status == 401


@hsettings(max_examples=200, deadline=None)
@given(body=st.binary(max_size=2048), secret=st.binary(min_size=1, max_size=64),
       other=st.binary(min_size=1, max_size=64), flip=st.integers(0, 63))
def test_verify_accepts_exactly_the_bodys_hmac_with_the_secret(body, secret, other, flip):
    good = w.sign(secret, body)
    assert w.verify(secret, body, good) == good
    tampered = good[:flip] + ("0" if good[flip] != "0" else "1") + good[flip + 1:]
    for wrong in (tampered, good[:-1], good + "0"):
        with pytest.raises(w.Refused):
            w.verify(secret, body, wrong)
    if other != secret:
        with pytest.raises(w.Refused):
            w.verify(other, body, good)
    if body:
        with pytest.raises(w.Refused):
            w.verify(secret, body[:-1], good)


# --- age and replays -------------------------------------------------------------------------

def test_a_message_older_than_max_age_or_from_the_future_is_stale_408():
    fresh = Freshness(timedelta(minutes=10))
    for sent in (NOW - timedelta(minutes=11), NOW + timedelta(minutes=2)):
        with pytest.raises(w.Refused) as refused:
            fresh.admit("a" * 64, "1", sent, NOW)
        assert refused.value.status == 408


def test_the_same_message_twice_is_a_replay_409_unless_the_first_was_undone():
    fresh = Freshness(timedelta(minutes=10))
    fresh.admit("a" * 64, "1", NOW, NOW)
    with pytest.raises(w.Refused) as refused:
        fresh.admit("a" * 64, "1", NOW, NOW + timedelta(seconds=5))
    assert refused.value.status == 409
    fresh.admit("b" * 64, "2", NOW, NOW).undo()  # not applied (the list failed): a retry is taken
    fresh.admit("b" * 64, "2", NOW, NOW + timedelta(seconds=16))


def test_an_older_message_than_one_applied_for_the_same_rdv_is_superseded():
    fresh = Freshness(timedelta(minutes=10))
    assert not fresh.admit("b" * 64, "7", NOW, NOW).superseded
    assert fresh.admit("a" * 64, "7", NOW - timedelta(seconds=30), NOW).superseded
    assert not fresh.admit("c" * 64, "8", NOW - timedelta(seconds=30), NOW).superseded


def test_undoing_a_failed_message_keeps_a_newer_one_taken_meanwhile():
    fresh = Freshness(timedelta(minutes=10))
    failed = fresh.admit("a" * 64, "7", NOW - timedelta(seconds=20), NOW)
    fresh.admit("b" * 64, "7", NOW - timedelta(seconds=10), NOW)
    failed.undo()
    assert fresh.admit("c" * 64, "7", NOW - timedelta(seconds=15), NOW).superseded


def test_the_memory_of_messages_is_bounded_and_forgets_what_is_stale_anyway():
    fresh = Freshness(timedelta(minutes=10), capacity=50)
    for i in range(500):
        fresh.admit(f"{i:064x}", str(i), NOW, NOW)
    assert len(fresh._seen) == 50 and len(fresh._latest) == 50
    fresh.admit("f" * 64, "x", NOW + timedelta(minutes=11), NOW + timedelta(minutes=11))
    assert len(fresh._seen) == 1 and len(fresh._latest) == 1


# --- reading the payload ---------------------------------------------------------------------

def test_an_rdv_of_a_mapped_motif_becomes_an_appointment_with_only_initials_kept():
    change = w.parse(message(), SETTINGS, NOW)
    assert change == w.Upsert(Appointment(
        source="rdv-service-public", external_id="4242", service="passeports-cni",
        at=datetime(2026, 11, 26, 10, 30, tzinfo=PARIS), code="4242", ants="ABCDE12345",
        initials="DJ", status=Status.BOOKED))


def test_initials_are_kept_as_the_other_sources_keep_them():
    assert w.initials("Élégant-Dupré", "Ève Marie") == "EDE"  # keys.initials_of: 3 at most
    assert w.initials(None, "Zoé") == "Z"
    assert w.initials("", None) is None


@pytest.mark.parametrize("status", ["excused", "revoked"])
def test_an_rdv_cancelled_in_rdvsp_is_cancelled_here(status):
    assert w.parse(message(rdv(status=status)), SETTINGS, NOW) == w.Cancel("4242")


def test_a_deleted_rdv_is_cancelled_here():
    assert w.parse(message(event="destroyed"), SETTINGS, NOW) == w.Cancel("4242")


@pytest.mark.parametrize("data, reason", [
    (rdv(motif=999), "unmapped_motif"),
    (rdv(lieu=57), "other_place"),
    (rdv(lieu=None), "other_place"),
    (rdv(collectif=True), "collective"),
    (rdv(starts_at="2026-11-25T10:30:00+01:00"), "past_day"),
    (rdv(starts_at="2027-06-01T10:30:00+02:00"), "beyond_horizon"),
    (rdv(status="seen"), "outcome_known"),
])
def test_rdvs_this_site_does_not_keep_are_ignored(data, reason):
    change = w.parse(message(data, event="created"), SETTINGS, NOW)
    assert change == w.Ignore(reason)


def test_an_rdv_changed_to_another_motif_leaves_the_list():
    assert w.parse(message(rdv(motif=999)), SETTINGS, NOW) == w.Ignore("unmapped_motif", "4242")


def test_the_code_can_be_the_uuid_or_nothing():
    uuid = w.parse(message(), dataclasses.replace(SETTINGS, code="uuid"), NOW)
    none = w.parse(message(), dataclasses.replace(SETTINGS, code="none"), NOW)
    assert uuid.appointment.code == "5F0C8A3E6A434A4E9A430C1F6F1D2B7A"  # as check-in compares
    assert none.appointment.code is None


def test_a_bad_ants_number_is_dropped_but_the_rdv_kept():
    user = {"first_name": "Jeanne", "last_name": "Durand", "ants_pre_demande_number": "12-34"}
    assert w.parse(message(rdv(user=user)), SETTINGS, NOW).appointment.ants is None


def _without(path: str) -> dict:
    payload = message()
    *parents, last = path.split(".")
    target = payload
    for p in parents:
        target = target[p]
    del target[last]
    return payload


@pytest.mark.parametrize("payload", [
    _without("data.id"), _without("data.motif"), _without("data.starts_at"),
    message(rdv(id="12a")), message(rdv(id=True)), message(rdv(starts_at="2026-11-26T10:30:00")),
    message(rdv(starts_at="demain")), message(rdv(status="perdu")), message(event="moved"),
])
def test_a_malformed_rdv_is_refused_422(payload):
    with pytest.raises(w.Refused) as refused:
        w.parse(payload, SETTINGS, NOW)
    assert refused.value.status == 422


@pytest.mark.parametrize("body", [b"", b"{", b"\xff\xfe", b"[]", b'{"data": {}}',
                                  b'{"data": [], "meta": {}}', b"[" * 100_000])
def test_a_body_that_is_not_a_webhook_object_is_refused_422(body):
    with pytest.raises(w.Refused) as refused:
        w.decode(body)
    assert refused.value.status == 422


@pytest.mark.parametrize("timestamp", [None, 12, "hier", "2026-11-26T10:00:00"])
def test_a_message_without_a_dated_timestamp_is_refused_422(timestamp):
    payload = message()
    payload["meta"]["timestamp"] = timestamp
    with pytest.raises(w.Refused) as refused:
        w.sent_at(payload)
    assert refused.value.status == 422


@hsettings(max_examples=150, deadline=None)
@given(st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=30),
                    lambda inner: st.lists(inner, max_size=4)
                    | st.dictionaries(st.sampled_from(
                        ["id", "motif", "lieu", "starts_at", "status", "users", "participations",
                         "first_name", "last_name", "collectif", "uuid", "ants_pre_demande_number"]),
                        inner, max_size=6), max_leaves=30),
       st.sampled_from(["created", "updated", "destroyed", "x"]))
def test_any_data_is_read_or_refused_422_never_an_other_error(data, event):
    payload = {"data": data if isinstance(data, dict) else {"id": data}, "meta": {"model": "Rdv", "event": event}}
    try:
        change = w.parse(payload, SETTINGS, NOW)
    except w.Refused as refused:
        assert refused.status == 422
    else:
        assert isinstance(change, (w.Upsert, w.Cancel, w.Ignore))


# --- the endpoint, behind uvicorn ----------------------------------------------------------

class MemoryList:
    """The appointments' store as the webhook sees it (Sink): upsert and cancel, recorded."""

    def __init__(self):
        self.items: dict[tuple[str, str], Appointment] = {}
        self.calls: list[tuple] = []
        self.fail: Exception | None = None

    def upsert(self, appointment: Appointment) -> None:
        if self.fail:
            raise self.fail
        self.calls.append(("upsert", appointment.external_id))
        self.items[appointment.key] = appointment

    def cancel(self, source: str, external_id: str) -> bool:
        if self.fail:
            raise self.fail
        self.calls.append(("cancel", external_id))
        item = self.items.get((source, external_id))
        if item is None:
            return False
        item.status = Status.CANCELLED
        return True


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    folder = tmp_path_factory.mktemp("rdvsp")
    base = load(EXAMPLE)
    settings = dataclasses.replace(base, db_path=str(folder / "queue.db"),
                                   devices_path=str(folder / "devices.db"))
    clock = ManualClock(NOW)
    store = MemoryList()
    with running_server(settings, clock) as server:
        server.bridge.app.include_router(build(SETTINGS, store, clock, PARIS))
        yield server, clock, store


@pytest.fixture
def hook(site):
    server, clock, store = site
    clock.current = NOW
    store.items.clear()
    store.calls.clear()
    store.fail = None

    def send(payload=None, *, body: bytes | None = None, signature: str | None = "sign",
             headers: dict | None = None):
        raw = body if body is not None else body_of(payload)
        sig = w.sign(SECRET, raw) if signature == "sign" else signature
        head = {"Content-Type": "application/json; charset=utf-8", **(headers or {})}
        if sig is not None:
            head[w.SIGNATURE_HEADER] = sig
        return server.http.post(PATH, content=raw, headers=head)

    send.store, send.clock = store, clock
    return send


def test_a_signed_fresh_rdv_is_put_in_the_list(hook):
    r = hook(message(sent=NOW - timedelta(seconds=3)))
    assert r.status_code == 200 and r.json() == {"applied": True, "change": "upserted"}
    assert hook.store.items[("rdv-service-public", "4242")].initials == "DJ"


def test_then_its_cancellation_cancels_it(hook):
    # each test its own rdv id: the endpoint remembers the messages of the whole module
    assert hook(message(rdv(id=2001), sent=NOW - timedelta(seconds=3))).status_code == 200
    r = hook(message(rdv(id=2001, status="revoked"), sent=NOW))
    assert r.json() == {"applied": True, "change": "cancelled"}
    assert hook.store.items[("rdv-service-public", "2001")].status is Status.CANCELLED


@pytest.mark.parametrize("signature, code", [(None, "signature_missing"),
                                             ("0" * 64, "signature_invalid"),
                                             ("sha256=abc", "signature_invalid")])
def test_unsigned_or_badly_signed_is_401_and_changes_nothing(hook, signature, code):
    r = hook(message(rdv(id=1001)), signature=signature)
    assert (r.status_code, r.json()["error"]) == (401, code)
    assert hook.store.calls == []


def test_signed_with_another_secret_is_401(hook):
    raw = body_of(message(rdv(id=1002)))
    r = hook(body=raw, signature=w.sign(b"another-secret-of-a-stranger", raw))
    assert r.status_code == 401 and hook.store.calls == []


def test_a_stale_message_is_408_and_changes_nothing(hook):
    r = hook(message(rdv(id=1003), sent=NOW - timedelta(minutes=11)))
    assert (r.status_code, r.json()["error"]) == (408, "stale")
    assert hook.store.calls == []


def test_a_replay_is_409_and_applied_once(hook):
    payload = message(rdv(id=1004), sent=NOW - timedelta(seconds=1))
    assert hook(payload).status_code == 200
    hook.clock.advance(30)
    r = hook(payload)
    assert (r.status_code, r.json()["error"]) == (409, "replay")
    assert hook.store.calls == [("upsert", "1004")]


def test_an_old_retry_after_a_newer_change_does_not_undo_it(hook):
    cancelled = message(rdv(id=1005, status="revoked"), sent=NOW - timedelta(seconds=5))
    booked = message(rdv(id=1005), sent=NOW - timedelta(seconds=60))  # RDV-SP's retry, late
    hook(message(rdv(id=1005), sent=NOW - timedelta(seconds=90)))
    assert hook(cancelled).json()["change"] == "cancelled"
    assert hook(booked).json() == {"applied": False, "ignored": "superseded"}
    assert hook.store.items[("rdv-service-public", "1005")].status is Status.CANCELLED


@pytest.mark.parametrize("body", [b"{not json", b"\xff" * 10, b"[]", b'{"meta": {}, "data": 1}'])
def test_a_malformed_body_signed_anyway_is_422_and_changes_nothing(hook, body):
    r = hook(body=body)
    assert r.status_code == 422 and hook.store.calls == []


def test_a_malformed_rdv_is_422_and_changes_nothing(hook):
    r = hook(message(rdv(id=1006, starts_at="26/11/2026 10h30")))
    assert (r.status_code, r.json()["error"]) == (422, "invalid_payload")
    assert "data.starts_at" in r.json()["message"] and hook.store.calls == []


def test_an_unknown_motif_is_answered_200_ignored_and_changes_nothing(hook):
    # a 4xx would make RDV-SP retry it for 8 days: the organisation's other services' rdvs
    # come to the same endpoint
    r = hook(message(rdv(id=1007, motif=999), event="created"))
    assert r.json() == {"applied": False, "ignored": "unmapped_motif"}
    assert hook.store.calls == []


def test_an_rdv_moved_to_an_unknown_motif_leaves_the_list(hook):
    hook(message(rdv(id=1008), sent=NOW - timedelta(seconds=2)))
    r = hook(message(rdv(id=1008, motif=999)))
    assert r.json() == {"applied": True, "change": "forgotten", "ignored": "unmapped_motif"}
    assert hook.store.items[("rdv-service-public", "1008")].status is Status.CANCELLED


def test_an_oversize_body_is_413_before_anything_else(hook):
    payload = message(rdv(id=1009, padding="x" * 300_000))
    r = hook(payload)
    assert r.status_code == 413 and hook.store.calls == []


def test_the_endpoint_caps_bodies_itself_where_the_app_would_take_more(site, hook):
    from host_bridge.api.limits import Limits, configure
    server = site[0]
    configure(server.bridge.app.state, Limits(max_body=1024 * 1024, unlimited_addresses=("127.0.0.1",)))
    try:
        r = hook(message(rdv(id=1010, padding="x" * 300_000)))
        chunked = server.http.post(PATH, content=iter([b"{" + b" " * 200_000] * 2),
                                   headers={w.SIGNATURE_HEADER: "0" * 64})
    finally:
        configure(server.bridge.app.state, Limits(unlimited_addresses=("127.0.0.1",)))
    assert (r.status_code, r.json()["error"]) == (413, "body_too_large")
    assert chunked.status_code == 413 and hook.store.calls == []


def test_a_list_that_cannot_be_written_is_503_and_the_retry_is_taken(hook):
    payload = message(rdv(id=1011), sent=NOW - timedelta(seconds=1))
    hook.store.fail = OSError("disk full")
    assert hook(payload).status_code == 503
    hook.store.fail = None
    hook.clock.advance(16)  # RDV-SP's second attempt
    assert hook(payload).json() == {"applied": True, "change": "upserted"}


def test_a_list_that_refuses_the_rdv_is_422(hook):
    hook.store.fail = ValueError("at most 5000 appointments a day")
    r = hook(message(rdv(id=1012)))
    assert (r.status_code, r.json()["error"]) == (422, "not_applied")
    assert "5000" in r.json()["message"]


def test_messages_about_users_or_absences_are_ignored(hook):
    r = hook(message({"id": 9, "first_name": "Jeanne"}, model="User"))
    assert r.json() == {"applied": False, "ignored": "not_an_rdv"} and hook.store.calls == []


def test_the_endpoint_is_in_the_openapi_document(site):
    server = site[0]
    assert PATH in server.http.get("/openapi.json").json()["paths"]


# --- the memory against a reference model ----------------------------------------------------

from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule  # noqa: E402


class FreshnessMachine(RuleBasedStateMachine):
    """Freshness (bounded, forgetting what is stale) answers as an unbounded reference that
    remembers everything: while under its capacity, forgetting must never change an answer."""

    MAX_AGE = timedelta(minutes=10)

    def __init__(self):
        super().__init__()
        self.fresh = Freshness(self.MAX_AGE, capacity=1000)
        self.now = NOW
        self.seen: set[str] = set()
        self.latest: dict[str, datetime] = {}
        self.claims: list = []

    @rule(seconds=st.integers(0, 400))
    def time_passes(self, seconds):
        self.now += timedelta(seconds=seconds)

    @rule(body=st.integers(0, 30), rdv=st.sampled_from("ABC"), age=st.integers(-90, 900))
    def a_message_comes(self, body, rdv, age):
        # odd: a body sent again as it was (RDV-SP's retry, or a replay): its own timestamp;
        # even: a new message, made `age` seconds ago
        at = NOW + timedelta(seconds=body * 37 % 1200) if body % 2 \
            else self.now - timedelta(seconds=age)
        signature = f"{body:032x}{int(at.timestamp()):032x}"  # the body's HMAC, as far as it goes
        stale = self.now - at > self.MAX_AGE or at - self.now > FUTURE_SKEW
        try:
            claim = self.fresh.admit(signature, rdv, at, self.now)
        except w.Refused as refused:
            expected = 408 if stale else 409
            assert refused.status == expected, (refused.code, stale, signature in self.seen)
            assert stale or signature in self.seen
            return
        assert not stale and signature not in self.seen
        superseded = rdv in self.latest and at < self.latest[rdv]
        assert claim.superseded == superseded
        self.seen.add(signature)
        if not superseded:
            self.claims.append((claim, self.latest.get(rdv)))
            self.latest[rdv] = at

    @precondition(lambda self: self.claims)
    @rule()
    def the_last_one_could_not_be_applied(self):
        claim, previous = self.claims.pop()
        claim.undo()
        self.seen.discard(claim.signature)
        if self.latest.get(claim.rdv_id) == claim.at:
            if previous is None:
                del self.latest[claim.rdv_id]
            else:
                self.latest[claim.rdv_id] = previous

    @invariant()
    def memory_is_bounded(self):
        assert len(self.fresh._seen) <= 1000 and len(self.fresh._latest) <= 1000


FreshnessMachine.TestCase.settings = hsettings(max_examples=100, stateful_step_count=30,
                                               deadline=None)
test_freshness_answers_as_an_unbounded_reference = FreshnessMachine.TestCase
