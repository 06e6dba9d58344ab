"""A backup carries the questions' counts (today's so far too) and the survey's comments,
never a conversation: the questions' file is copied, every day of the copy reduced to its
counts and the copy vacuumed, so not a byte of today's questions is in the backup (issue 17;
docs/operations.md §17, §19)."""
from __future__ import annotations

import sqlite3
from datetime import date

from host_bridge.backup.take import take_backup
from support import AGENT

from chat_support import QUESTION, REPLY, ask, take_ticket

COMMENT = "Commentaire de sauvegarde : accueil rapide"


def _served(client) -> str:
    ticket = take_ticket(client, "accueil")
    for action in ("open", "next", "finish"):
        assert client.post(f"/api/counters/1/{action}", headers=AGENT).status_code == 200
    return ticket


def test_the_backup_keeps_the_counts_and_comments_and_no_question(client, desk, bridge, clock,
                                                                  tmp_path):
    ask(client, take_ticket(client), "Question de la veille sur les justificatifs")
    clock.advance(24 * 3600)  # Friday: Thursday's conversation is reduced to counts
    client.get("/api/questions", headers=AGENT)
    desk.reduce()
    today = take_ticket(client)
    ask(client, today)
    conversation = client.get("/api/questions", headers=AGENT).json()["conversations"][0]
    assert client.post(f"/api/questions/{conversation['id']}/answer", headers=AGENT,
                       json={"text": REPLY}).status_code == 200
    served = _served(client)
    assert client.post(f"/api/tickets/{served}/survey",
                       json={"score": 4, "comment": COMMENT}).status_code == 201

    taken = take_backup(bridge.settings, tmp_path / "backups")

    by_role = {f["role"]: taken.folder / f["name"] for f in taken.manifest["files"]}
    raw = by_role["questions"].read_bytes()
    for text in (QUESTION, REPLY, "justificatifs", today, conversation["id"]):
        assert text.encode() not in raw, text
    db = sqlite3.connect(by_role["questions"])
    try:
        assert db.execute("SELECT day, service, asked, by_staff FROM day_counts "
                          "ORDER BY day").fetchall() == [
            ("2026-11-26", "passeports-cni", 1, 0),
            ("2026-11-27", "passeports-cni", 1, 1)]  # today's so far: counted, not kept
        for table in ("conversations", "messages", "rounds", "faq_answered"):
            assert db.execute(f"SELECT count(*) FROM {table}").fetchone() == (0,)  # noqa: S608
    finally:
        db.close()
    assert "questions-texts" in taken.manifest["left_out"]
    assert COMMENT.encode() in by_role["survey"].read_bytes()
    # the live file still has today's conversation: only the copy was emptied
    assert QUESTION.encode() in open(desk.store.path, "rb").read()
    assert desk.figures(date(2026, 11, 27), date(2026, 11, 27))["total"]["asked"] == 1
