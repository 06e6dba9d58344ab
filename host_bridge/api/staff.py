"""Named staff accounts: sign-in and sign-out, the counter a person sits at, the accounts and
the audit log (administrators). The session token a sign-in gives is a Bearer token like the
config's: every staff route takes it."""
from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from ..staff import AccountRefused, SignInRefused
from .auth import Forbidden
from .deps import Staff, staff_of
from .errors import responses

router = APIRouter(prefix="/staff", tags=["staff"])


class SignIn(BaseModel):
    login: str = Field(max_length=100)
    password: str = Field(max_length=1000, description="never logged, never sent back")
    counter: int | None = Field(None, ge=1, le=999, description="the counter the person sits at")


class NewAccount(BaseModel):
    login: str = Field(max_length=100)
    name: str = Field(max_length=200)
    role: str = Field(max_length=20)
    counters: list[int] = Field(default_factory=list, max_length=999)
    password: str = Field(max_length=1000)


class AccountChange(BaseModel):
    name: str | None = Field(None, max_length=200)
    role: str | None = Field(None, max_length=20)
    counters: list[int] | None = Field(None, max_length=999)
    disabled: bool | None = None
    password: str | None = Field(None, max_length=1000)
    unlock: bool = False


class CounterChoice(BaseModel):
    counter: int = Field(ge=1, le=999)


def _refused(exc: SignInRefused | AccountRefused) -> JSONResponse:
    if isinstance(exc, SignInRefused):
        if exc.retry_after:
            return JSONResponse({"error": exc.code, "message": str(exc),
                                 "retry_after": exc.retry_after}, exc.status,
                                headers={"Retry-After": str(exc.retry_after)})
        return JSONResponse({"error": exc.code, "message": str(exc)}, exc.status)
    return JSONResponse({"error": "account_refused", "message": str(exc), "field": exc.field},
                        exc.status)


def _admin(user: Any) -> None:
    if user.role != "admin":
        raise Forbidden(f"role {user.role!r} cannot manage the staff accounts")


# `def` routes: hashing a password takes tens of milliseconds, in the thread pool
@router.post("/sign-in", summary="A person signs in with login and password: a session token",
             responses=responses(401, 403, 422, 429))
def sign_in(body: SignIn, request: Request):
    staff = staff_of(request.app)
    address = request.client.host if request.client else None
    try:
        token, account, expires = staff.sign_in(body.login, body.password, address, body.counter)
    except SignInRefused as exc:
        return _refused(exc)
    return {"token": token, "expires": datetime.fromtimestamp(expires, staff.tz).isoformat(),
            "account": account.public(staff.now())}


@router.post("/sign-out", summary="End this session (a config token: nothing to end)",
             responses=responses(401))
def sign_out(user: Staff, request: Request):
    return {"signed_out": staff_of(request.app).sign_out(user)}


@router.post("/counter", summary="The counter this person sits at: its board's presses are theirs",
             responses=responses(401, 403, 422))
def take_counter(body: CounterChoice, user: Staff, request: Request):
    if not user.session:
        raise Forbidden("only a named account's session sits at a counter")
    if not staff_of(request.app).take_counter(user, body.counter):
        raise Forbidden(f"{user.name} may not sit at counter {body.counter}")
    return {"counter": body.counter}


@router.get("/accounts", summary="The named accounts (administrators)",
            responses=responses(401, 403))
def accounts(user: Staff, request: Request):
    _admin(user)
    return {"accounts": staff_of(request.app).accounts()}


@router.post("/accounts", status_code=201, summary="Create a named account (administrators)",
             responses=responses(401, 403, 422))
def create_account(body: NewAccount, user: Staff, request: Request):
    _admin(user)
    staff = staff_of(request.app)
    try:
        account = staff.create(user.name, body.login, body.name, body.role, body.counters,
                               body.password, via="api")
    except AccountRefused as exc:
        return _refused(exc)
    return account.public(staff.now())


@router.patch("/accounts/{login}", summary="Change, disable, unlock an account or set its "
              "password (administrators)", responses=responses(401, 403, 404, 422))
def change_account(login: Annotated[str, Path(max_length=40)], body: AccountChange,
                   user: Staff, request: Request):
    _admin(user)
    if login == user.name and (body.disabled or body.role not in (None, "admin")):
        raise Forbidden("an administrator cannot disable or demote their own account")
    staff = staff_of(request.app)
    try:
        account = staff.change(user.name, login, "api", name=body.name, role=body.role,
                               counters=body.counters, disabled=body.disabled,
                               password=body.password, unlock=body.unlock)
    except AccountRefused as exc:
        return _refused(exc)
    return account.public(staff.now())


@router.get("/audit", summary="The audit log of staff actions, oldest first (administrators)",
            responses=responses(401, 403, 422))
def audit(user: Staff, request: Request, after: Annotated[int, Query(ge=0)] = 0,
          limit: Annotated[int, Query(ge=1, le=1000)] = 200,
          actor: Annotated[str | None, Query(max_length=40)] = None):
    _admin(user)
    staff = staff_of(request.app)
    staff.audit.flush()
    entries = staff.store.audit_after(after, limit, actor)
    for e in entries:
        e["at"] = datetime.fromtimestamp(e["at"], staff.tz).isoformat()
    return {"entries": entries, "last": entries[-1]["id"] if entries else after}
