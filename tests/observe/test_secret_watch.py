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
