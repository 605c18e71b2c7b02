"""The health document: up or down for everyone, details for signed-in callers."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field


class Health(BaseModel):
    status: Literal["ok", "unavailable"] = Field(description="ok when the event store answers.")
    store: Literal["postgres", "sqlite"] | None = Field(
        None, description="With a token: which event store is in use."
    )
    position: int | None = Field(
        None, description="With a token: the head of the event log (last position)."
    )
    database: dict[str, Any] | None = Field(
        None,
        description="With a token: whether the event store answered, how fast, and the error "
        "if it did not.",
    )
    services: dict[str, dict[str, Any]] | None = Field(
        None,
        description="With a token: the status of every background service that reports one, "
        "by name.",
    )
