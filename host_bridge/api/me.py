"""Who a staff token is: the agent console signs in with it."""
from __future__ import annotations

from fastapi import APIRouter

from .deps import Staff
from .errors import responses

router = APIRouter(prefix="/api", tags=["staff"])


@router.get("/me", summary="The staff account of this token: name, role, counters",
            responses=responses(401))
def me(user: Staff):
    return {"name": user.name, "role": user.role, "counters": list(user.counters)}
