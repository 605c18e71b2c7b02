"""The read-model store: PostgreSQL (plain tables in a schema of their own) or a SQLite file.

Both offer the same small set of operations to the engine: a write transaction that locks the
projections' tracking rows, bulk inserts, replace-by-trajectory, add-to-aggregate, and the swap
of rebuilt tables. Events are never read from here: they come from the event store.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import re
import sqlite3
import threading
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import psycopg
from psycopg_pool import ConnectionPool

from domain.persistence.files import PRIVATE_FILE, private_file
from projections.config import ProjectionConfig
from projections.escape import (
    MARKER,
    escape,
    escape_json_text,
    escape_params,
    needs_escape,
    unescape_row,
)
from projections.schema import Table, create_index_sql, create_table_sql

TRACKING = "projection_tracking"
FAILURES = "projection_failures"
IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")
SQLITE_CHUNK = 500
APPLICATION_NAME = "bewijsketen-projections"


class RebuildRunning(RuntimeError):
    """Another rebuild of the read models holds the rebuild lock."""


def lock_key(*parts: str) -> int:
    """A 64-bit advisory-lock key for PostgreSQL, stable across processes."""
    digest = hashlib.sha256(":".join(("bewijsketen-projections", *parts)).encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def now_text() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


def storable_rows(table: Table, rows: Iterable[Sequence[Any]]) -> Iterator[Sequence[Any]]:
    """The rows with their text escaped where a column could not hold it (projections/escape.py).

    Only rows that need it are copied; most pass through as they are."""
    texts = [i for i, c in enumerate(table.columns) if c.type == "text"]
    jsons = [i for i, c in enumerate(table.columns) if c.type == "json"]
    for row in rows:
        fixed: list[Any] | None = None
        for i in texts:
            value = row[i]
            if isinstance(value, str) and needs_escape(value):
                fixed = fixed or list(row)
                fixed[i] = escape(value)
        for i in jsons:
            value = row[i]
            if isinstance(value, str) and ("\\u0000" in value or MARKER in value):
                fixed = fixed or list(row)
                fixed[i] = escape_json_text(value)
        yield row if fixed is None else fixed


@dataclass(frozen=True)
class Namespace:
    """Where one set of tables lives: the live read models, or the tables a rebuild builds."""

    dialect: Literal["pg", "sqlite"]
    schema: str = ""
    suffix: str = ""

    def q(self, table: str) -> str:
        if self.dialect == "pg":
            return f'"{self.schema}"."{table}{self.suffix}"'
        return f"{table}{self.suffix}"


@dataclass(frozen=True)
class Tracking:
    name: str
    position: int
    updated_at: Any
    worker: str | None
    rebuilt_at: Any
    fingerprint: str


class Tx(ABC):
    """One write transaction on the read-model store."""

    ph: str

    @abstractmethod
    def execute(self, statement: str, params: Sequence[Any] = ()) -> None: ...

    @abstractmethod
    def fetchall(self, statement: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]: ...

    @abstractmethod
    def executemany(self, statement: str, rows: Sequence[Sequence[Any]]) -> None: ...

    @abstractmethod
    def insert_rows(self, ns: Namespace, table: Table, rows: Iterable[Sequence[Any]]) -> None: ...

    @abstractmethod
    def lock_positions(
        self, tracking: Namespace, names: Sequence[str], wait: bool
    ) -> dict[str, int]:
        """The positions of those projections this transaction could lock (all, if wait)."""

    @abstractmethod
    def select_by_trajectories(
        self, ns: Namespace, table: Table, columns: Sequence[str], ids: Sequence[str]
    ) -> list[tuple[Any, ...]]: ...

    @abstractmethod
    def delete_trajectories(self, ns: Namespace, table: Table, ids: Sequence[str]) -> None: ...

    def set_position(
        self,
        tracking: Namespace,
        name: str,
        position: int,
        worker: str,
        fingerprint: str | None = None,
    ) -> None:
        q = tracking.q(TRACKING)
        ph = self.ph
        if fingerprint is None:
            self.execute(
                f"UPDATE {q} SET position = {ph}, updated_at = {ph}, worker = {ph} "
                f"WHERE name = {ph}",
                (position, now_text(), worker, name),
            )
        else:
            self.execute(
                f"UPDATE {q} SET position = {ph}, updated_at = {ph}, worker = {ph}, "
                f"rebuilt_at = {ph}, fingerprint = {ph} WHERE name = {ph}",
                (position, now_text(), worker, now_text(), fingerprint, name),
            )

    def add_to_aggregate(self, ns: Namespace, table: Table, rows: Sequence[Sequence[Any]]) -> None:
        """Adds each row's values to the row with the same key (inserting it if missing)."""
        if not rows:
            return
        columns = (*table.key, *table.values)
        placeholders = ", ".join([self.ph] * len(columns))
        sums = ", ".join(f"{v} = cur.{v} + excluded.{v}" for v in table.values)
        self.executemany(
            f"INSERT INTO {ns.q(table.name)} AS cur ({', '.join(columns)}) "
            f"VALUES ({placeholders}) ON CONFLICT ({', '.join(table.key)}) DO UPDATE SET {sums}",
            rows,
        )
        # An aggregate row whose sums all fell to zero would not exist after a rebuild.
        zero = " AND ".join(f"{v} = 0" for v in table.values)
        match = " AND ".join(f"{k} = {self.ph}" for k in table.key)
        self.executemany(
            f"DELETE FROM {ns.q(table.name)} WHERE {match} AND {zero}",
            [tuple(row[: len(table.key)]) for row in rows],
        )


class ReadStore(ABC):
    dialect: Literal["pg", "sqlite"]

    def __init__(self, config: ProjectionConfig) -> None:
        self.config = config

    @property
    @abstractmethod
    def live(self) -> Namespace: ...

    @property
    @abstractmethod
    def build(self) -> Namespace: ...

    @abstractmethod
    def transaction(self, pipeline: bool = False) -> contextlib.AbstractContextManager[Tx]:
        """A write transaction. With `pipeline` (PostgreSQL), statements whose results are not
        read are sent without waiting for each other: a runner step costs a few round trips
        instead of dozens."""

    @abstractmethod
    def query(self, statement: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        """A read-only query on the live tables (placeholders in this store's style)."""

    @property
    @abstractmethod
    def ph(self) -> str: ...

    @abstractmethod
    def ensure(
        self, tables_by_projection: dict[str, tuple[Table, ...]], fingerprints: dict[str, str]
    ) -> None:
        """Creates the schema, the tracking table and every projection's tables if missing.

        A projection whose table layout changed (another fingerprint) is dropped and starts
        again from position 0.
        """

    @abstractmethod
    def prepare_build(self, tables: Sequence[Table]) -> None:
        """Empty tables beside the live ones, for a rebuild."""

    @abstractmethod
    def finish_build(self, tables: Sequence[Table]) -> None:
        """Indexes on the built tables, before they are swapped in."""

    @abstractmethod
    def swap(self, tx: Tx, tables: Sequence[Table]) -> None:
        """Replaces the live tables by the built ones, inside the caller's transaction."""

    @abstractmethod
    def drop_build(self) -> None: ...

    @abstractmethod
    def rebuild_lock(self) -> contextlib.AbstractContextManager[None]: ...

    def tracking(self) -> list[Tracking]:
        rows = self.query(
            f"SELECT name, position, updated_at, worker, rebuilt_at, fingerprint "
            f"FROM {self.live.q(TRACKING)} ORDER BY name"
        )
        return [Tracking(**row) for row in rows]

    def position(self, name: str) -> int | None:
        rows = self.query(
            f"SELECT position FROM {self.live.q(TRACKING)} WHERE name = {self.ph}", (name,)
        )
        return int(rows[0]["position"]) if rows else None

    def failures(self) -> dict[str, dict[str, Any]]:
        """Projections marked failed (projections/failures.py), by name."""
        rows = self.query(
            f"SELECT name, position, event, error, since, attempts, worker "
            f"FROM {self.live.q(FAILURES)} ORDER BY name"
        )
        return {str(row.pop("name")): row for row in rows}

    def record_failure(self, name: str, report: dict[str, Any], worker: str) -> None:
        ph = self.ph
        with self.transaction() as tx:
            tx.execute(f"DELETE FROM {self.live.q(FAILURES)} WHERE name = {ph}", (name,))
            tx.execute(
                f"INSERT INTO {self.live.q(FAILURES)} (name, position, event, error, since, "
                f"attempts, worker) VALUES ({ph}, {ph}, {ph}, {ph}, {ph}, {ph}, {ph})",
                (
                    name,
                    report["position"],
                    report["event"],
                    report["error"],
                    report["since"],
                    report["attempts"],
                    worker,
                ),
            )

    def clear_failure(self, name: str) -> None:
        with self.transaction() as tx:
            tx.execute(f"DELETE FROM {self.live.q(FAILURES)} WHERE name = {self.ph}", (name,))

    def close(self) -> None:  # noqa: B027 - a store without resources has nothing to close
        pass

    def _ensure_projection(
        self, tx: Tx, name: str, tables: tuple[Table, ...], fingerprint: str
    ) -> None:
        ns, ph = self.live, tx.ph
        found = tx.fetchall(f"SELECT fingerprint FROM {ns.q(TRACKING)} WHERE name = {ph}", (name,))
        if found and found[0][0] != fingerprint:
            for table in tables:
                tx.execute(f"DROP TABLE IF EXISTS {ns.q(table.name)}")
            tx.execute(
                f"UPDATE {ns.q(TRACKING)} SET position = 0, fingerprint = {ph}, worker = NULL "
                f"WHERE name = {ph}",
                (fingerprint, name),
            )
        elif not found:
            tx.execute(
                f"INSERT INTO {ns.q(TRACKING)} (name, position, fingerprint) "
                f"VALUES ({ph}, 0, {ph})",
                (name, fingerprint),
            )
        for table in tables:
            tx.execute(create_table_sql(table, ns.q(table.name), self.dialect))
            for columns in table.indexes:
                tx.execute(create_index_sql(table, columns, ns.q(table.name)))


def _failures_ddl(qualified: str, dialect: str) -> str:
    big = "bigint" if dialect == "pg" else "INTEGER"
    return (
        f"CREATE TABLE IF NOT EXISTS {qualified} (name TEXT PRIMARY KEY, position {big} NOT NULL, "
        f"event TEXT NOT NULL, error TEXT NOT NULL, since TEXT NOT NULL, attempts {big} NOT NULL, "
        f"worker TEXT)"
    )


def _tracking_ddl(qualified: str, dialect: str) -> str:
    big, time = ("bigint", "timestamptz") if dialect == "pg" else ("INTEGER", "TEXT")
    return (
        f"CREATE TABLE IF NOT EXISTS {qualified} (name TEXT PRIMARY KEY, "
        f"position {big} NOT NULL, updated_at {time}, worker TEXT, rebuilt_at {time}, "
        f"fingerprint TEXT NOT NULL)"
    )


# ---------------------------------------------------------------- PostgreSQL


class PgTx(Tx):
    ph = "%s"

    def __init__(self, conn: psycopg.Connection[Any], pipelined: bool = False) -> None:
        self.conn = conn
        self.cur = conn.cursor()
        self.pipelined = pipelined

    def execute(self, statement: str, params: Sequence[Any] = ()) -> None:
        self.cur.execute(statement.encode(), escape_params(params) or None)

    def fetchall(self, statement: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        self.cur.execute(statement.encode(), escape_params(params) or None)
        return [unescape_row(row) for row in self.cur.fetchall()]

    def executemany(self, statement: str, rows: Sequence[Sequence[Any]]) -> None:
        if rows:
            self.cur.executemany(statement.encode(), [escape_params(r) for r in rows])

    def insert_rows(self, ns: Namespace, table: Table, rows: Iterable[Sequence[Any]]) -> None:
        rows = storable_rows(table, rows)
        columns = ", ".join(table.column_names)
        if self.pipelined:
            # COPY cannot run in pipeline mode; a pipelined executemany is one round trip too.
            marks = ", ".join(["%s"] * len(table.columns))
            batch = list(rows)  # escaped already: not through self.executemany
            if batch:
                self.cur.executemany(
                    f"INSERT INTO {ns.q(table.name)} ({columns}) VALUES ({marks})".encode(), batch
                )
            return
        with self.cur.copy(f"COPY {ns.q(table.name)} ({columns}) FROM STDIN".encode()) as pipe:
            for row in rows:
                pipe.write_row(row)

    def lock_positions(
        self, tracking: Namespace, names: Sequence[str], wait: bool
    ) -> dict[str, int]:
        skip = "" if wait else " SKIP LOCKED"
        rows = self.fetchall(
            f"SELECT name, position FROM {tracking.q(TRACKING)} WHERE name = ANY(%s) "
            f"ORDER BY name FOR UPDATE{skip}",
            (list(names),),
        )
        return {str(name): int(position) for name, position in rows}

    def select_by_trajectories(
        self, ns: Namespace, table: Table, columns: Sequence[str], ids: Sequence[str]
    ) -> list[tuple[Any, ...]]:
        return self.fetchall(
            f"SELECT {', '.join(columns)} FROM {ns.q(table.name)} "
            f"WHERE trajectory_id = ANY(%s::uuid[])",
            (list(ids),),
        )

    def delete_trajectories(self, ns: Namespace, table: Table, ids: Sequence[str]) -> None:
        if ids:
            self.execute(
                f"DELETE FROM {ns.q(table.name)} WHERE trajectory_id = ANY(%s::uuid[])",
                (list(ids),),
            )


class PostgresReadStore(ReadStore):
    dialect: Literal["pg", "sqlite"] = "pg"

    def __init__(self, config: ProjectionConfig) -> None:
        super().__init__(config)
        for schema in (config.read_schema, config.build_schema):
            if not IDENTIFIER.match(schema):
                raise ValueError(f"not a plain SQL identifier: {schema!r}")
        assert config.store.database_url
        self.url = config.store.database_url
        self._pool: ConnectionPool[psycopg.Connection[Any]] | None = None
        self._pool_lock = threading.Lock()
        self._tx_local = threading.local()
        self._writers: list[psycopg.Connection[Any]] = []

    @property
    def live(self) -> Namespace:
        return Namespace("pg", schema=self.config.read_schema)

    @property
    def build(self) -> Namespace:
        return Namespace("pg", schema=self.config.build_schema)

    @property
    def ph(self) -> str:
        return "%s"

    def connect(self, autocommit: bool = False) -> psycopg.Connection[Any]:
        return psycopg.connect(
            self.url,
            autocommit=autocommit,
            connect_timeout=self.config.store.connect_timeout,
            application_name=APPLICATION_NAME,
        )

    def _readers(self) -> ConnectionPool[psycopg.Connection[Any]]:
        with self._pool_lock:
            if self._pool is None:
                self._pool = ConnectionPool(
                    self.url,
                    min_size=1,
                    max_size=max(2, self.config.store.threads),
                    kwargs={
                        "autocommit": True,
                        "application_name": APPLICATION_NAME,
                        "connect_timeout": self.config.store.connect_timeout,
                    },
                    open=True,
                    timeout=self.config.store.pool_timeout,
                    reconnect_timeout=self.config.store.reconnect_timeout,
                )
            return self._pool

    def query(self, statement: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        with self._readers().connection() as conn, conn.cursor() as cur:
            cur.execute(statement.encode(), escape_params(params) or None)
            names = [d.name for d in cur.description or ()]
            return [dict(zip(names, unescape_row(row), strict=True)) for row in cur.fetchall()]

    @contextlib.contextmanager
    def transaction(self, pipeline: bool = False) -> Iterator[Tx]:
        conn = self._tx_connection()
        try:
            with conn.transaction():
                if pipeline:
                    with conn.pipeline():
                        yield PgTx(conn, pipelined=True)
                else:
                    yield PgTx(conn)
        except (psycopg.OperationalError, psycopg.InterfaceError):
            # A broken connection is not reused: the next transaction opens a new one.
            self._tx_local.conn = None
            with contextlib.suppress(Exception):
                conn.close()
            raise

    def _tx_connection(self) -> psycopg.Connection[Any]:
        """One writing connection per thread (the runner, a rebuild), kept between batches."""
        conn: psycopg.Connection[Any] | None = getattr(self._tx_local, "conn", None)
        if conn is None or conn.closed:
            conn = self.connect()
            self._tx_local.conn = conn
            with self._pool_lock:
                self._writers.append(conn)
        return conn

    def ensure(
        self, tables_by_projection: dict[str, tuple[Table, ...]], fingerprints: dict[str, str]
    ) -> None:
        with self.transaction() as tx:
            # Workers and API processes may start together: one of them creates the tables.
            tx.execute(
                "SELECT pg_advisory_xact_lock(%s)", (lock_key(self.config.read_schema, "ddl"),)
            )
            tx.execute(f'CREATE SCHEMA IF NOT EXISTS "{self.config.read_schema}"')
            tx.execute(_tracking_ddl(self.live.q(TRACKING), "pg"))
            tx.execute(_failures_ddl(self.live.q(FAILURES), "pg"))
            for name, tables in tables_by_projection.items():
                self._ensure_projection(tx, name, tables, fingerprints[name])

    def prepare_build(self, tables: Sequence[Table]) -> None:
        with self.transaction() as tx:
            tx.execute(f'DROP SCHEMA IF EXISTS "{self.config.build_schema}" CASCADE')
            tx.execute(f'CREATE SCHEMA "{self.config.build_schema}"')
            for table in tables:
                tx.execute(create_table_sql(table, self.build.q(table.name), "pg"))

    def finish_build(self, tables: Sequence[Table]) -> None:
        with self.transaction() as tx:
            for table in tables:
                for columns in table.indexes:
                    tx.execute(create_index_sql(table, columns, self.build.q(table.name)))
                tx.execute(f"ANALYZE {self.build.q(table.name)}")

    def swap(self, tx: Tx, tables: Sequence[Table]) -> None:
        for table in tables:
            tx.execute(f"DROP TABLE IF EXISTS {self.live.q(table.name)}")
            tx.execute(
                f'ALTER TABLE {self.build.q(table.name)} SET SCHEMA "{self.config.read_schema}"'
            )

    def drop_build(self) -> None:
        with self.transaction() as tx:
            tx.execute(f'DROP SCHEMA IF EXISTS "{self.config.build_schema}" CASCADE')

    @contextlib.contextmanager
    def rebuild_lock(self) -> Iterator[None]:
        key = lock_key(self.config.read_schema, "rebuild")
        with self.connect(autocommit=True) as conn:
            row = conn.execute("SELECT pg_try_advisory_lock(%s)", (key,)).fetchone()
            if not row or not row[0]:
                raise RebuildRunning("another rebuild of these read models is running")
            try:
                yield
            finally:
                conn.execute("SELECT pg_advisory_unlock(%s)", (key,))

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()
            self._pool = None
        with self._pool_lock:
            for conn in self._writers:
                with contextlib.suppress(Exception):
                    conn.close()
            self._writers.clear()
        self._tx_local = threading.local()


# ---------------------------------------------------------------- SQLite


class SQLiteTx(Tx):
    ph = "?"

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def execute(self, statement: str, params: Sequence[Any] = ()) -> None:
        self.conn.execute(statement, tuple(escape_params(params)))

    def fetchall(self, statement: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        found = self.conn.execute(statement, tuple(escape_params(params))).fetchall()
        return [unescape_row(row) for row in found]

    def executemany(self, statement: str, rows: Sequence[Sequence[Any]]) -> None:
        if rows:
            self.conn.executemany(statement, [escape_params(r) for r in rows])

    def insert_rows(self, ns: Namespace, table: Table, rows: Iterable[Sequence[Any]]) -> None:
        marks = ", ".join("?" * len(table.columns))
        self.conn.executemany(
            f"INSERT INTO {ns.q(table.name)} ({', '.join(table.column_names)}) VALUES ({marks})",
            storable_rows(table, rows),
        )

    def lock_positions(
        self, tracking: Namespace, names: Sequence[str], wait: bool
    ) -> dict[str, int]:
        # The transaction began IMMEDIATE: it already holds the only write lock of the file.
        marks = ", ".join("?" * len(names))
        rows = self.fetchall(
            f"SELECT name, position FROM {tracking.q(TRACKING)} WHERE name IN ({marks})", names
        )
        return {str(name): int(position) for name, position in rows}

    def select_by_trajectories(
        self, ns: Namespace, table: Table, columns: Sequence[str], ids: Sequence[str]
    ) -> list[tuple[Any, ...]]:
        found: list[tuple[Any, ...]] = []
        for i in range(0, len(ids), SQLITE_CHUNK):
            chunk = ids[i : i + SQLITE_CHUNK]
            found += self.fetchall(
                f"SELECT {', '.join(columns)} FROM {ns.q(table.name)} "
                f"WHERE trajectory_id IN ({', '.join('?' * len(chunk))})",
                chunk,
            )
        return found

    def delete_trajectories(self, ns: Namespace, table: Table, ids: Sequence[str]) -> None:
        for i in range(0, len(ids), SQLITE_CHUNK):
            chunk = ids[i : i + SQLITE_CHUNK]
            self.execute(
                f"DELETE FROM {ns.q(table.name)} WHERE trajectory_id IN "
                f"({', '.join('?' * len(chunk))})",
                chunk,
            )


class SQLiteReadStore(ReadStore):
    dialect: Literal["pg", "sqlite"] = "sqlite"
    BUILD_SUFFIX = "__rebuild"

    def __init__(self, config: ProjectionConfig) -> None:
        super().__init__(config)
        self.path = config.read_path
        private_file(self.path)
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._all_lock = threading.Lock()

    @property
    def live(self) -> Namespace:
        return Namespace("sqlite")

    @property
    def build(self) -> Namespace:
        return Namespace("sqlite", suffix=self.BUILD_SUFFIX)

    @property
    def ph(self) -> str:
        return "?"

    def _connection(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(
                self.path, timeout=60, isolation_level=None, check_same_thread=False
            )
            conn.execute("PRAGMA journal_mode=WAL")
            # A crash loses no committed transaction; a power cut may lose the last ones, but
            # then their positions go with them, so they are applied again: still exactly once.
            conn.execute("PRAGMA synchronous=NORMAL")
            self._local.conn = conn
            with self._all_lock:
                self._all.append(conn)
        return conn

    def query(self, statement: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        cur = self._connection().execute(statement, tuple(escape_params(params)))
        names = [d[0] for d in cur.description or ()]
        return [dict(zip(names, unescape_row(row), strict=True)) for row in cur.fetchall()]

    @contextlib.contextmanager
    def transaction(self, pipeline: bool = False) -> Iterator[Tx]:
        conn = self._connection()
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield SQLiteTx(conn)
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        else:
            conn.execute("COMMIT")

    def ensure(
        self, tables_by_projection: dict[str, tuple[Table, ...]], fingerprints: dict[str, str]
    ) -> None:
        with self.transaction() as tx:
            tx.execute(_tracking_ddl(TRACKING, "sqlite"))
            tx.execute(_failures_ddl(FAILURES, "sqlite"))
            for name, tables in tables_by_projection.items():
                self._ensure_projection(tx, name, tables, fingerprints[name])

    def prepare_build(self, tables: Sequence[Table]) -> None:
        with self.transaction() as tx:
            for table in tables:
                tx.execute(f"DROP TABLE IF EXISTS {self.build.q(table.name)}")
                tx.execute(create_table_sql(table, self.build.q(table.name), "sqlite"))

    def finish_build(self, tables: Sequence[Table]) -> None:
        # SQLite index names are global to the file: the indexes are made after the swap.
        pass

    def swap(self, tx: Tx, tables: Sequence[Table]) -> None:
        for table in tables:
            tx.execute(f"DROP TABLE IF EXISTS {self.live.q(table.name)}")
            tx.execute(f"ALTER TABLE {self.build.q(table.name)} RENAME TO {table.name}")
            for columns in table.indexes:
                tx.execute(create_index_sql(table, columns, self.live.q(table.name)))

    def drop_build(self) -> None:
        with self.transaction() as tx:
            names = tx.fetchall(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE ?",
                (f"%{self.BUILD_SUFFIX}",),
            )
            for (name,) in names:
                tx.execute(f"DROP TABLE IF EXISTS {name}")

    @contextlib.contextmanager
    def rebuild_lock(self) -> Iterator[None]:
        lock_path = Path(f"{self.path}.rebuild.lock")
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, PRIVATE_FILE)
        with os.fdopen(fd, "w") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise RebuildRunning("another rebuild of these read models is running") from None
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def close(self) -> None:
        with self._all_lock:
            for conn in self._all:
                with contextlib.suppress(Exception):
                    conn.close()
            self._all.clear()
        self._local = threading.local()


def open_store(config: ProjectionConfig) -> ReadStore:
    if config.uses_postgres:
        return PostgresReadStore(config)
    return SQLiteReadStore(config)
