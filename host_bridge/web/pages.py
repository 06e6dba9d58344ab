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

from pathlib import Path

from fastapi import APIRouter, FastAPI
from pydantic import TypeAdapter, ValidationError
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.staticfiles import StaticFiles

from ..api.schemas import TicketId

STATIC = Path(__file__).parent / "static"
PAGES = {"borne": "Borne — prendre un ticket", "salle": "Écran de salle — les appels",
         "guichet": "Console agent — le guichet", "supervision": "Supervision — files et indicateurs",
         "admin": "Administration — services, guichets, horaires, boîtiers"}
router = APIRouter(include_in_schema=False)


def _page(name: str) -> FileResponse:
    # no-cache: a kiosk left on for months gets a new version of the page at its next load
    return FileResponse(STATIC / f"{name}.html", headers={"Cache-Control": "no-cache"})


@router.get("/")
def home() -> HTMLResponse:
    links = "".join(f'<li><a href="/{p}">{title}</a></li>' for p, title in PAGES.items())
    return HTMLResponse(
        '<!doctype html><html lang="fr"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<title>Suivant</title><link rel="stylesheet" href="/static/suivant.css"></head><body>'
        '<header class="bar"><h1>Suivant</h1></header><main><h2>Les pages</h2>'
        f'<ul>{links}</ul><p>La page d\'un ticket s\'ouvre depuis son code QR. '
        '<a href="/docs">L\'API (OpenAPI)</a>.</p></main></body></html>')


def _static_page(name: str) -> None:
    def page() -> FileResponse:
        return _page(name)
    router.add_api_route(f"/{name}", page, methods=["GET"], name=f"page_{name}")


for _name in PAGES:  # each listed page is its own file
    _static_page(_name)


_TICKET_ID = TypeAdapter(TicketId)


# The page reads the id from its address. A malformed one (a QR code read wrong, an address
# typed by hand) is still the page, answered 404: it says so in the citizen's language with a
# way back, where FastAPI's validation would have shown raw JSON.
@router.get("/ticket/{ticket_id:path}")
def ticket(ticket_id: str) -> FileResponse:
    page = _page("ticket")
    try:
        _TICKET_ID.validate_python(ticket_id)
    except ValidationError:
        page.status_code = 404
    return page


@router.get("/rdv/{code:path}")
def appointment(code: str) -> FileResponse:
    """The page reads the booking code from its address; the check-in API judges it."""
    return _page("rdv")


def install(app: FastAPI) -> None:
    from . import speech
    app.include_router(router)
    app.include_router(speech.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
