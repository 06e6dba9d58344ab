"""tests/log_secrets.py, the whole run's watch: it finds a known secret in a record's message,
its `extra` fields or its exception, and passes a masked number."""
from __future__ import annotations

import logging

import pytest

from log_secrets import SecretWatch


@pytest.fixture
def watch():
    w = SecretWatch()
    log = logging.getLogger("host_bridge.test_secret_watch")
    log.addHandler(w)
    log.propagate = False  # the session's own watch must not see this test's planted secrets
    yield w, log
    log.removeHandler(w)
    log.propagate = True


def test_a_secret_in_the_message_extra_or_exception_is_found(watch):
    w, log = watch
    log.warning("sent to %s", "06 12 34 56 78")
    log.warning("signed in", extra={"token": "demo-admin"})
    try:
        raise ValueError("bad password cheval-agrafe-42")
    except ValueError:
        log.exception("sign-in failed")
    assert [f.split(": ", 1)[1] for f in w.found] == \
        ["'06 12 34 56 78'", "'demo-admin'", "'cheval-agrafe-42'"]


def test_masked_numbers_and_labels_pass(watch):
    w, log = watch
    log.warning("SMS: a ticket follows %s", "+33 6 •• •• •• 78")
    log.warning("called", extra={"label": "A012", "device": "term-1"})
    assert w.found == []


def test_a_secret_only_in_the_traceback_s_chain_of_causes_is_found(watch):
    """The traceback a log writes holds the cause's message too, which str(exc) does not."""
    w, log = watch
    try:
        try:
            raise OSError("https://booking.example/export.ics?token=s3cret: refused")
        except OSError as exc:
            raise ValueError("the feed cannot be read") from exc
    except ValueError:
        log.exception("import failed")
    assert [f.split(": ", 1)[1] for f in w.found] == ["'s3cret'"]


def test_an_appointment_code_is_found_as_a_word_in_any_case_not_inside_another(watch):
    w, log = watch
    log.info("checked in", extra={"code": "p7k2qx"})
    log.warning("rdv 73915's outcome refused")
    log.warning("request 1764873915 took 0.073915 s; label XP7K2QX")
    assert [f.split(": ", 1)[1] for f in w.found] == ["'p7k2qx'", "'73915'"]


def test_the_session_watch_sees_the_bridge_s_info_records_and_not_the_libraries_debug():
    assert logging.getLogger("host_bridge.appointments").isEnabledFor(logging.INFO)
    assert not logging.getLogger("httpx").isEnabledFor(logging.INFO)
