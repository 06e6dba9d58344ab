"""Who a staff token is (the staff pages sign in with it), and the named accounts' routes."""
from __future__ import annotations

from fastapi import APIRouter

from . import staff
from .deps import Staff
from .errors import responses

router = APIRouter(prefix="/api", tags=["staff"])
router.include_router(staff.router)  # here: the app factory includes this router already


@router.get("/me", summary="The staff account of this token: name, role, counters",
            responses=responses(401))
def me(user: Staff):
    return {"name": user.name, "role": user.role, "counters": list(user.counters),
            "full_name": user.full_name or user.name, "session": user.session is not None}
