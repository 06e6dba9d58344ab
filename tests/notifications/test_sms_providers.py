"""The providers' requests as a real HTTP server receives them, the sender's bounded retries,
and the settings that describe them."""
from __future__ import annotations

import base64
import logging
import time
import urllib.parse

import pytest

from host_bridge.notifications.sms.providers import HttpProvider, ProviderError, brevo
from host_bridge.notifications.sms.sender import SmsSender
from host_bridge.notifications.sms.settings import parse

from sms_provider import HANG, FakeProvider, forms

NUMBER = "+33612345678"


@pytest.fixture(scope="module")
def fake():
    with FakeProvider() as provider:
        yield provider


@pytest.fixture
def provider(fake):
    fake.reset()
    return fake


def test_brevo_gets_its_documented_request(provider):
    brevo("secret-key", "MAIRIE", url=provider.url + "/v3/transactionalSMS/send").send(
        NUMBER, "C017 : présentez-vous au guichet 3")
    seen = provider.wait(1)[0]
    assert (seen.method, seen.path) == ("POST", "/v3/transactionalSMS/send")
    assert seen.headers["api-key"] == "secret-key"
    assert seen.headers["content-type"] == "application/json"
    assert seen.json() == {"sender": "MAIRIE", "recipient": "33612345678",
                           "content": "C017 : présentez-vous au guichet 3",
                           "type": "transactional", "unicodeEnabled": True}


def test_a_generic_provider_sends_its_template_as_json_with_a_bearer_token(provider, tmp_path):
    (tmp_path / "token").write_text("tok-123\n")
    settings = parse({"provider": "http", "url": provider.url + "/send", "auth": "bearer",
                      "auth_file": "token", "sender": "Mairie",
                      "template": {"to": "{number}", "message": {"body": "{text}", "from": "{sender}"}}},
                     tmp_path)
    settings.provider.send(NUMBER, "texte {number} tel quel")
    seen = provider.wait(1)[0]
    assert seen.headers["authorization"] == "Bearer tok-123"
    # a placeholder inside the citizen's text is not replaced
    assert seen.json() == {"to": NUMBER, "message": {"body": "texte {number} tel quel", "from": "Mairie"}}


def test_a_form_body_with_basic_auth(provider, tmp_path):
    (tmp_path / "basic").write_text("mairie:mot-de-passe")
    settings = parse({"provider": "http", "url": provider.url + "/sms", "method": "PUT",
                      "body": "form", "auth": "basic", "auth_file": "basic",
                      "template": {"dest": "{digits}", "msg": "{text}"}}, tmp_path)
    settings.provider.send(NUMBER, "C'est bientôt à vous & merci")
    seen = provider.wait(1)[0]
    assert seen.method == "PUT"
    assert seen.headers["authorization"] == "Basic " + base64.b64encode(b"mairie:mot-de-passe").decode()
    assert urllib.parse.parse_qs(seen.body.decode()) == {"dest": ["33612345678"],
                                                         "msg": ["C'est bientôt à vous & merci"]}


def test_a_get_provider_takes_the_fields_in_its_query(provider, tmp_path):
    (tmp_path / "key").write_text("k")
    settings = parse({"provider": "http", "url": provider.url + "/api?account=1", "method": "GET",
                      "auth": "header", "auth_header": "X-Key", "auth_file": "key",
                      "template": {"to": "{number}", "text": "{text}"}}, tmp_path)
    settings.provider.send(NUMBER, "à bientôt")
    seen = provider.wait(1)[0]
    assert seen.method == "GET" and seen.headers["x-key"] == "k"
    assert urllib.parse.parse_qs(urllib.parse.urlsplit(seen.path).query) == {
        "account": ["1"], "to": [NUMBER], "text": ["à bientôt"]}


def test_a_failure_says_what_happened_and_never_the_number(provider):
    provider.script(500)
    with pytest.raises(ProviderError) as failed:
        HttpProvider(provider.url + "/x?to={number}", template={"t": "{text}"}).send(NUMBER, "x")
    assert "500" in str(failed.value)
    assert not any(f in str(failed.value) for f in forms(NUMBER))
    with pytest.raises(ProviderError) as unreachable:
        HttpProvider("http://127.0.0.1:9/{number}", template={"t": "{text}"}, timeout=1).send(NUMBER, "x")
    assert not any(f in str(unreachable.value) for f in forms(NUMBER))


def test_failures_are_retried_a_bounded_number_of_times_then_given_up(provider, caplog):
    caplog.set_level(logging.DEBUG)
    sender = SmsSender(brevo("k", "MAIRIE", url=provider.url), retries=2, backoff=0.01).start()
    try:
        provider.script(500, 503)  # two failures, then it works
        assert sender.submit(NUMBER, "premier")
        assert sender.wait_idle(5)
        assert [r.json()["content"] for r in provider.requests] == ["premier"] * 3
        assert (sender.counts.sent, sender.counts.retried, sender.counts.failed) == (1, 2, 0)
        provider.reset()
        provider.script(500, 500, 500, 500)
        sender.submit(NUMBER, "jamais")
        assert sender.wait_idle(5)
        assert len(provider.requests) == 3  # 1 + retries, not one more
        assert sender.counts.failed == 1
    finally:
        sender.stop()
    assert not any(f in caplog.text for f in forms(NUMBER))
    assert "+33 6 •• •• •• 78" in caplog.text


def test_a_hung_provider_is_given_up_at_its_timeout_and_submit_never_waits(provider):
    provider.script(HANG, HANG)
    sender = SmsSender(brevo("k", "MAIRIE", url=provider.url, timeout=0.3), retries=1,
                       backoff=0.01, queue_size=2).start()
    try:
        started = time.monotonic()
        results = [sender.submit(NUMBER, f"n°{i}") for i in range(10)]
        assert time.monotonic() - started < 0.1  # queued, not sent, whatever the provider does
        assert results.count(False) >= 7  # the bounded queue drops what does not fit
        assert sender.wait_idle(5)
        assert sender.counts.dropped == results.count(False)
        assert sender.counts.failed == 1  # the first: two tries, both timed out
        assert sender.counts.sent == results.count(True) - 1
    finally:
        sender.stop()


def test_a_message_too_old_to_be_true_is_given_up_instead_of_sent_late(provider):
    now = [0.0]
    sender = SmsSender(brevo("k", "MAIRIE", url=provider.url), retries=3, backoff=0.01,
                       max_age=60, clock=lambda: now[0])
    sender.submit(NUMBER, "c'est bientôt à vous")
    now[0] = 61.0  # the provider was down for a minute: the thread starts only now
    sender.start()
    try:
        assert sender.wait_idle(5)
        assert provider.requests == [] and sender.counts.failed == 1
    finally:
        sender.stop()


@pytest.mark.parametrize("table, says", [
    ({}, "provider: expected one of brevo, http"),
    ({"provider": "brevo", "sender": "MAIRIE"}, "api_key_file"),
    ({"provider": "brevo", "sender": "Mairie de Villeneuve", "api_key_file": "key"}, "sender"),
    ({"provider": "brevo", "sender": "MAIRIE", "api_key_file": "absent"}, "cannot read"),
    ({"provider": "http", "template": {"t": "{text}", "n": "{number}"}}, "url"),
    ({"provider": "http", "url": "ftp://x", "template": {"t": "{text}", "n": "{number}"}}, "url"),
    ({"provider": "http", "url": "https://x", "template": {"t": "{text}"}}, "{number}"),
    ({"provider": "http", "url": "https://x", "method": "DELETE",
      "template": {"t": "{text}", "n": "{number}"}}, "method"),
    ({"provider": "http", "url": "https://x", "method": "GET", "body": "json",
      "template": {"t": "{text}", "n": "{number}"}}, "query"),
    ({"provider": "http", "url": "https://x", "auth": "basic", "auth_file": "key",
      "template": {"t": "{text}", "n": "{number}"}}, "user:password"),
    ({"provider": "brevo", "sender": "MAIRIE", "api_key_file": "key", "timeout_seconds": 600}, "timeout_seconds"),
    ({"provider": "brevo", "sender": "MAIRIE", "api_key_file": "key", "retries": -1}, "retries"),
    ({"provider": "brevo", "sender": "MAIRIE", "api_key_file": "key",
      "inbound_secret_file": "short"}, "at least 16"),
    ({"provider": "brevo", "sender": "MAIRIE", "api_key_file": "key", "inbound_auth": "ip"}, "inbound_auth"),
    ({"provider": "brevo", "sender": "MAIRIE", "api_key_file": "key", "password": "x"}, "unknown key 'password'"),
])
def test_settings_refuse_with_the_key_and_what_it_expects(tmp_path, table, says):
    (tmp_path / "key").write_text("k")
    (tmp_path / "short").write_text("abc")
    with pytest.raises(ValueError) as refused:
        parse(table, tmp_path)
    assert says in str(refused.value)
    assert "[notifications.sms]" in str(refused.value)


def test_settings_read_the_secrets_from_their_files(tmp_path):
    (tmp_path / "key").write_text("api-key-value\n")
    (tmp_path / "inbound").write_text("0123456789abcdef0123\n")
    settings = parse({"provider": "brevo", "sender": "MAIRIE", "api_key_file": "key",
                      "inbound_secret_file": "inbound", "inbound_auth": "hmac"}, tmp_path)
    assert settings.provider.headers == {"api-key": "api-key-value"}
    assert settings.inbound_secret == b"0123456789abcdef0123"
    assert settings.inbound_header == "X-Suivant-Signature"
