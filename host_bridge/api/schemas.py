"""Request bodies. Strict: unknown fields and oversized strings are refused, not ignored."""
from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field
from fastapi import Path

ServiceId = Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[a-z0-9][a-z0-9-]*$")]
CounterNumber = Annotated[int, Path(ge=1, le=999, description="counter number")]
TicketId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
ServicePath = Annotated[str, Path(min_length=1, max_length=40, pattern=r"^[a-z0-9][a-z0-9-]*$")]


class IssueTicketBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    service: ServiceId
    category: ServiceId | None = Field(None, description="priority category id, if any")
    needs: list[Literal["hearing_loop", "sign_language", "seated"]] = Field(
        [], max_length=3, description="what the citizen asked for at the kiosk: a hearing loop, "
        "a sign-language (LSF) interpreter, a seated or low counter; counters that offer them "
        "are preferred, and the agent sees them")
    print: bool = Field(False, description="print it on the kiosk's printer (when the site has "
                                           "one); if printing fails the ticket is cancelled")


class TransferBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    service: ServiceId
