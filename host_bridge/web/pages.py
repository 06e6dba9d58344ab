"""The pages, served by the bridge itself: static HTML, CSS and JavaScript modules that talk to
the API and the live event stream. Nothing is fetched from the internet.

    /               the list of pages
    /borne          the kiosk: take a ticket (touch screen)
    /ticket/{id}    the citizen's ticket page (the kiosk's QR code)
    /rdv/{code}     « J'ai un rendez-vous » from the phone (the booking confirmation's link)
    /salle          the hall screen: calls, spoken
    /guichet        the agent console
    /supervision    the supervisor's live board and indicators
    /admin          services, counters, categories, hours, rules (live) and the boards
"""
from __future__ import annotations

from html import escape
from pathlib import Path

from fastapi import APIRouter, FastAPI, Request
from pydantic import TypeAdapter, ValidationError
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from ..api.schemas import TicketId

STATIC = Path(__file__).parent / "static"
PAGES = {"borne": "Borne — prendre un ticket", "salle": "Écran de salle — les appels",
         "guichet": "Console agent — le guichet", "supervision": "Supervision — files et indicateurs",
         "admin": "Administration — services, guichets, horaires, boîtiers"}
router = APIRouter(include_in_schema=False)


def _html(name: str) -> str:
    return (STATIC / f"{name}.html").read_text(encoding="utf-8")  # small: read at each load


def _page(request: Request, name: str, status_code: int = 200) -> HTMLResponse:
    """The page with a <base href> at the site's root: its relative addresses (api/...,
    static/...) then work behind a proxy's prefix too (`serve --root-path`, install/proxy.py).
    no-cache: a kiosk left on for months gets a new version of the page at its next load."""
    base = f'<base href="{escape(_root(request))}">'
    return HTMLResponse(_html(name).replace("<head>", f"<head>{base}", 1),
                        status_code=status_code, headers={"Cache-Control": "no-cache"})


def _root(request: Request) -> str:
    return request.scope.get("root_path", "").rstrip("/") + "/"


@router.get("/")
def home(request: Request) -> HTMLResponse:
    links = "".join(f'<li><a href="{p}">{title}</a></li>' for p, title in PAGES.items())
    return HTMLResponse(
        f'<!doctype html><html lang="fr"><head><base href="{escape(_root(request))}">'
        '<meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<title>Suivant</title><link rel="stylesheet" href="static/suivant.css"></head><body>'
        '<header class="bar"><h1>Suivant</h1></header><main><h2>Les pages</h2>'
        f'<ul>{links}</ul><p>La page d\'un ticket s\'ouvre depuis son code QR. '
        '<a href="docs">L\'API (OpenAPI)</a>.</p></main></body></html>')


def _static_page(name: str) -> None:
    def page(request: Request) -> HTMLResponse:
        return _page(request, name)
    router.add_api_route(f"/{name}", page, methods=["GET"], name=f"page_{name}")


for _name in PAGES:  # each listed page is its own file
    _static_page(_name)


_TICKET_ID = TypeAdapter(TicketId)


# The page reads the id from its address. A malformed one (a QR code read wrong, an address
# typed by hand) is still the page, answered 404: it says so in the citizen's language with a
# way back, where FastAPI's validation would have shown raw JSON.
@router.get("/ticket/{ticket_id:path}")
def ticket(request: Request, ticket_id: str) -> HTMLResponse:
    try:
        _TICKET_ID.validate_python(ticket_id)
    except ValidationError:
        return _page(request, "ticket", 404)
    return _page(request, "ticket")


@router.get("/rdv/{code:path}")
def appointment(request: Request, code: str) -> HTMLResponse:
    """The page reads the booking code from its address; the check-in API judges it."""
    return _page(request, "rdv")


def install(app: FastAPI) -> None:
    from . import speech
    app.include_router(router)
    app.include_router(speech.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
