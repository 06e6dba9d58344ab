"""Telling citizens their turn nears: the notifier watches tickets, channels (Web Push, SMS)
carry its notices."""
