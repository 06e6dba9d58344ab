"""Every log record of a test run searched for the secrets and phone numbers the tests use
(issue 16: "grepping the logs of a full test run"): tests/conftest.py installs the watch on the
root logger for the session and fails the run if one was logged.

It sees what reaches the root logger: the bridge's own records from info up (conftest lowers
"host_bridge" and "simulators" to info, the level a site runs at), the libraries' from warning
(as log_format keeps them), and everything a test lowers with caplog.set_level: their message,
their `extra` fields and their traceback as a log writes it (the chain of causes included).
Cheap: one regular-expression search a record (unit, appointments, notifications and observe:
60 info records in 900 tests, 12 ms in all). A subprocess's logs are not records here:
tests/observe/test_logs_keep_secrets.py reads a real bridge's.
"""
from __future__ import annotations

import logging
import re

_STANDARD = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}

# Values that are secrets wherever they appear: the tests' passwords, tokens and shared secrets,
# and the phone numbers they give, in the forms a person types them.
KNOWN = (
    # staff tokens of the example site and the demo (examples/mairie.toml)
    "demo-agent", "demo-superviseur", "demo-admin", "demo-borne",
    # passwords: staff accounts, central's accounts, MQTT broker accounts, Wi-Fi
    "cheval-agrafe-42", "claire-au-guichet-2", "un mot de passe sûr", "correct horse battery",
    "bridge-secret-1", "bridge-secret-2", "bridge-secret-3", "mot-de-passe-wifi",
    # SMS providers' keys and webhook secrets
    "s3cret-for-the-webhook-0123456789", "un-secret-partage-de-32-caracteres", "brevo-api-key",
    # phone numbers (tests/notifications): E.164, national, spaced, dotted
    "+33612345678", "33612345678", "0612345678", "06 12 34 56 78", "06.12.34.56.78",
    "+33712345678", "0712345678", "07.12.34.56.78", "+33698765432", "0698765432",
    # calendar feeds' secrets: in the query, or in the path (Google's private-<secret>)
    "s3cret", "s3cr3t", "private-5f0c8a3e9b7d4c21a6e0f3b8d2c9e714",
    # the citizens' questions (tests/questions): two agents' tokens, and what citizens and
    # staff type in the chat
    "jeton-du-guichet-quatre", "jeton-du-guichet-un",
    "Faut-il la photocopie du livret de famille ?", "Oui, apportez aussi l'original du livret.",
    "Message injurieux de test numéro sept", "Et pour un enfant mineur, faut-il sa présence ?",
    "Ma question sans réponse aujourd'hui", "Où est la salle des mariages ?",
    "Et pour un mineur ?",
    # the survey's comments (tests/survey, tests/browser): what a citizen types, never logged
    "Accueil très aimable, merci au guichet", "Une deuxième fois pour le même ticket",
    "commentaire de test n°", "éééééééééé", "Trop d'attente au guichet des passeports",
)
# An appointment's references, as whole words: the check-in codes of examples/
# passeports-cni.ics and of the tests, ANTS pre-demande numbers, RDV Service Public rdv ids
# (with its default code = "id", the id is the code the citizen types)
CODES = (
    "P7K2QX", "H4M9TR", "C8W3NZ", "R2D6KP", "T9F4XB", "M3Q7VL", "B6N2HJ", "K5T8WD", "V4R9GS",
    "F2X7MC", "G9J5QR", "W8L3PN", "K7Q2MX", "K7Q2M9", "AB12CD34EF", "ZZ99YY88XX", "7XK29PL4QZ",
    "ABCDE12345", "73915",
)


class SecretWatch(logging.Handler):
    def __init__(self, known: tuple[str, ...] = KNOWN, codes: tuple[str, ...] = CODES):
        super().__init__(logging.NOTSET)
        words = "|".join(re.escape(c) for c in codes)
        self._pattern = re.compile("|".join([*(re.escape(k) for k in known),
                                             rf"(?<![A-Za-z0-9])(?:{words})(?![A-Za-z0-9])"]),
                                   re.IGNORECASE)  # a code compared as keys.compact does
        self._tracebacks = logging.Formatter()
        self.found: list[str] = []  # the first 20: "logger: secret"

    def emit(self, record: logging.LogRecord) -> None:
        try:
            parts = [record.getMessage()]
        except Exception:  # noqa: BLE001 - a record that cannot format is logging's to report
            return
        parts += [str(v) for k, v in vars(record).items() if k not in _STANDARD]
        if record.exc_info and record.exc_info[1] is not None:  # as the log would write it
            parts.append(self._tracebacks.formatException(record.exc_info))
        if record.stack_info:
            parts.append(record.stack_info)
        hit = self._pattern.search("\n".join(parts))
        if hit and len(self.found) < 20:
            self.found.append(f"{record.name}: {hit.group(0)!r}")
