"""Device links: the registry, the gateway every link feeds, MQTT and serial."""
