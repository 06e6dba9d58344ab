"""Whatever a stranger posts as a subscription, or a site writes in [notifications], the answer
is a value or a clear refusal (SubscriptionRefused, ValueError), never another exception."""
from __future__ import annotations

from hypothesis import given, strategies as st

from host_bridge.notifications.settings import NotifySettings
from host_bridge.notifications.subscriptions import Subscription, SubscriptionRefused, check

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=10), inner, max_size=3),
    max_leaves=10)
endpoints = st.one_of(
    st.text(max_size=60),
    st.builds(lambda scheme, host, path: f"{scheme}://{host}/{path}",
              st.sampled_from(["https", "http", "ftp", "HTTPS", ""]),
              st.sampled_from(["fcm.googleapis.com", "127.0.0.1", "[::1]", "x.push.apple.com",
                               "evil.example", "fcm.googleapis.com@evil.example", "", ":443",
                               "[x", "fcm.googleapis.com\n"]),
              st.text(max_size=20)))
keys = st.fixed_dictionaries({}, optional={"p256dh": json_values | st.text(max_size=100),
                                           "auth": json_values | st.text(max_size=30)})


@given(st.fixed_dictionaries({}, optional={"endpoint": endpoints | json_values,
                                           "keys": keys | json_values}), st.booleans())
def test_a_subscription_is_taken_or_refused_with_a_reason(body, loopback):
    try:
        sub = check(body, allow_loopback=loopback)
    except SubscriptionRefused as refused:
        assert refused.reason in {"bad_endpoint", "not_https", "unknown_push_service", "bad_key"}
    else:
        assert isinstance(sub, Subscription) and sub.endpoint == body["endpoint"]


@given(st.dictionaries(st.sampled_from(["ahead", "minutes", "push", "contact", "other"]),
                       json_values, max_size=4))
def test_notification_settings_are_parsed_or_refused_with_a_message(table):
    try:
        parsed = NotifySettings.parse(table)
    except ValueError as refused:
        assert str(refused).startswith("[notifications]")
    else:
        assert 0 <= parsed.ahead <= 50 and 0 <= parsed.minutes <= 240
        assert isinstance(parsed.push, bool) and parsed.contact.startswith(("mailto:", "https://"))
