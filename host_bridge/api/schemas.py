"""Request bodies. Strict: unknown fields and oversized strings are refused, not ignored."""
from __future__ import annotations

from typing import Annotated

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
    print: bool = Field(False, description="print it on the kiosk's printer (when the site has "
                                           "one); if printing fails the ticket is cancelled")


class TransferBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    service: ServiceId
