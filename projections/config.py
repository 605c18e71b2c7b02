"""Where the read models live and how the runner paces itself.

The store configuration says where the events are; this adds the read side. Plain values: the
settings of the process (`api.settings.Settings.projections`) fill them in from the environment.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from domain.persistence.config import StoreConfig

DEFAULT_READ_SCHEMA = "bewijsketen_read"


@dataclass(frozen=True)
class ProjectionConfig:
    store: StoreConfig
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
    def build(
        cls,
        store: StoreConfig,
        read_schema: str | None = None,
        read_database: Path | None = None,
        batch_size: int = 1000,
        poll_interval: float | None = None,
        read_wait_max: float = 5.0,
        **overrides: Any,
    ) -> ProjectionConfig:
        """The configuration with its defaults filled in: the read schema beside the event
        schema, the SQLite file in the data directory, and a poll interval that suits the
        store (SQLite has no notifications; on PostgreSQL polling is only a fallback)."""
        event_schema = store.database_schema
        if read_schema:
            schema = read_schema
        elif event_schema and event_schema != "public":
            schema = f"{event_schema}_read"
        else:
            schema = DEFAULT_READ_SCHEMA
        config = cls(
            store=store,
            read_schema=schema,
            read_path=read_database or store.data_dir / "read_models.sqlite",
            batch_size=batch_size,
            poll_interval=poll_interval or (2.0 if store.uses_postgres else 0.1),
            read_wait_max=read_wait_max,
        )
        return replace(config, **overrides) if overrides else config
