"""The health document."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field


class Health(BaseModel):
    status: Literal["ok", "unavailable"] = Field(description="ok when the event store answers.")
    store: Literal["postgres", "sqlite"] = Field(description="Which event store is in use.")
    position: int | None = Field(description="The head of the event log (last position).")
    services: dict[str, dict[str, Any]] = Field(
        description="The status of every background service that reports one, by name."
    )
