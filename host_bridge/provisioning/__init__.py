"""Provisioning the boards with mpremote: flash the firmware, configure, inspect."""
