"""GET /metrics (host_bridge/metrics): the public part for anyone, the staff part for a
supervisor's or administrator's token; gauges read from the queue and the boards at scrape
time; the command path's counts; labels from closed lists only."""
from __future__ import annotations

import time

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from host_bridge.bootstrap import build
from suivant_fw.message import Message, encode
from support import ADMIN, AGENT, SUPERVISOR

KIOSK = {"Authorization": "Bearer demo-borne"}


def scrape(client, headers=None) -> dict[tuple[str, tuple], float]:
    """(sample name, sorted labels) -> value."""
    r = client.get("/metrics", headers=headers or {})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/plain")
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(r.text) for s in family.samples}


def names(samples) -> set[str]:
    return {name for name, _ in samples}


def test_anyone_reads_the_queue_and_only_staff_the_boards_and_refusals(client):
    public = scrape(client)
    assert {"suivant_tickets_waiting", "suivant_longest_wait_seconds",
            "suivant_wait_target_seconds", "suivant_site_open"} <= names(public)
    assert not any(n.startswith(("suivant_device", "suivant_command", "suivant_store",
                                 "suivant_event_stream")) for n in names(public))
    for who in (SUPERVISOR, ADMIN):
        staff = names(scrape(client, who))
        assert {"suivant_devices", "suivant_command_refusals_total",
                "suivant_command_seconds_count", "suivant_store_commit_seconds_count",
                "suivant_event_stream_readers"} <= staff
        assert names(public) <= staff


@pytest.mark.parametrize("headers, status", [
    ({"Authorization": "Bearer not-a-token"}, 401),  # up == 0 in Prometheus: seen, not hidden
    ({"Authorization": "Basic eDp5"}, 401),
    (AGENT, 403), (KIOSK, 403)])
def test_a_wrong_or_lesser_token_is_refused_not_answered_with_less(client, headers, status):
    r = client.get("/metrics", headers=headers)
    assert r.status_code == status
    assert "suivant_" not in r.text


def test_waiting_and_longest_wait_are_read_from_the_queue_at_scrape_time(client, clock):
    assert client.post("/api/tickets", json={"service": "accueil"}).status_code == 201
    clock.advance(3 * 60)
    client.post("/api/tickets", json={"service": "accueil"})
    clock.advance(9 * 60)
    m = scrape(client)
    accueil = (("service", "accueil"),)
    assert m[("suivant_tickets_waiting", accueil)] == 2
    assert m[("suivant_longest_wait_seconds", accueil)] == pytest.approx(12 * 60)
    assert m[("suivant_wait_target_seconds", accueil)] == 10 * 60  # target_wait_minutes = 10
    assert m[("suivant_tickets_waiting", (("service", "urbanisme"),))] == 0
    assert m[("suivant_longest_wait_seconds", (("service", "urbanisme"),))] == 0
    client.post("/api/counters/1/open", headers=AGENT)
    client.post("/api/counters/1/next", headers=AGENT)  # the first, 12 minutes in, is called
    m = scrape(client)
    assert m[("suivant_tickets_waiting", accueil)] == 1
    assert m[("suivant_longest_wait_seconds", accueil)] == pytest.approx(9 * 60)


def test_the_site_open_gauge_follows_the_opening_hours(client, clock):
    assert scrape(client)[("suivant_site_open", ())] == 1  # Thursday 10:00
    clock.advance(150 * 60)  # 12:30: the lunch break
    assert scrape(client)[("suivant_site_open", ())] == 0
    clock.advance(60 * 60)  # 13:30
    assert scrape(client)[("suivant_site_open", ())] == 1


def test_commands_are_counted_by_kind_and_refusals_by_the_domain_s_code(client):
    before = scrape(client, SUPERVISOR)
    client.post("/api/counters/2/next", headers=AGENT)  # closed counter: counter_closed
    client.post("/api/counters/2/open", headers=AGENT)
    client.post("/api/counters/2/recall", headers=AGENT)  # nobody called: refused
    client.post("/api/tickets", json={"service": "etat-civil"})
    after = scrape(client, SUPERVISOR)

    def grew(name, **labels):
        key = (name, tuple(sorted(labels.items())))
        return after[key] - before.get(key, 0)
    assert grew("suivant_command_seconds_count", kind="CallNext") == 1
    assert grew("suivant_command_seconds_count", kind="Recall") == 1
    assert grew("suivant_command_seconds_count", kind="OpenCounter") == 1
    assert grew("suivant_command_seconds_count", kind="IssueTicket") == 1
    assert grew("suivant_command_refusals_total", code="counter_closed") == 1
    refused = sum(v for (n, _), v in after.items() if n == "suivant_command_refusals_total")
    assert refused - sum(v for (n, _), v in before.items()
                         if n == "suivant_command_refusals_total") == 2
    assert grew("suivant_store_commit_seconds_count") == 2  # the open and the ticket
    assert after[("suivant_store_commit_seconds_sum", ())] > 0


def test_labels_come_from_closed_lists_whatever_a_request_says(client):
    """An unknown service, a forged ticket id, a stranger board's id: no new series."""
    before = {k for k in scrape(client, SUPERVISOR)}
    client.post("/api/tickets", json={"service": "x" * 30})
    client.post("/api/tickets/AAAAAAAAAAAAAAAAAAAAAAAA/cancel")
    client.post("/api/counters/99/open", headers=AGENT)
    after = {k for k in scrape(client, SUPERVISOR)}
    new = {k for k in after - before if not k[0].startswith("suivant_device_bad_messages")}
    assert new == set()
    values = " ".join(v for _, labels in after for _, v in labels)
    assert "x" * 30 not in values and "AAAAAAAAAAAA" not in values


def test_boards_online_offline_and_their_bad_lines(bridge, client):
    term = bridge.registry.add("term-2", "counter", 2)
    bridge.registry.add("hall", "hall")
    m = scrape(client, SUPERVISOR)
    assert m[("suivant_devices", (("state", "offline"),))] == 2
    assert m[("suivant_device_online", (("counter", "2"), ("device", "term-2"),
                                        ("role", "counter")))] == 0
    status = encode(Message("status", "term-2", "0badf00d", 1,
                            ("30", "41000", "-67", "1", "0", "38912", "31744")), term.key)
    bridge.gateway.handle_line(status, "mqtt", "term-2")
    bridge.gateway.handle_line(b"SV1|press|term-2|\xff", "mqtt", "term-2")
    bridge.gateway.handle_line(b"garbage", "mqtt", "nobody")
    m = scrape(client, SUPERVISOR)
    assert m[("suivant_device_online", (("counter", "2"), ("device", "term-2"),
                                        ("role", "counter")))] == 1
    assert m[("suivant_device_online", (("counter", ""), ("device", "hall"),
                                        ("role", "hall")))] == 0
    assert (m[("suivant_devices", (("state", "online"),))],
            m[("suivant_devices", (("state", "offline"),))]) == (1, 1)
    assert m[("suivant_device_bad_messages_total", (("reason", "bad_char"),))] == 1
    assert m[("suivant_device_bad_messages_total", (("reason", "bad_magic"),))] == 1
    bridge.gateway.presence("term-2", False)  # its last will
    m = scrape(client, SUPERVISOR)
    assert m[("suivant_devices", (("state", "offline"),))] == 2


def test_two_bridges_in_one_process_count_apart(settings, clock, tmp_path):
    import dataclasses
    other = dataclasses.replace(settings, db_path=str(tmp_path / "other.db"),
                                devices_path=str(tmp_path / "other-devices.db"))
    a, b = build(settings, clock), build(other, clock)
    try:
        with TestClient(a.app) as ca, TestClient(b.app) as cb:
            ca.post("/api/tickets", json={"service": "accueil"})
            key = ("suivant_command_seconds_count", (("kind", "IssueTicket"),))
            assert scrape(ca, SUPERVISOR)[key] == 1
            assert scrape(cb, SUPERVISOR)[key] == 0
    finally:
        a.close()
        b.close()


def test_strangers_inventing_board_ids_are_logged_once_a_minute_not_once_an_id(bridge, caplog):
    caplog.set_level("WARNING", logger="host_bridge.links.device_gateway")
    for i in range(200):
        bridge.gateway.handle_line(f"SV1|hello|ghost-{i}|0badf00d|1|x|0000000000000000".encode(),
                                   "mqtt", f"ghost-{i}")
    lines = [r for r in caplog.records if getattr(r, "event", None) == "bad_device_message"]
    assert len(lines) == 1 and lines[0].reason == "unknown_device"
    assert len(bridge.gateway._logged) == 1
    assert bridge.gateway.rejected["unknown_device"] == 200  # all counted all the same


def test_the_latest_scheduled_backup_and_its_period_are_shown(bridge, client, settings):
    from host_bridge.backup.schedule import ScheduledBackups
    assert not any(n.startswith("suivant_backup") for n in names(scrape(client, SUPERVISOR)))
    backups = bridge.app.state.backups = ScheduledBackups(settings)  # as start_links does
    m = scrape(client, SUPERVISOR)
    assert m[("suivant_backup_period_seconds", ())] == 24 * 3600  # daily, the default
    assert ("suivant_backup_last_ok", ()) not in m  # none taken yet
    client.post("/api/tickets", json={"service": "accueil"})
    backups.run_once()  # a real copy of the live database
    m = scrape(client, SUPERVISOR)
    assert m[("suivant_backup_last_ok", ())] == 1
    assert abs(m[("suivant_backup_last_timestamp_seconds", ())] - time.time()) < 60
    assert not any(n.startswith("suivant_backup") for n in names(scrape(client)))  # staff's
