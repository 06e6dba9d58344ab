"""RDV Service Public (betagouv's open booking tool for French administrations): its signed
webhooks bring a site's appointments in (webhook.py, freshness.py, router.py), its API gives
today's rdvs (pull.py) and takes the outcomes back, `seen` or `noshow` (reporter.py).
Configured by `[appointments.rdv_service_public]` (settings.py), wired by `attach` (wiring.py)."""
from .reporter import Reporter
from .router import PATH, build
from .settings import Settings, SettingsError, parse
from .wiring import attach

__all__ = ["PATH", "Reporter", "Settings", "SettingsError", "attach", "build", "parse"]
