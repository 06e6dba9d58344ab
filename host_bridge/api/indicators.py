"""The supervisor's indicators over a period of business days, as JSON, as CSV for a
spreadsheet, and the yearly summary a site publishes (Services Publics+: waiting time, share
received within the target, satisfaction). Supervisors and admins only; no per-agent figure.
"""
from __future__ import annotations

import csv
import dataclasses
import io
from datetime import date, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from ..domain.indicators import Figures, Indicators, Satisfaction
from ..domain.today import today_figures
from .auth import Forbidden
from .deps import Service, Staff
from .errors import PeriodRefused, responses

router = APIRouter(prefix="/api/indicators", tags=["indicators"])
MAX_DAYS = 366
_REFUSALS = responses(401, 403, 422)
From = Annotated[date, Query(alias="from", description="first business day (YYYY-MM-DD)")]
To = Annotated[date, Query(alias="to", description="last business day, included")]


def _may_read(user: Any) -> None:
    if user.role not in ("supervisor", "admin"):
        raise Forbidden(f"role {user.role!r} cannot read the indicators")


def check_period(first: date, last: date) -> None:
    """PeriodRefused unless first..last is a period the reports read (central's too)."""
    if last < first:
        raise PeriodRefused(f"the period ends ({last}) before it starts ({first})",
                            "ends_before_start", max_days=MAX_DAYS)
    if (last - first).days >= MAX_DAYS:
        raise PeriodRefused(f"a period is at most {MAX_DAYS} days; ask for each year in turn",
                            "too_long", max_days=MAX_DAYS)


def indicators_view(ind: Indicators, first: date, last: date) -> dict[str, Any]:
    view = {"from": first.isoformat(), "to": last.isoformat(), "days": ind.days,
            "services": {k: dataclasses.asdict(v) for k, v in ind.services.items()},
            "total": dataclasses.asdict(ind.total), "per_hour": ind.per_hour,
            "satisfaction": dataclasses.asdict(ind.satisfaction)}
    if ind.counters:
        view["counters"] = {str(n): dataclasses.asdict(v) for n, v in ind.counters.items()}
    return view


@router.get("", summary="Indicators per service and in total over business days from..to "
                        "(per counter too where the site turned that on)",
            responses=_REFUSALS)
def indicators(first: From, last: To, service: Service, user: Staff, request: Request):
    _may_read(user)
    check_period(first, last)
    per_counter = request.app.state.figures_per_counter
    view = indicators_view(asked_survey(request.app, service.indicators(first, last, per_counter)),
                           first, last)
    questions = questions_figures(request.app)
    if questions is not None:
        view["questions"] = questions(first, last)
    return view


def asked_survey(app: Any, ind: Indicators) -> Indicators:
    """A site that does not ask the survey (`[questions] survey = false`) has no response
    rate: 0 % would read as every citizen refusing it."""
    survey = getattr(app.state, "survey", None)
    if survey is None or getattr(survey, "enabled", True):
        return ind
    return dataclasses.replace(ind, satisfaction=dataclasses.replace(
        ind.satisfaction, survey_response_rate=None))


def questions_figures(app: Any) -> Any:
    """The citizens' questions' figures of a period (host_bridge/questions), or None: a
    bridge without them (its app.state.questions has no `figures`)."""
    return getattr(getattr(app.state, "questions", None), "figures", None)


@router.get("/today", summary="Today so far, for the supervisor's alert and charts: each "
                              "service's longest current wait against its target, people "
                              "waiting over the day, waits against the target, tickets per hour",
            responses=_REFUSALS)
def today(service: Service, user: Staff):
    _may_read(user)

    def snapshot(state):  # copied under the queue's lock, worked out after it
        return state.as_of, [(t.service, t.issued_at, t.called_at, t.finished_at, t.status)
                             for t in state.tickets.values()]
    now, tickets = service.read(snapshot)
    return today_figures(service.site, service.tz, now, tickets)


COLUMNS = [  # (header for a French spreadsheet, Figures field)
    ("tickets émis", "issued"), ("appelés", "called"), ("reçus", "served"), ("absents", "absent"),
    ("abandons", "cancelled"), ("expirés", "expired"), ("attente moyenne (min)", "wait_mean"),
    ("attente médiane (min)", "wait_median"), ("attente 90e centile (min)", "wait_p90"),
    ("part appelée dans le délai cible (%)", "within_target"),
    ("durée moyenne de service (min)", "service_mean"), ("taux d'absence (%)", "absent_rate"),
    ("taux d'abandon (%)", "abandonment"),
]
# the appointments' figures (issue 15), after the others: the site's CSV only (central's keeps
# the 13 columns above, and the sites it reads may predate appointments)
APPOINTMENT_COLUMNS = [
    ("rendez-vous", "appointments"), ("sans rendez-vous", "walk_ins"),
    ("part de rendez-vous (%)", "appointment_share"),
    ("rendez-vous non honorés (jamais enregistrés)", "appointments_missed"),
    ("rendez-vous absents à l'appel", "appointments_absent"),
    ("taux de rendez-vous non honorés (%)", "appointment_noshow_rate"),
    ("ponctualité : appel - heure du rendez-vous, médiane (min)", "punctuality_median"),
    ("rendez-vous appelés au plus 5 min après l'heure (%)", "called_on_time"),
]
# the citizens' questions of each service (issue 17), after those: the site's CSV only
QUESTION_COLUMNS = [
    ("questions posées", "asked"), ("part répondue par la FAQ (%)", "faq_share"),
    ("délai médian de première réponse (min)", "first_answer_median_minutes"),
]
# satisfaction by source and the survey's response rate: the votes are the site's, not a
# service's, so only on the « tous services » line
SATISFACTION_COLUMNS = [
    ("avis borne", "terminal_votes"), ("satisfaits borne (%)", "terminal_satisfied"),
    ("avis téléphone", "phone_votes"), ("satisfaits téléphone (%)", "phone_satisfied"),
    ("taux de réponse à l'enquête (%)", "survey_response_rate"),
]
SHARES = {"within_target", "absent_rate", "abandonment", "appointment_share",
          "appointment_noshow_rate", "called_on_time", "faq_share", "terminal_satisfied",
          "phone_satisfied", "survey_response_rate"}


def _cell(name: str, value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):  # French spreadsheets: decimal comma
        return f"{value * 100 if name in SHARES else value:.1f}".replace(".", ",")
    return str(value)


def _row(label: str, f: Figures, questions: dict[str, Any] | None = None,
         satisfaction: Satisfaction | None = None) -> list[str]:
    asked = questions or {}
    votes = _satisfaction_cells(satisfaction) if satisfaction is not None else {}
    return [label] + [_cell(name, getattr(f, name)) for _, name in COLUMNS + APPOINTMENT_COLUMNS] \
        + [_cell(name, asked.get(name)) for _, name in QUESTION_COLUMNS] \
        + [_cell(name, votes.get(name)) for _, name in SATISFACTION_COLUMNS]


def _satisfaction_cells(s: Satisfaction) -> dict[str, Any]:
    terminal, phone = s.by_source["terminal"], s.by_source["phone"]
    return {"terminal_votes": terminal.votes, "terminal_satisfied": terminal.satisfied,
            "phone_votes": phone.votes, "phone_satisfied": phone.satisfied,
            "survey_response_rate": s.survey_response_rate}


@router.get(".csv", summary="The same, one line per service and day, for a spreadsheet "
                            "(semicolons, decimal commas, UTF-8 with BOM)",
            response_class=Response, responses={**_REFUSALS, 200: {"content": {"text/csv": {}}}})
def indicators_csv(first: From, last: To, service: Service, user: Staff,
                   request: Request) -> Response:
    _may_read(user)
    check_period(first, last)
    out = io.StringIO()
    out.write("\ufeff")  # the BOM: a spreadsheet then reads the accents right
    w = csv.writer(out, delimiter=";", lineterminator="\r\n")
    w.writerow(["jour", "service"] + [h for h, _ in COLUMNS + APPOINTMENT_COLUMNS
                                      + QUESTION_COLUMNS + SATISFACTION_COLUMNS])
    names = {s.id: s.name for s in service.site.services}
    questions = questions_figures(request.app)
    day = first
    while day <= last:
        ind = asked_survey(request.app, service.indicators(day, day))
        if ind.total.issued:
            asked = questions(day, day) if questions is not None else {}
            by_service = asked.get("services", {})
            none = {"asked": 0} if questions is not None else None  # none asked that day
            for sid, f in ind.services.items():
                w.writerow([day.isoformat()] + _row(names[sid], f, by_service.get(sid, none)))
            w.writerow([day.isoformat()] + _row("tous services", ind.total,
                                                asked.get("total", none), ind.satisfaction))
        day += timedelta(days=1)
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="indicateurs-{first}-{last}.csv"'})


@router.get("/annual", summary="The yearly summary a site publishes (Services Publics+)",
            responses=_REFUSALS)
def annual(year: Annotated[int, Query(ge=2000, le=2100)], service: Service, user: Staff):
    _may_read(user)
    first, last = date(year, 1, 1), date(year, 12, 31)
    ind = service.indicators(first, last)
    t, s = ind.total, ind.satisfaction
    return {
        "site": service.site.name, "year": year, "days_open": len(ind.days),
        "tickets": t.issued, "received": t.served,
        "wait_mean_minutes": t.wait_mean, "wait_median_minutes": t.wait_median,
        "received_within_target": t.within_target,
        "targets_minutes": {x.id: x.target_wait_minutes for x in service.site.services},
        "satisfaction": s.satisfied, "net_satisfaction": s.net, "opinions": s.votes,
        "services": {k: {"tickets": v.issued, "wait_mean_minutes": v.wait_mean,
                         "received_within_target": v.within_target}
                     for k, v in ind.services.items()},
    }
