"""The key store's own tables, in the event store's database: SQLite, PostgreSQL, or (for an
in-memory event store) an in-memory SQLite database of its own.

Statements are written once with `?` placeholders and `{p}` before each table name (the
PostgreSQL schema, or nothing).
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import threading
from collections.abc import Iterator
from typing import Any, Protocol

from eventsourcing.persistence import Recorder
from eventsourcing.postgres import PostgresRecorder
from eventsourcing.sqlite import SQLiteRecorder
from psycopg.rows import tuple_row

Row = tuple[Any, ...]
log = logging.getLogger("bewijsketen.privacy")


class Cursor(Protocol):
    def __call__(self, statement: str, params: tuple[Any, ...] = ()) -> list[Row]: ...


class Database(Protocol):
    blob: str
    bigint: str
    in_memory: bool
    # A statement, first in a shredding transaction, that has freed space overwritten.
    secure_delete: str

    def purge(self, table: str) -> None:
        """Leaves no copy of deleted or overwritten rows of `table` in the database files."""
        ...

    def transaction(
        self, write: bool, durable: bool = True
    ) -> contextlib.AbstractContextManager[Cursor]:
        """`durable=False`: the commit need not wait for the disk. Only for rows that events
        written after them refer to (a new key, an owner): PostgreSQL flushes its log in
        order, so the event's own (durable) commit makes them durable too; should the process
        stop before that event, nothing refers to them."""
        ...


class SQLiteDatabase:
    """Through the event store's own SQLite connections (its writer lock included)."""

    blob = "BLOB"
    bigint = "INTEGER"
    in_memory = False
    secure_delete = "PRAGMA secure_delete = ON"

    def __init__(self, recorder: SQLiteRecorder) -> None:
        self.datastore = recorder.datastore

    def purge(self, table: str) -> None:
        # The pages were zeroed in place; the log still holds their earlier images.
        with self.datastore.get_connection(commit=True) as conn:
            cursor = conn.cursor()
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            busy = cursor.fetchone()[0]
        if busy:
            log.warning(
                "the write-ahead log of %s could not be emptied (a reader was busy): shredded "
                "key material may stay in it until the next checkpoint",
                table,
            )

    @contextlib.contextmanager
    def transaction(self, write: bool, durable: bool = True) -> Iterator[Cursor]:
        with self.datastore.transaction(commit=write) as curs:

            def run(statement: str, params: tuple[Any, ...] = ()) -> list[Row]:
                curs.execute(statement.replace("{p}", ""), params)
                return [tuple(r) for r in curs.fetchall()]

            yield run


class MemoryDatabase:
    """For an in-memory event store: the keys live as long as the process, like its events."""

    blob = "BLOB"
    bigint = "INTEGER"
    in_memory = True
    secure_delete = "PRAGMA secure_delete = ON"

    def __init__(self) -> None:
        self._conn = sqlite3.connect(":memory:", check_same_thread=False, isolation_level=None)
        self._lock = threading.RLock()

    def purge(self, table: str) -> None:
        pass  # nothing is on disk

    @contextlib.contextmanager
    def transaction(self, write: bool, durable: bool = True) -> Iterator[Cursor]:
        with self._lock:
            self._conn.execute("BEGIN")

            def run(statement: str, params: tuple[Any, ...] = ()) -> list[Row]:
                return [tuple(r) for r in self._conn.execute(statement.replace("{p}", ""), params)]

            try:
                yield run
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT" if write else "ROLLBACK")


class PostgresDatabase:
    blob = "BYTEA"
    bigint = "BIGINT"
    in_memory = False
    secure_delete = "SELECT 1"

    def __init__(self, recorder: PostgresRecorder) -> None:
        self.datastore = recorder.datastore
        self.prefix = '"' + self.datastore.schema.replace('"', '""') + '".'

    def purge(self, table: str) -> None:
        # An UPDATE leaves the old row version behind until the table is rewritten; the table
        # of keys is small (rows per student), so rewriting it is quick.
        with self.datastore.get_connection() as conn:
            assert conn.autocommit
            conn.execute(f"VACUUM FULL {self.prefix}{table}".encode())

    @contextlib.contextmanager
    def transaction(self, write: bool, durable: bool = True) -> Iterator[Cursor]:
        with self.datastore.get_connection() as conn, conn.transaction():
            curs = conn.cursor(row_factory=tuple_row)
            if write and not durable:
                curs.execute("SET LOCAL synchronous_commit = off")

            def run(statement: str, params: tuple[Any, ...] = ()) -> list[Row]:
                curs.execute(statement.replace("{p}", self.prefix).replace("?", "%s"), params)
                return list(curs.fetchall()) if curs.description else []

            try:
                yield run
            finally:
                curs.close()


def database_of(recorder: Recorder | None) -> Database:
    """The database the key store shares with this event store."""
    if isinstance(recorder, PostgresRecorder):
        return PostgresDatabase(recorder)
    if isinstance(recorder, SQLiteRecorder):
        return SQLiteDatabase(recorder)
    return MemoryDatabase()
