"""The survey and the citizens' questions in the supervisor's indicators (issue 17): the JSON's
satisfaction by source with the survey's response rate, the questions' figures when the bridge
has them (and no key, no crash, when it has not), and the CSV's columns appended after the
ones spreadsheets already read."""
from __future__ import annotations

import csv
import io
from datetime import date

from host_bridge.api.indicators import APPOINTMENT_COLUMNS, COLUMNS
from host_bridge.domain.commands import GiveFeedback

from survey_support import served
from support import SUPERVISOR

DAY = "2026-11-26"


class Questions:
    """Stands in for host_bridge/questions' desk: its figures' shape, the days asked kept."""

    def __init__(self):
        self.asked: list[tuple[date, date]] = []

    def figures(self, first: date, last: date) -> dict:
        self.asked.append((first, last))
        counts = {"asked": 4, "by_faq": 1, "by_staff": 2, "unanswered": 1, "abusive": 0,
                  "faq_share": 0.25, "first_answer_median_minutes": 3.5}
        return {"services": {"accueil": counts}, "total": counts,
                "faq_helpful": [{"service": "accueil", "question": "Horaires ?", "count": 1}]}


def a_day(client, clock) -> None:
    """Three served at accueil; the phone answers twice (4 and 1), a terminal votes 3."""
    tickets = [served(client, clock) for _ in range(3)]
    for ticket, score in zip(tickets, (4, 1)):
        assert client.post(f"/api/tickets/{ticket}/survey", json={"score": score}).status_code == 201
    client.app.state.service.execute(GiveFeedback(3, 1), "device:term-1")


def test_the_json_has_satisfaction_by_source_and_the_response_rate(client, clock):
    a_day(client, clock)
    s = client.get(f"/api/indicators?from={DAY}&to={DAY}", headers=SUPERVISOR).json()["satisfaction"]
    assert (s["votes"], s["satisfied"]) == (3, 2 / 3)  # both sources together
    assert s["by_source"]["terminal"] == {"votes": 1, "by_score": {"1": 0, "2": 0, "3": 1, "4": 0},
                                          "satisfied": 1.0, "net": 1.0}
    assert s["by_source"]["phone"] == {"votes": 2, "by_score": {"1": 1, "2": 0, "3": 0, "4": 1},
                                       "satisfied": 0.5, "net": 0.0}
    assert s["survey_response_rate"] == 2 / 3


def test_the_questions_figures_when_the_bridge_has_them(client, clock):
    a_day(client, clock)
    questions = client.app.state.questions = Questions()
    body = client.get(f"/api/indicators?from={DAY}&to=2026-11-27", headers=SUPERVISOR).json()
    assert body["questions"]["services"]["accueil"]["faq_share"] == 0.25
    assert questions.asked == [(date(2026, 11, 26), date(2026, 11, 27))]


def test_no_questions_key_without_them(client, clock):
    a_day(client, clock)
    client.app.state.questions = object()  # no figures (the placeholder, or a bridge before)
    r = client.get(f"/api/indicators?from={DAY}&to={DAY}", headers=SUPERVISOR)
    assert r.status_code == 200 and "questions" not in r.json()
    assert client.get(f"/api/indicators.csv?from={DAY}&to={DAY}",
                      headers=SUPERVISOR).status_code == 200


def _csv(client) -> list[list[str]]:
    r = client.get(f"/api/indicators.csv?from={DAY}&to={DAY}", headers=SUPERVISOR)
    assert r.status_code == 200, r.text
    return list(csv.reader(io.StringIO(r.text.lstrip("\ufeff")), delimiter=";"))


def test_the_csv_appends_questions_and_satisfaction_by_source(client, clock):
    a_day(client, clock)
    client.app.state.questions = Questions()
    header, *rows = _csv(client)
    kept = ["jour", "service"] + [h for h, _ in COLUMNS + APPOINTMENT_COLUMNS]
    assert header[:len(kept)] == kept  # the columns spreadsheets already read, in place
    assert header[len(kept):] == [
        "questions posées", "part répondue par la FAQ (%)",
        "délai médian de première réponse (min)", "avis borne", "satisfaits borne (%)",
        "avis téléphone", "satisfaits téléphone (%)", "taux de réponse à l'enquête (%)"]
    line = {r[1]: dict(zip(header, r)) for r in rows}
    accueil, everyone = line["Accueil et renseignements"], line["tous services"]
    assert (accueil["questions posées"], accueil["part répondue par la FAQ (%)"],
            accueil["délai médian de première réponse (min)"]) == ("4", "25,0", "3,5")
    assert line["État civil"]["questions posées"] == "0"  # none asked there
    assert accueil["avis téléphone"] == ""  # the votes are the site's: on « tous services »
    assert (everyone["avis borne"], everyone["satisfaits borne (%)"], everyone["avis téléphone"],
            everyone["satisfaits téléphone (%)"], everyone["taux de réponse à l'enquête (%)"]) \
        == ("1", "100,0", "2", "50,0", "66,7")


def test_the_csv_without_questions_leaves_their_cells_empty(client, clock):
    a_day(client, clock)
    client.app.state.questions = object()
    header, *rows = _csv(client)
    everyone = dict(zip(header, rows[-1]))
    assert everyone["questions posées"] == "" and everyone["avis téléphone"] == "2"
