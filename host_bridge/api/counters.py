"""Counters: what an agent does at the desk (same commands as the « Suivant » terminal)."""
from __future__ import annotations

from fastapi import APIRouter, Request

from ..domain import commands as c
from ..service.views import counter_view
from .auth import may_act_at_counter
from .errors import responses
from .deps import Answer, IdempotencyKey, Service, Staff
from .schemas import CounterNumber, TransferBody

router = APIRouter(prefix="/api/counters", tags=["counters"])
_STAFF_REFUSALS = responses(401, 403, 404, 409, 422)

_ACTIONS = {
    "next": (c.CallNext, "« Suivant »: finish the current ticket and call the next one"),
    "recall": (c.Recall, "« Rappel »: call the current ticket again"),
    "absent": (c.MarkAbsent, "« Absent »: the called citizen did not come"),
    "undo-absent": (c.UndoAbsent, "Undo the counter's last « Absent » within the site's "
                    "window (rules.undo_absent_seconds, 60 s): the ticket goes back to its "
                    "place in its line. 409 nothing_to_undo, undo_expired or undo_refused"),
    "finish": (c.Finish, "« Terminer »: the current citizen has been served"),
    "open": (c.OpenCounter, "Open the counter (or resume after a pause)"),
    "resume": (c.OpenCounter, "Resume after a pause (same as open)"),
    "pause": (c.PauseCounter, "« Pause »: finish the current ticket and stop calling"),
    "close": (c.CloseCounter, "Close the counter (finishes the current ticket)"),
}


def _user_source(user) -> str:
    return f"user:{user.name}"


@router.get("", summary="Every counter and what it is serving")
def list_counters(service: Service):
    return service.read(lambda s: {"counters": [counter_view(s, k.number) for k in s.site.counters]})


@router.get("/{number}", summary="One counter", responses=responses(404, 422))
def get_counter(number: CounterNumber, service: Service):
    return service.read(lambda s: counter_view(s, number))


def _action_route(name: str, command_type, summary: str) -> None:
    def act(number: CounterNumber, user: Staff, key: IdempotencyKey, request: Request):
        may_act_at_counter(user, number)  # the service from the app's state: one dependency fewer
        return Answer(request.app.state.service.execute(command_type(number),
                                                        _user_source(user), key))

    act.__name__ = f"counter_{name.replace('-', '_')}"
    router.add_api_route(f"/{{number}}/{name}", act, methods=["POST"], summary=summary,
                         responses=_STAFF_REFUSALS)


for _name, (_command, _summary) in _ACTIONS.items():
    _action_route(_name, _command, _summary)


@router.post("/{number}/transfer", summary="« Transfert »: send the current ticket to another service",
             description="409 same_service: the ticket is already in that service; 409 "
                         "service_not_served: no counter serves it",
             responses=_STAFF_REFUSALS)
def transfer(number: CounterNumber, body: TransferBody, service: Service, user: Staff,
             key: IdempotencyKey):
    may_act_at_counter(user, number)
    return Answer(service.execute(c.Transfer(number, body.service), _user_source(user), key))
