"""SMS to citizens who ask for them: numbers kept only while their ticket is live (store.py),
a provider's HTTP API (providers.py) behind a sender thread (sender.py), replies by keyword
(inbound.py). `SmsHub` (hub.py) is what bootstrap starts; settings.py reads the config."""
