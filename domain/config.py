"""Settings from the environment (or `.env`) and the event-store environment they imply."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlsplit

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from domain.files import private_file


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="BEWIJSKETEN_", env_file=".env", extra="ignore")

    data_dir: Path = Field(Path("./var"), description="Where the embedded SQLite store lives.")
    database_url: str | None = Field(
        None, description="postgresql://user:pass@host:port/db; when set, PostgreSQL is used."
    )
    database_schema: str | None = Field(
        None, description="PostgreSQL schema of the event store (must exist); default public."
    )
    threads: int = Field(16, ge=1, description="Worker threads; the PostgreSQL pool matches it.")
    connect_timeout: int = Field(
        5, ge=1, description="Seconds to wait for a new database connection (libpq: at least 2)."
    )
    pool_timeout: float = Field(
        1.0,
        gt=0,
        description="Seconds a request waits for a pooled database connection; then it answers "
        "503 (the database is unreachable or every connection is busy).",
    )
    reconnect_timeout: float = Field(
        2.0,
        gt=0,
        description="Seconds a connection pool retries a lost connection before it gives up and "
        "connects anew on the next request: keeps recovery after an outage short.",
    )
    command_retries: int = Field(8, ge=0, description="Retries of a command on a version conflict.")
    snapshot_interval: int = Field(50, ge=2)
    aggregate_cache: int = Field(
        1000, ge=0, description="Aggregates kept in memory between commands (see command_cache)."
    )

    @property
    def uses_postgres(self) -> bool:
        return bool(self.database_url)

    @property
    def sqlite_path(self) -> Path:
        return self.data_dir / "bewijsketen.sqlite"

    def event_store_env(self) -> dict[str, str]:
        if not self.database_url:
            private_file(self.sqlite_path)
            return {
                "PERSISTENCE_MODULE": "eventsourcing.sqlite",
                "SQLITE_DBNAME": str(self.sqlite_path),
                "SQLITE_LOCK_TIMEOUT": "30",
            }
        url = urlsplit(self.database_url)
        if url.scheme not in ("postgresql", "postgres"):
            raise ValueError(f"unsupported database URL scheme: {url.scheme!r}")
        env = {
            "PERSISTENCE_MODULE": "domain.pg_recorder:Factory",
            "APPLICATION_RECORDER_TOPIC": "domain.pg_recorder:LeanPostgresApplicationRecorder",
            "POSTGRES_DBNAME": url.path.lstrip("/") or "bewijsketen",
            "POSTGRES_HOST": url.hostname or "127.0.0.1",
            "POSTGRES_PORT": str(url.port or 5432),
            "POSTGRES_USER": unquote(url.username or "postgres"),
            "POSTGRES_PASSWORD": unquote(url.password or ""),
            # At most one connection per worker thread; only a few are kept open when idle.
            "POSTGRES_POOL_SIZE": str(min(2, self.threads)),
            "POSTGRES_MAX_OVERFLOW": str(max(0, self.threads - 2)),
            "POSTGRES_CONNECT_TIMEOUT": str(self.connect_timeout),
            "POSTGRES_POOL_TIMEOUT": str(self.pool_timeout),
            "POSTGRES_RECONNECT_TIMEOUT": str(self.reconnect_timeout),
        }
        if self.database_schema:
            env["POSTGRES_SCHEMA"] = self.database_schema
        return env
