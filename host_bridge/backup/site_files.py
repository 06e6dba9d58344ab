"""The files of a site a backup carries, by role, and where each goes back on restore (from
the site file of the machine restored to: its paths may differ from the backed-up one's)."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..appointments.store import appointments_path
from ..questions.store import keep_only_counts, store_path as questions_path
from ..survey.comments import comments_path
from ..staff import staff_path

# What a backup leaves out, and why (in the manifest, and said by restore)
LEFT_OUT = {
    "sms": "the citizens' phone numbers (<database>.sms.db) are personal data kept only for "
           "today's tickets and deleted daily: a backup would keep them for as long as the "
           "backups are kept; after a restore, today's waiting citizens may not get their SMS",
    "questions-texts": "the citizens' questions and their answers (<stem>.questions.db) live "
                       "only with today's tickets: the backup keeps that file's counts (today's "
                       "so far included), never a conversation",
}


@dataclass(frozen=True)
class SiteFile:
    role: str
    path: Path
    sqlite: bool  # copied with SQLite's online backup (else: a plain copy)
    restored: bool = True  # the site file is carried for reference only
    # what the copy goes through before it is kept (a restore's file put aside too)
    scrub: Callable[[Path], None] | None = None


def site_files(settings) -> list[SiteFile]:
    """Every file of the site a backup carries (present or not)."""
    db = settings.db_path
    files = [
        SiteFile("queue", Path(db), True),
        SiteFile("staff", Path(staff_path(db)), True),
        SiteFile("appointments", Path(appointments_path(db)), True),
        SiteFile("push", Path(f"{db}.push.db"), True),
        SiteFile("questions", Path(questions_path(db)), True, scrub=keep_only_counts),
        SiteFile("survey", Path(comments_path(db)), True),  # comments, kept retention_days
        SiteFile("devices", Path(settings.devices_path), True),  # keys, and OTA builds
        SiteFile("vapid-key", Path(f"{db}.vapid.pem"), False),  # lost: every phone's push too
        SiteFile("network-cursor", Path(f"{db}.network.json"), False),
        SiteFile("central-config", Path(f"{db}.config.json"), False),
    ]
    if settings.source and Path(settings.source).is_file():
        files.append(SiteFile("site-file", Path(settings.source), False, restored=False))
    return files
