"""The HTTP API for tickets and counters, through FastAPI's TestClient on the real app.

Every refused request is checked twice: for its answer (status, stable error code, readable
message) and for its absence of effect (services, counters and the event store unchanged).
"""
from __future__ import annotations

import pytest
from fastapi.testclient import TestClient


from support import ADMIN, AGENT, SUPERVISOR

COUNTER_ACTIONS = ("open", "resume", "next", "recall", "absent", "finish", "pause", "close")


@pytest.fixture
def day_started(client):
    """Counter 2 (état civil, accueil) open: the business day has begun."""
    r = client.post("/api/counters/2/open", headers=AGENT)
    assert r.status_code == 200, r.text
    return client


def snapshot(client: TestClient, bridge) -> tuple:
    services = client.get("/api/services")
    counters = client.get("/api/counters")
    assert services.status_code == counters.status_code == 200
    return services.json(), counters.json(), bridge.service.store.last_seq()


def refused(client: TestClient, bridge, method: str, url: str, status: int,
            code: str | None = None, **kwargs):
    """Send a request that must be refused; check its answer and that nothing changed."""
    before = snapshot(client, bridge)
    r = client.request(method, url, **kwargs)
    assert r.status_code == status, r.text
    body = r.json()
    if code is not None:
        assert body["error"] == code, body
    assert isinstance(body["message"], str) and body["message"].strip(), body
    assert snapshot(client, bridge) == before, f"{method} {url} was refused but changed state"
    return body


def issue(client: TestClient, service: str = "etat-civil", **kwargs) -> dict:
    r = client.post("/api/tickets", json={"service": service, **kwargs})
    assert r.status_code == 201, r.text
    return r.json()["ticket"]


def waiting(client: TestClient, service: str) -> int:
    return next(s["waiting"] for s in client.get("/api/services").json()["services"]
                if s["id"] == service)


def counter(client: TestClient, number: int) -> dict:
    r = client.get(f"/api/counters/{number}")
    assert r.status_code == 200, r.text
    return r.json()


# ----- tickets ---------------------------------------------------------------------------------

def test_issuing_a_ticket_answers_201_with_its_label_place_and_estimate(day_started):
    client = day_started
    r = client.post("/api/tickets", json={"service": "etat-civil"})
    assert r.status_code == 201, r.text
    first = r.json()["ticket"]
    assert first["label"] == "C001"
    assert first["status"] == "waiting"
    assert first["ahead"] == 0
    assert first["estimate"]["counters_open"] == 1
    assert 0 <= first["estimate"]["low_minutes"] < first["estimate"]["high_minutes"]

    second = issue(client)
    assert second["label"] == "C002"
    assert second["ahead"] == 1
    assert second["estimate"]["high_minutes"] > first["estimate"]["high_minutes"]
    assert second["id"] != first["id"] and len(second["id"]) >= 16
    assert waiting(client, "etat-civil") == 2


def test_a_ticket_issued_while_no_counter_serves_its_service_has_no_estimate(client):
    ticket = issue(client, "urbanisme")
    assert ticket["label"] == "U001"
    assert ticket["ahead"] == 0
    assert ticket["estimate"] is None


def test_a_priority_ticket_goes_ahead_of_ordinary_ones(day_started):
    issue(day_started)
    prio = issue(day_started, category="cmi")
    assert prio["category"] == "cmi"
    assert prio["ahead"] == 0


def test_a_ticket_can_be_read_back_by_its_id(day_started):
    issue(day_started)
    ticket = issue(day_started)
    r = day_started.get(f"/api/tickets/{ticket['id']}")
    assert r.status_code == 200
    read = r.json()["ticket"]
    assert read["id"] == ticket["id"]
    assert read["label"] == "C002"
    assert read["status"] == "waiting"
    assert read["ahead"] == 1


def test_cancelling_a_waiting_ticket_takes_it_out_of_the_queue(day_started, bridge):
    client = day_started
    ticket = issue(client)
    r = client.post(f"/api/tickets/{ticket['id']}/cancel")
    assert r.status_code == 200, r.text
    assert r.json()["ticket"]["status"] == "cancelled"
    assert waiting(client, "etat-civil") == 0
    assert client.get(f"/api/tickets/{ticket['id']}").json()["ticket"]["status"] == "cancelled"
    refused(client, bridge, "POST", f"/api/tickets/{ticket['id']}/cancel", 409, "ticket_not_waiting")


def test_an_unknown_ticket_is_404_whether_read_or_cancelled(day_started, bridge):
    assert day_started.get("/api/tickets/doesnotexist").json()["error"] == "unknown_ticket"
    assert day_started.get("/api/tickets/doesnotexist").status_code == 404
    refused(day_started, bridge, "POST", "/api/tickets/doesnotexist/cancel", 404, "unknown_ticket")


@pytest.mark.parametrize("ticket_id", ["a" * 65, "has.dot", "sp%20ace"])
def test_a_malformed_ticket_id_is_refused_with_422(day_started, bridge, ticket_id):
    refused(day_started, bridge, "POST", f"/api/tickets/{ticket_id}/cancel", 422, "invalid_request")
    assert day_started.get(f"/api/tickets/{ticket_id}").status_code == 422


def test_issuing_for_an_unknown_service_is_404_and_changes_nothing(day_started, bridge):
    body = refused(day_started, bridge, "POST", "/api/tickets", 404, "unknown_service",
                   json={"service": "piscine"})
    assert "piscine" in body["message"]


def test_issuing_with_an_unknown_priority_category_is_404_and_changes_nothing(day_started, bridge):
    refused(day_started, bridge, "POST", "/api/tickets", 404, "unknown_category",
            json={"service": "etat-civil", "category": "vip"})


def test_an_unknown_service_cannot_be_read(client):
    for url in ("/api/services/piscine", "/api/services/piscine/queue"):
        r = client.get(url)
        assert r.status_code == 404, url
        assert r.json()["error"] == "unknown_service"


# ----- invalid bodies --------------------------------------------------------------------------

INVALID_TICKET_BODIES = [
    pytest.param({"json": {"service": "etat-civil", "colour": "red"}}, "colour", "Extra inputs",
                 id="extra-field"),
    pytest.param({"json": {"service": 5}}, "service", "valid string", id="service-is-a-number"),
    pytest.param({"json": {"service": None}}, "service", "valid string", id="service-is-null"),
    pytest.param({"json": {"service": ["etat-civil"]}}, "service", "valid string",
                 id="service-is-a-list"),
    pytest.param({"json": {"service": "etat-civil", "category": 3}}, "category", "valid string",
                 id="category-is-a-number"),
    pytest.param({"json": {"service": "e" * 41}}, "service", "at most 40", id="oversized-service"),
    pytest.param({"json": {"service": "etat-civil", "category": "c" * 1000}}, "category",
                 "at most 40", id="oversized-category"),
    pytest.param({"json": {"service": "Etat Civil"}}, "service", "match pattern",
                 id="service-breaks-the-pattern"),
    pytest.param({"json": {"service": ""}}, "service", "at least 1", id="empty-service"),
    pytest.param({"json": {}}, "service", "Field required", id="no-service"),
    pytest.param({"json": ["etat-civil"]}, "body", "valid dictionary", id="json-array"),
    pytest.param({"content": b"service=etat-civil",
                  "headers": {"Content-Type": "application/json"}}, "", "JSON", id="not-json"),
    pytest.param({"content": b"{\"service\": \"etat-civil\"",
                  "headers": {"Content-Type": "application/json"}}, "", "JSON",
                 id="truncated-json"),
    pytest.param({"content": "{\"service\": \"\u00e9tat-civil\"}".encode("latin-1"),
                  "headers": {"Content-Type": "application/json"}}, "", "body",
                 id="json-not-in-utf8"),
    pytest.param({"content": b"\xb5\x02", "headers": {"Content-Type": "application/json"}}, "",
                 "body", id="binary-garbage"),
    pytest.param({}, "body", "Field required", id="empty-body"),
    pytest.param({"content": b"", "headers": {"Content-Type": "application/json"}}, "body",
                 "Field required", id="empty-json-body"),
]


@pytest.mark.parametrize("request_kwargs, field, reason", INVALID_TICKET_BODIES)
def test_an_invalid_ticket_body_is_refused_with_422_and_a_clear_message(
        day_started, bridge, request_kwargs, field, reason):
    body = refused(day_started, bridge, "POST", "/api/tickets", 422, "invalid_request",
                   **request_kwargs)
    assert field in body["message"]
    assert reason in body["message"]


INVALID_TRANSFER_BODIES = [
    pytest.param({"json": {"service": "urbanisme", "category": "cmi"}}, "category", "Extra inputs",
                 id="extra-field"),
    pytest.param({"json": {"service": 7}}, "service", "valid string", id="service-is-a-number"),
    pytest.param({"json": {"service": {"id": "urbanisme"}}}, "service", "valid string",
                 id="service-is-an-object"),
    pytest.param({"json": {"service": "u" * 41}}, "service", "at most 40", id="oversized-service"),
    pytest.param({"json": {"service": "-urbanisme"}}, "service", "match pattern",
                 id="service-breaks-the-pattern"),
    pytest.param({"json": {}}, "service", "Field required", id="no-service"),
    pytest.param({"json": "urbanisme"}, "body", "valid dictionary", id="json-string"),
    pytest.param({"content": b"urbanisme", "headers": {"Content-Type": "application/json"}}, "",
                 "JSON", id="not-json"),
    pytest.param({}, "body", "Field required", id="empty-body"),
]


@pytest.mark.parametrize("request_kwargs, field, reason", INVALID_TRANSFER_BODIES)
def test_an_invalid_transfer_body_is_refused_with_422_and_a_clear_message(
        day_started, bridge, request_kwargs, field, reason):
    issue(day_started)
    assert day_started.post("/api/counters/2/next", headers=AGENT).status_code == 200
    headers = {**AGENT, **request_kwargs.pop("headers", {})}
    body = refused(day_started, bridge, "POST", "/api/counters/2/transfer", 422, "invalid_request",
                   headers=headers, **request_kwargs)
    assert field in body["message"]
    assert reason in body["message"]
    assert counter(day_started, 2)["ticket"]["label"] == "C001"


# ----- counters --------------------------------------------------------------------------------

def test_an_agent_runs_a_counter_through_open_next_recall_absent_finish_transfer_pause_close(
        client, bridge, clock):
    rules = bridge.settings.site.rules
    r = client.post("/api/counters/1/open", headers=AGENT)
    assert r.status_code == 200, r.text
    assert r.json()["counter"]["status"] == "open"
    assert r.json()["counter"]["ticket"] is None

    c1, c2, c3 = issue(client), issue(client), issue(client)
    assert counter(client, 1)["waiting"] == 3

    r = client.post("/api/counters/1/next", headers=AGENT)
    assert r.status_code == 200, r.text
    assert r.json()["counter"]["ticket"]["label"] == "C001"
    called = client.get(f"/api/tickets/{c1['id']}").json()["ticket"]
    assert called["status"] == "called" and called["counter"] == 1
    assert waiting(client, "etat-civil") == 2

    # too soon after the call: refused, and nothing moves
    refused(client, bridge, "POST", "/api/counters/1/recall", 409, "recall_refused", headers=AGENT)
    clock.advance(rules.recall_min_delay_seconds + 1)
    r = client.post("/api/counters/1/recall", headers=AGENT)
    assert r.status_code == 200, r.text
    assert r.json()["counter"]["ticket"]["recalls"] == 1

    r = client.post("/api/counters/1/absent", headers=AGENT)
    assert r.status_code == 200, r.text
    assert r.json()["counter"]["ticket"] is None
    assert client.get(f"/api/tickets/{c1['id']}").json()["ticket"]["status"] == "absent"

    clock.advance(rules.guard_seconds + 1)
    assert client.post("/api/counters/1/next", headers=AGENT).json()["counter"]["ticket"]["label"] == "C002"
    clock.advance(60)
    r = client.post("/api/counters/1/finish", headers=AGENT)
    assert r.status_code == 200, r.text
    assert r.json()["counter"]["ticket"] is None
    assert client.get(f"/api/tickets/{c2['id']}").json()["ticket"]["status"] == "served"
    refused(client, bridge, "POST", "/api/counters/1/finish", 409, "no_current_ticket", headers=AGENT)

    clock.advance(rules.guard_seconds + 1)
    assert client.post("/api/counters/1/next", headers=AGENT).json()["counter"]["ticket"]["label"] == "C003"
    r = client.post("/api/counters/1/transfer", json={"service": "urbanisme"}, headers=AGENT)
    assert r.status_code == 200, r.text
    assert r.json()["counter"]["ticket"] is None
    moved = client.get(f"/api/tickets/{c3['id']}").json()["ticket"]
    assert moved["service"] == "urbanisme" and moved["status"] == "waiting"
    assert moved["label"] == "C003"
    assert waiting(client, "urbanisme") == 1 and waiting(client, "etat-civil") == 0

    r = client.post("/api/counters/1/pause", headers=AGENT)
    assert r.status_code == 200 and r.json()["counter"]["status"] == "paused"
    r = client.post("/api/counters/1/resume", headers=AGENT)
    assert r.status_code == 200 and r.json()["counter"]["status"] == "open"
    r = client.post("/api/counters/1/close", headers=AGENT)
    assert r.status_code == 200 and r.json()["counter"]["status"] == "closed"
    assert counter(client, 1)["status"] == "closed"


def test_next_on_an_empty_queue_calls_nobody(day_started):
    r = day_started.post("/api/counters/2/next", headers=AGENT)
    assert r.status_code == 200
    assert r.json()["counter"]["ticket"] is None


def test_a_second_next_within_the_guard_time_answers_the_same_ticket(day_started, bridge):
    for _ in range(2):
        issue(day_started)
    first = day_started.post("/api/counters/2/next", headers=AGENT).json()["counter"]["ticket"]
    before = snapshot(day_started, bridge)
    again = day_started.post("/api/counters/2/next", headers=AGENT).json()["counter"]["ticket"]
    assert again["label"] == first["label"] == "C001"
    assert snapshot(day_started, bridge) == before


def test_closing_a_counter_finishes_its_current_ticket(day_started):
    ticket = issue(day_started)
    day_started.post("/api/counters/2/next", headers=AGENT)
    assert day_started.post("/api/counters/2/close", headers=AGENT).status_code == 200
    assert day_started.get(f"/api/tickets/{ticket['id']}").json()["ticket"]["status"] == "served"


def test_an_admin_may_act_at_a_counter(day_started):
    r = day_started.post("/api/counters/3/open", headers=ADMIN)
    assert r.status_code == 200
    assert r.json()["counter"]["status"] == "open"


@pytest.mark.parametrize("action", ["next", "recall", "absent", "finish", "pause"])
def test_next_and_other_actions_on_a_closed_counter_are_refused_with_409(day_started, bridge, action):
    refused(day_started, bridge, "POST", f"/api/counters/3/{action}", 409, "counter_closed",
            headers=AGENT)


def test_transfer_at_a_closed_counter_is_refused_with_409(day_started, bridge):
    refused(day_started, bridge, "POST", "/api/counters/3/transfer", 409, "counter_closed",
            headers=AGENT, json={"service": "urbanisme"})


def test_transfer_to_an_unknown_service_is_404_and_keeps_the_ticket_at_the_counter(day_started, bridge):
    issue(day_started)
    day_started.post("/api/counters/2/next", headers=AGENT)
    refused(day_started, bridge, "POST", "/api/counters/2/transfer", 404, "unknown_service",
            headers=AGENT, json={"service": "piscine"})
    assert counter(day_started, 2)["ticket"]["label"] == "C001"


def test_transfer_to_the_tickets_own_service_is_refused_with_409(day_started, bridge):
    issue(day_started)
    day_started.post("/api/counters/2/next", headers=AGENT)
    refused(day_started, bridge, "POST", "/api/counters/2/transfer", 409, "same_service",
            headers=AGENT, json={"service": "etat-civil"})


@pytest.mark.parametrize("action", COUNTER_ACTIONS + ("transfer",))
def test_an_unknown_counter_is_404_unknown_counter(day_started, bridge, action):
    body = refused(day_started, bridge, "POST", f"/api/counters/9/{action}", 404, "unknown_counter",
                   headers=AGENT, json={"service": "urbanisme"} if action == "transfer" else None)
    assert "9" in body["message"]


def test_reading_an_unknown_counter_is_404_unknown_counter(client):
    r = client.get("/api/counters/9")
    assert r.status_code == 404
    assert r.json()["error"] == "unknown_counter"


@pytest.mark.parametrize("number", ["0", "1000", "-1", "two", "1.5"])
def test_a_counter_number_out_of_range_or_not_a_number_is_422(day_started, bridge, number):
    refused(day_started, bridge, "POST", f"/api/counters/{number}/next", 422, "invalid_request",
            headers=AGENT)


# ----- who may act -----------------------------------------------------------------------------

STAFF_ACTIONS = [pytest.param(f"/api/counters/2/{a}", None, id=a) for a in COUNTER_ACTIONS] + [
    pytest.param("/api/counters/2/transfer", {"service": "urbanisme"}, id="transfer")]


@pytest.mark.parametrize("url, body", STAFF_ACTIONS)
def test_a_staff_action_without_a_token_is_401(day_started, bridge, url, body):
    before = snapshot(day_started, bridge)
    r = day_started.post(url, json=body)
    assert r.status_code == 401
    assert r.json()["error"] == "unauthorized"
    assert r.headers["WWW-Authenticate"] == "Bearer"
    assert "Bearer" in r.json()["message"]
    assert snapshot(day_started, bridge) == before


@pytest.mark.parametrize("authorization", ["Bearer wrong-token", "Bearer ", "Basic ZGVtbzpkZW1v",
                                           "demo-agent", "bearer demo-agent"])
@pytest.mark.parametrize("url, body", STAFF_ACTIONS)
def test_a_staff_action_with_a_bad_token_is_401(day_started, bridge, url, body, authorization):
    refused(day_started, bridge, "POST", url, 401, "unauthorized",
            headers={"Authorization": authorization}, json=body)


@pytest.mark.parametrize("url, body", STAFF_ACTIONS)
def test_a_supervisor_token_may_not_act_at_a_counter(day_started, bridge, url, body):
    body = refused(day_started, bridge, "POST", url, 403, "forbidden", headers=SUPERVISOR, json=body)
    assert "supervisor" in body["message"]


def test_a_refused_token_is_refused_before_the_body_is_trusted(day_started, bridge):
    """Without a token, even a well-formed transfer to a real service is not applied."""
    issue(day_started)
    day_started.post("/api/counters/2/next", headers=AGENT)
    refused(day_started, bridge, "POST", "/api/counters/2/transfer", 401, "unauthorized",
            json={"service": "urbanisme"})
    assert counter(day_started, 2)["ticket"]["label"] == "C001"


# ----- idempotency -----------------------------------------------------------------------------

def test_the_same_idempotency_key_twice_issues_one_ticket_and_replays_the_answer(day_started, bridge):
    client = day_started
    key = {"Idempotency-Key": "kiosk-1:7f3e9c2a-0001"}
    first = client.post("/api/tickets", json={"service": "etat-civil"}, headers=key)
    assert first.status_code == 201
    assert "replayed" not in first.json()
    seq = bridge.service.store.last_seq()

    second = client.post("/api/tickets", json={"service": "etat-civil"}, headers=key)
    assert second.status_code == 201
    assert second.json()["replayed"] is True
    assert second.json()["ticket"]["id"] == first.json()["ticket"]["id"]
    assert second.json()["ticket"]["label"] == "C001"
    assert waiting(client, "etat-civil") == 1
    assert bridge.service.store.last_seq() == seq

    other = client.post("/api/tickets", json={"service": "etat-civil"},
                        headers={"Idempotency-Key": "kiosk-1:7f3e9c2a-0002"})
    assert other.json()["ticket"]["label"] == "C002"
    assert waiting(client, "etat-civil") == 2


def test_an_idempotency_key_reused_for_another_request_is_refused_and_changes_nothing(
        day_started, bridge):
    """Issue 10: asking for urbanisme with the key of an accueil ticket gave the accueil
    ticket back, silently."""
    client = day_started
    key = {"Idempotency-Key": "kiosk-1:7f3e9c2a-0003"}
    first = client.post("/api/tickets", json={"service": "etat-civil"}, headers=key)
    assert first.status_code == 201
    seq = bridge.service.store.last_seq()
    other = client.post("/api/tickets", json={"service": "urbanisme"}, headers=key)
    assert other.status_code == 422
    assert other.json()["error"] == "idempotency_key_reused"
    assert bridge.service.store.last_seq() == seq
    again = client.post("/api/tickets", json={"service": "etat-civil"}, headers=key)
    assert again.json()["ticket"]["id"] == first.json()["ticket"]["id"]


def test_the_same_idempotency_key_twice_calls_the_next_ticket_once(day_started, bridge, clock):
    client = day_started
    for _ in range(2):
        issue(client)
    key = {**AGENT, "Idempotency-Key": "counter-2-press-0042"}
    first = client.post("/api/counters/2/next", headers=key).json()
    clock.advance(60)  # well past the double-press guard: only the key protects now
    second = client.post("/api/counters/2/next", headers=key).json()
    assert second["replayed"] is True
    assert second["counter"]["ticket"]["label"] == first["counter"]["ticket"]["label"] == "C001"
    assert waiting(client, "etat-civil") == 1


@pytest.mark.parametrize("key", ["", "a-15-char-key-x", "has space in the middle", "k" * 101,
                                 "tab\there-and-more-text", "caf\xe9-caf\xe9-caf\xe9-caf\xe9"])
def test_an_invalid_idempotency_key_is_refused_with_422(day_started, bridge, key):
    body = refused(day_started, bridge, "POST", "/api/tickets", 422, "invalid_request",
                   json={"service": "etat-civil"},
                   headers={"Idempotency-Key": key.encode("latin-1")})
    assert "Idempotency-Key" in body["message"]


def test_an_invalid_idempotency_key_is_refused_on_a_counter_action_too(day_started, bridge):
    refused(day_started, bridge, "POST", "/api/counters/2/next", 422, "invalid_request",
            headers={**AGENT, "Idempotency-Key": "k" * 101})


@pytest.mark.parametrize("key", ["0123456789abcdef", "~" * 100,
                                 "6f1c2d3e-4b5a-4c6d-8e7f-901a2b3c4d5e"])
def test_an_idempotency_key_of_16_to_100_printable_characters_is_accepted(day_started, key):
    r = day_started.post("/api/tickets", json={"service": "etat-civil"},
                         headers={"Idempotency-Key": key})
    assert r.status_code == 201
    assert "replayed" not in r.json()


def test_a_citizens_key_and_an_agents_identical_key_do_not_replay_each_other(day_started):
    key = "6f1c2d3e-4b5a-4c6d-8e7f-901a2b3c4d5e"
    ticket = day_started.post("/api/tickets", json={"service": "etat-civil"},
                              headers={"Idempotency-Key": key})
    assert ticket.status_code == 201
    call = day_started.post("/api/counters/2/next", headers={**AGENT, "Idempotency-Key": key})
    assert call.status_code == 200
    assert "replayed" not in call.json()
    assert call.json()["counter"]["ticket"]["label"] == "C001"


# ----- refusals when the day has not started yet -----------------------------------------------

def test_a_refused_request_on_a_fresh_database_writes_nothing(client, bridge):
    """The very first request of the day is refused: the store must stay empty."""
    refused(client, bridge, "POST", "/api/tickets", 404, "unknown_service",
            json={"service": "piscine"})


def test_a_refused_request_the_next_morning_does_not_expire_yesterdays_tickets(day_started, bridge, clock):
    issue(day_started)
    clock.advance(24 * 3600)
    refused(day_started, bridge, "POST", "/api/counters/3/next", 409, "counter_closed", headers=AGENT)


def test_the_home_page_lists_the_pages_and_leads_to_the_api_documentation(client):
    response = client.get("/", follow_redirects=False)
    assert response.status_code == 200
    # relative to the page's <base href>, the site's root (behind a proxy's prefix too)
    assert '<base href="/">' in response.text
    for page in ("borne", "salle", "guichet", "supervision", "docs"):
        assert f'href="{page}"' in response.text
    assert "Suivant host bridge" in client.get("/openapi.json").text
