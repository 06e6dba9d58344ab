"""An appointment time far from today (review of issue 15) is refused as 422 (« not today »),
never a 500. api/appointments.py `_appointment` checks `at.astimezone(tz).date() != today`,
and astimezone raises OverflowError (not ValueError) for a time whose offset takes it past
year 1 or 9999: the REST list (PUT /api/appointments/{service}) and POST /api/appointments
answer 500 with nothing said of which appointment is wrong."""
from __future__ import annotations

from datetime import datetime

import pytest
from fastapi.testclient import TestClient

from host_bridge.appointments import runtime
from host_bridge.bootstrap import build
from host_bridge.service.clock import ManualClock
from support import PARIS, SUPERVISOR, example_settings


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    folder = tmp_path_factory.mktemp("review-appointment-times")
    settings = example_settings(folder)
    bridge = build(settings, ManualClock(datetime(2026, 11, 26, 10, 0, tzinfo=PARIS)))
    appointments = runtime.build(settings, bridge.service, bridge.app)
    with TestClient(bridge.app, raise_server_exceptions=False) as c:
        yield c
    appointments.stop()
    bridge.close()


@pytest.mark.parametrize("when", ["0001-01-01T00:30:00+14:00", "9999-12-31T23:30:00-14:00"])
def test_a_time_out_of_range_is_refused_as_not_today(client, when):
    day = {"appointments": [{"id": "rdv-1", "at": "10:30", "code": "P7K2QX"},
                            {"id": "rdv-2", "at": when, "code": "H4M9TR"}]}
    r = client.put("/api/appointments/passeports-cni", json=day, headers=SUPERVISOR)
    assert r.status_code == 422, r.text
    assert "rdv-2" in r.json()["message"]
    r = client.post("/api/appointments", json={"service": "passeports-cni", **day["appointments"][1]},
                    headers=SUPERVISOR)
    assert r.status_code == 422, r.text
    listed = client.get("/api/appointments", headers=SUPERVISOR).json()["appointments"]
    assert listed == []  # nothing changed


# RDV Service Public's webhook (signed, so only from the booking tool or a leaked secret): a
# starts_at out of range reaches `.astimezone(now.tzinfo)` in webhook.parse and the endpoint
# answers 500, which RDV-SP retries for 8 days instead of a 422 « malformed payload ».
def test_a_webhook_whose_start_is_out_of_range_is_refused_as_malformed():
    from host_bridge.appointments.rdv_service_public import webhook as w
    from host_bridge.appointments.rdv_service_public.settings import Settings
    settings = Settings(secret=b"s" * 32, motifs={"1234": "passeports-cni"})
    now = datetime(2026, 11, 26, 10, 0, tzinfo=PARIS)
    payload = {"meta": {"model": "Rdv", "event": "updated", "timestamp": now.isoformat()},
               "data": {"id": 4242, "status": "unknown", "motif": {"id": 1234},
                        "starts_at": "0001-01-01T00:30:00+14:00", "users": []}}
    with pytest.raises(w.Refused) as refused:
        w.parse(payload, settings, now)
    assert refused.value.status == 422


def test_a_webhook_sent_at_a_time_out_of_range_is_refused_as_malformed():
    from host_bridge.appointments.rdv_service_public import webhook as w
    from datetime import timedelta

    from host_bridge.appointments.rdv_service_public.freshness import Freshness
    now = datetime(2026, 11, 26, 10, 0, tzinfo=PARIS)
    for when in ("0001-01-01T00:30:00+14:00", "9999-12-31T23:30:00-14:00"):
        with pytest.raises(w.Refused) as refused:
            w.sent_at({"meta": {"timestamp": when}, "data": {}})
        assert refused.value.status == 422
        with pytest.raises(w.Refused) as refused:  # Freshness given one as is: stale, no 500
            Freshness(timedelta(hours=1)).admit("sig", "4242", datetime.fromisoformat(when), now)
        assert refused.value.status == 408
