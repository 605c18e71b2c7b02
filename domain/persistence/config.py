"""Where and how the event store is kept, and the event-store environment that implies.

Plain values: the one settings class of a process (`api.settings.Settings`) reads them from the
environment; tests and benchmarks build them directly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

from domain.persistence.files import private_file
from domain.privacy.kek import KekSource


@dataclass(frozen=True)
class StoreConfig:
    data_dir: Path = Path("./var")
    database_url: str | None = None
    database_schema: str | None = None
    threads: int = 16
    # Seconds to wait for a new database connection (libpq: at least 2).
    connect_timeout: int = 5
    # Seconds a request waits for a pooled connection before it answers 503.
    pool_timeout: float = 1.0
    # Seconds a pool retries a lost connection before it connects anew on the next request.
    reconnect_timeout: float = 2.0
    command_retries: int = 8
    snapshot_interval: int = 50
    aggregate_cache: int = 1000
    # The key-encryption key itself (base64), or the file that holds it; never printed.
    kek: str | None = field(default=None, repr=False)
    kek_file: Path | None = None
    # Embedded store only: write a new KEK file when the key store has none yet.
    create_kek: bool = True

    @property
    def uses_postgres(self) -> bool:
        return bool(self.database_url)

    @property
    def sqlite_path(self) -> Path:
        return self.data_dir / "bewijsketen.sqlite"

    @property
    def kek_path(self) -> Path:
        return self.kek_file or self.data_dir / "keys" / "kek.key"

    def kek_source(self) -> KekSource:
        """Where this store's KEK comes from. Several processes share a PostgreSQL store: they
        must be given one KEK, so it is never made up here."""
        return KekSource(
            value=self.kek,
            file=self.kek_path,
            create=self.create_kek and not self.uses_postgres,
        )

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
            "PERSISTENCE_MODULE": "domain.persistence.recorder:Factory",
            "APPLICATION_RECORDER_TOPIC": (
                "domain.persistence.recorder:LeanPostgresApplicationRecorder"
            ),
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
