"""Where the read models live and how the runner paces itself, from the environment.

The event-store settings (`domain.config.Settings`) say where the events are; these add the
read side. Every field can be set with the usual `BEWIJSKETEN_` prefix.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from domain.config import Settings

DEFAULT_READ_SCHEMA = "bewijsketen_read"


class ReadSideSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="BEWIJSKETEN_", env_file=".env", extra="ignore")

    read_schema: str | None = Field(
        None,
        description="PostgreSQL schema of the read models. Default bewijsketen_read, or "
        "<event schema>_read when the events live in a schema of their own.",
    )
    read_database: Path | None = Field(
        None, description="SQLite file of the read models; default <data_dir>/read_models.sqlite."
    )
    projection_batch_size: int = Field(1000, ge=1, description="Events per runner transaction.")
    projection_poll_interval: float | None = Field(
        None,
        gt=0,
        description="Seconds between polls of the log: default 0.1 on SQLite (it has no "
        "notifications) and 2.0 on PostgreSQL (a fallback: the runner wakes on NOTIFY).",
    )
    read_wait_max: float = Field(
        5.0, ge=0, description="Longest wait, in seconds, of a query that passes min_position."
    )


@dataclass(frozen=True)
class ProjectionConfig:
    store: Settings
    read_schema: str
    read_path: Path
    batch_size: int
    poll_interval: float
    read_wait_max: float

    @property
    def uses_postgres(self) -> bool:
        return self.store.uses_postgres

    @property
    def build_schema(self) -> str:
        """Where `projections rebuild` builds the new tables before it swaps them in."""
        return f"{self.read_schema}__rebuild"

    @classmethod
    def from_settings(cls, store: Settings, **overrides: Any) -> ProjectionConfig:
        read = ReadSideSettings()
        event_schema = store.database_schema
        if read.read_schema:
            schema = read.read_schema
        elif event_schema and event_schema != "public":
            schema = f"{event_schema}_read"
        else:
            schema = DEFAULT_READ_SCHEMA
        poll = read.projection_poll_interval or (2.0 if store.uses_postgres else 0.1)
        config = cls(
            store=store,
            read_schema=schema,
            read_path=read.read_database or store.data_dir / "read_models.sqlite",
            batch_size=read.projection_batch_size,
            poll_interval=poll,
            read_wait_max=read.read_wait_max,
        )
        return replace(config, **overrides) if overrides else config
