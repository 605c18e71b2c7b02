"""The audit log's own tables, beside the events table, on PostgreSQL or SQLite.

    audit_leaves       leaf_index → position, aggregate id, version, leaf hash (one per event)
    audit_nodes        hashes of perfect subtrees of 2^4 leaves and more, for fast proofs
    audit_state        one row: tree size, last sealed position, compact frontier (tracking)
    audit_checkpoints  signed tree heads (`note` holds the C2SP body; NULL for the first format)
    audit_cosignatures witnesses' cosignature lines per checkpoint
    audit_timestamps   RFC 3161 timestamp tokens per checkpoint
    audit_keys         the log's keys: the first one recorded, then each announced rotation

A batch of leaves, its subtree hashes and the new state are written in one transaction whose
UPDATE of the state names the tree size it started from: a second sealer that raced it
writes nothing (exactly once, like a projection's tracking record).
"""

from __future__ import annotations

import sqlite3
import uuid
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import psycopg
from psycopg_pool import ConnectionPool

from domain.persistence.config import StoreConfig
from domain.persistence.files import private_file
from projections.audit.checkpoint import Checkpoint
from projections.audit.leaf import StoredRow, aggregate_id_bytes
from projections.audit.merkle import Block, Frontier, root_of
from projections.audit.tlog import parse_body

# Subtrees of fewer leaves are rehashed from the leaves when a proof needs them: storing every
# level would double the rows written per event, for proofs that are fast enough without.
NODE_MIN_LEVEL = 4

LeafRow = tuple[int, int, bytes, int, bytes]
"""(leaf_index, position, aggregate id bytes, version, leaf hash)"""
EventTuple = tuple[int, bytes, int, str, bytes]
"""(position, aggregate id bytes, version, topic, stored state): what verification hashes."""


@dataclass(frozen=True)
class SealState:
    tree_size: int
    last_position: int
    frontier: Frontier
    updated_at: str


class AuditStore(ABC):
    """Access to the events table (read only) and the audit tables (read and write)."""

    placeholder = "%s"

    def __init__(self) -> None:
        self.tables = {
            "events": self.quote_table(self.events_table),
            "leaves": self.quote_table("bewijsketen_audit_leaves"),
            "nodes": self.quote_table("bewijsketen_audit_nodes"),
            "state": self.quote_table("bewijsketen_audit_state"),
            "checkpoints": self.quote_table("bewijsketen_audit_checkpoints"),
            "cosignatures": self.quote_table("bewijsketen_audit_cosignatures"),
            "timestamps": self.quote_table("bewijsketen_audit_timestamps"),
            "keys": self.quote_table("bewijsketen_audit_keys"),
        }

    # ---- backend specifics

    events_table: str = ""
    backend: str = ""

    @abstractmethod
    def quote_table(self, name: str) -> str: ...

    @abstractmethod
    @contextmanager
    def transaction(self) -> Iterator[Any]:
        """A cursor inside one transaction (committed on success)."""

    @abstractmethod
    def _insert_many(
        self, cur: Any, table: str, columns: Sequence[str], rows: Sequence[tuple[Any, ...]]
    ) -> None: ...

    @abstractmethod
    def stream(
        self, query: str, params: Sequence[Any] = (), batch: int = 10_000
    ) -> Iterator[list[tuple[Any, ...]]]:
        """Rows of a query in batches, without holding them all in memory."""

    @abstractmethod
    def stream_events(self, batch: int = 10_000) -> Iterator[list[EventTuple]]: ...

    @abstractmethod
    def find_events(self, aggregate_ids: Sequence[uuid.UUID]) -> list[StoredRow]: ...

    @abstractmethod
    def find_event(self, aggregate_id: bytes, version: int) -> EventTuple | None: ...

    @abstractmethod
    def _ddl(self) -> list[str]: ...

    @abstractmethod
    def close(self) -> None:
        """Releases connections."""

    # ---- helpers

    def q(self, text: str) -> str:
        text = text.format(**self.tables)
        return text if self.placeholder == "%s" else text.replace("%s", self.placeholder)

    def query(self, text: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self.transaction() as cur:
            cur.execute(self.q(text), tuple(params))
            return list(cur.fetchall())

    # ---- schema and state

    def create_tables(self) -> None:
        with self.transaction() as cur:
            for statement in self._ddl():
                cur.execute(self.q(statement))

    def load_state(self) -> SealState:
        rows = self.query("SELECT tree_size, last_position, frontier, updated_at FROM {state}")
        if not rows:
            return SealState(0, 0, Frontier(), "")
        size, last, frontier, updated = rows[0]
        return SealState(
            int(size), int(last), Frontier.from_bytes(int(size), bytes(frontier)), str(updated)
        )

    def commit_batch(
        self,
        previous_size: int,
        state: SealState,
        leaves: Sequence[LeafRow],
        nodes: Sequence[tuple[int, int, bytes]],
        checkpoint: Checkpoint | None = None,
    ) -> bool:
        """Writes a sealed batch; False (and nothing written) if another sealer got there first."""
        with self.transaction() as cur:
            cur.execute(
                self.q(
                    "UPDATE {state} SET tree_size = %s, last_position = %s, frontier = %s, "
                    "updated_at = %s WHERE id = 1 AND tree_size = %s"
                ),
                (
                    state.tree_size,
                    state.last_position,
                    state.frontier.to_bytes(),
                    state.updated_at,
                    previous_size,
                ),
            )
            if cur.rowcount != 1:
                return False
            self._insert_many(
                cur,
                self.tables["leaves"],
                ("leaf_index", "position", "aggregate_id", "version", "leaf_hash"),
                leaves,
            )
            self._insert_many(cur, self.tables["nodes"], ("level", "idx", "hash"), nodes)
            if checkpoint is not None:
                self._insert_checkpoint(cur, checkpoint)
        return True

    def _insert_checkpoint(self, cur: Any, c: Checkpoint) -> None:
        cur.execute(
            self.q(
                "INSERT INTO {checkpoints} (tree_size, root_hash, issued_at, origin, key_id, "
                "signature, note) VALUES (%s, %s, %s, %s, %s, %s, %s)"
            ),
            (
                c.tree_size,
                c.root_hash,
                c.issued_at,
                c.origin,
                c.key_id,
                c.signature,
                None if c.legacy else c.signed_text,
            ),
        )

    def add_checkpoint(self, checkpoint: Checkpoint) -> bool:
        """Stores a checkpoint unless one of that size exists already."""
        try:
            with self.transaction() as cur:
                self._insert_checkpoint(cur, checkpoint)
        except (psycopg.IntegrityError, sqlite3.IntegrityError):
            return False
        return True

    # ---- checkpoints

    _CHECKPOINT_COLUMNS = "origin, tree_size, root_hash, issued_at, key_id, signature, note"

    @staticmethod
    def _checkpoint(row: Sequence[Any], cosignatures: Sequence[str] = ()) -> Checkpoint:
        origin, size, root, issued, key, signature, note = row
        if note is None:
            return Checkpoint(
                str(origin),
                int(size),
                bytes(root),
                str(issued),
                str(key),
                bytes(signature),
                legacy=True,
            )
        # The columns say what the checkpoint claims; the note adds its extension lines. A
        # column changed behind the log's back then fails the signature over the whole.
        body = parse_body(str(note))
        return Checkpoint(
            str(origin),
            int(size),
            bytes(root),
            str(issued),
            str(key),
            bytes(signature),
            body.extensions,
            cosignatures=tuple(cosignatures),
        )

    def _cosignature_lines(self, sizes: Sequence[int] | None = None) -> dict[int, list[str]]:
        if sizes is None:
            rows = self.query("SELECT tree_size, line FROM {cosignatures} ORDER BY tree_size, name")
        elif not sizes:
            return {}
        else:
            marks = ", ".join(["%s"] * len(sizes))
            rows = self.query(
                f"SELECT tree_size, line FROM {{cosignatures}} WHERE tree_size IN ({marks}) "
                "ORDER BY tree_size, name",
                list(sizes),
            )
        out: dict[int, list[str]] = {}
        for size, line in rows:
            out.setdefault(int(size), []).append(str(line))
        return out

    def checkpoints(self) -> list[Checkpoint]:
        rows = self.query(
            f"SELECT {self._CHECKPOINT_COLUMNS} FROM {{checkpoints}} ORDER BY tree_size"
        )
        lines = self._cosignature_lines()
        return [self._checkpoint(r, lines.get(int(r[1]), ())) for r in rows]

    def checkpoint(self, tree_size: int) -> Checkpoint | None:
        rows = self.query(
            f"SELECT {self._CHECKPOINT_COLUMNS} FROM {{checkpoints}} WHERE tree_size = %s",
            (tree_size,),
        )
        if not rows:
            return None
        return self._checkpoint(rows[0], self._cosignature_lines([tree_size]).get(tree_size, ()))

    def latest_checkpoint(self) -> Checkpoint | None:
        rows = self.query(
            f"SELECT {self._CHECKPOINT_COLUMNS} FROM {{checkpoints}} "
            "ORDER BY tree_size DESC LIMIT 1"
        )
        if not rows:
            return None
        size = int(rows[0][1])
        return self._checkpoint(rows[0], self._cosignature_lines([size]).get(size, ()))

    # ---- cosignatures, timestamps and keys

    def add_cosignature(self, tree_size: int, name: str, key_id: int, line: str, at: int) -> None:
        """Keeps a witness's cosignature of a checkpoint (once per witness key)."""
        with self.transaction() as cur:
            cur.execute(
                self.q(
                    "INSERT INTO {cosignatures} (tree_size, name, key_id, timestamp, line) "
                    "VALUES (%s, %s, %s, %s, %s) " + self.on_conflict_nothing
                ),
                (tree_size, name, key_id, at, line),
            )

    def add_timestamp(self, tree_size: int, token: bytes, tsa: str, gen_time: str) -> None:
        with self.transaction() as cur:
            cur.execute(
                self.q(
                    "INSERT INTO {timestamps} (tree_size, token, tsa, gen_time) "
                    "VALUES (%s, %s, %s, %s) " + self.on_conflict_nothing
                ),
                (tree_size, token, tsa, gen_time),
            )

    def timestamps(self) -> dict[int, bytes]:
        """tree size → the DER timestamp response (RFC 3161) kept for that checkpoint."""
        rows = self.query("SELECT tree_size, token FROM {timestamps} ORDER BY tree_size")
        return {int(s): bytes(t) for s, t in rows}

    def timestamp(self, tree_size: int) -> bytes | None:
        rows = self.query("SELECT token FROM {timestamps} WHERE tree_size = %s", (tree_size,))
        return bytes(rows[0][0]) if rows else None

    def log_keys(self) -> list[tuple[int, str, str | None]]:
        """The log's keys in order: (sequence, vkey, the announcing checkpoint note or None)."""
        rows = self.query("SELECT seq, vkey, announcement FROM {keys} ORDER BY seq")
        return [(int(s), str(v), None if a is None else str(a)) for s, v, a in rows]

    def record_key(self, vkey: str, announcement: str | None) -> bool:
        """Appends a key: the first (no announcement), or one announced by the previous key."""
        keys = self.log_keys()
        seq = keys[-1][0] + 1 if keys else 1
        if (announcement is None) != (seq == 1):
            raise ValueError("only the first key is recorded without an announcement")
        try:
            with self.transaction() as cur:
                cur.execute(
                    self.q(
                        "INSERT INTO {keys} (seq, vkey, announcement, recorded_at) "
                        "VALUES (%s, %s, %s, %s)"
                    ),
                    (seq, vkey, announcement, now_text()),
                )
        except (psycopg.IntegrityError, sqlite3.IntegrityError):
            return False
        return True

    on_conflict_nothing = "ON CONFLICT DO NOTHING"

    # ---- leaves and blocks

    def leaves_at_positions(self, positions: Sequence[int]) -> dict[int, tuple[int, bytes]]:
        """position → (leaf index, leaf hash) for the sealed ones among `positions`."""
        out: dict[int, tuple[int, bytes]] = {}
        wanted = sorted(set(positions))
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            marks = ", ".join(["%s"] * len(chunk))
            rows = self.query(
                "SELECT position, leaf_index, leaf_hash FROM {leaves} "
                f"WHERE position IN ({marks})",
                chunk,
            )
            out.update({int(p): (int(i), bytes(h)) for p, i, h in rows})
        return out

    def leaf_by_identity(self, aggregate_id: bytes, version: int) -> tuple[int, int, bytes] | None:
        """(leaf index, position, leaf hash) of the sealed leaf of an event, if any."""
        rows = self.query(
            "SELECT leaf_index, position, leaf_hash FROM {leaves} "
            "WHERE aggregate_id = %s AND version = %s",
            (aggregate_id, version),
        )
        return (int(rows[0][0]), int(rows[0][1]), bytes(rows[0][2])) if rows else None

    def leaf_at(self, position: int) -> tuple[int, int, bytes, int, bytes]:
        """(leaf index, position, aggregate id bytes, version, leaf hash) of a sealed leaf."""
        ((i, p, a, v, h),) = self.query(
            "SELECT leaf_index, position, aggregate_id, version, leaf_hash FROM {leaves} "
            "WHERE position = %s",
            (position,),
        )
        return int(i), int(p), bytes(a), int(v), bytes(h)

    def leaf_hashes(self, start: int, end: int) -> list[bytes]:
        rows = self.query(
            "SELECT leaf_hash FROM {leaves} WHERE leaf_index >= %s AND leaf_index < %s "
            "ORDER BY leaf_index",
            (start, end),
        )
        return [bytes(r[0]) for r in rows]

    def blocks(self, wanted: Sequence[Block]) -> dict[Block, bytes]:
        """BlockSource: stored subtree hashes, small ones rehashed from their leaves."""
        out: dict[Block, bytes] = {}
        stored = [b for b in wanted if b[0] >= NODE_MIN_LEVEL]
        for start in range(0, len(stored), 200):
            chunk = stored[start : start + 200]
            where = " OR ".join(["(level = %s AND idx = %s)"] * len(chunk))
            params = [v for block in chunk for v in block]
            for level, idx, hashed in self.query(
                f"SELECT level, idx, hash FROM {{nodes}} WHERE {where}", params
            ):
                out[(int(level), int(idx))] = bytes(hashed)
        small = [b for b in wanted if b[0] < NODE_MIN_LEVEL]
        for start in range(0, len(small), 200):
            chunk = small[start : start + 200]
            ranges = [(i << level, (i + 1) << level) for level, i in chunk]
            where = " OR ".join(["(leaf_index >= %s AND leaf_index < %s)"] * len(ranges))
            rows = self.query(
                f"SELECT leaf_index, leaf_hash FROM {{leaves}} WHERE {where}",
                [v for r in ranges for v in r],
            )
            by_index = {int(i): bytes(h) for i, h in rows}
            for (level, i), (lo, hi) in zip(chunk, ranges, strict=True):
                hashes = [by_index[k] for k in range(lo, hi) if k in by_index]
                if len(hashes) == hi - lo:
                    out[(level, i)] = root_of(hashes)
        missing = [b for b in wanted if b not in out]
        if missing:
            raise LookupError(f"subtree hashes not sealed (yet): {missing[:5]}")
        return out

    # ---- streams for verification

    def stream_leaves(self, batch: int = 10_000) -> Iterator[list[tuple[Any, ...]]]:
        return self.stream(
            "SELECT leaf_index, position, leaf_hash FROM {leaves} ORDER BY leaf_index",
            batch=batch,
        )

    def stream_nodes(self, batch: int = 10_000) -> Iterator[list[tuple[Any, ...]]]:
        # In the order a streaming recomputation completes them: by their last leaf, then level.
        return self.stream(
            "SELECT level, idx, hash FROM {nodes} "
            f"ORDER BY (idx + 1) * ({self.one_bigint} << level), level",
            batch=batch,
        )

    def count_events(self) -> tuple[int, int]:
        """(number of events, highest position)."""
        count, top = self.query(f"SELECT COUNT(*), MAX({self.position_column}) FROM {{events}}")[0]
        return int(count), int(top or 0)

    position_column = "notification_id"
    one_bigint = "1::bigint"


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class PostgresAuditStore(AuditStore):
    backend = "postgres"
    events_table = "bewijsketen_events"

    def __init__(
        self,
        database_url: str,
        schema: str | None = None,
        pool_size: int = 4,
        connect_timeout: int = 5,
        pool_timeout: float = 1.0,
        reconnect_timeout: float = 2.0,
    ) -> None:
        self.schema = schema or "public"
        super().__init__()
        self.pool: ConnectionPool[psycopg.Connection[tuple[Any, ...]]] = ConnectionPool(
            database_url,
            min_size=1,
            max_size=pool_size,
            kwargs={"autocommit": True, "connect_timeout": connect_timeout},
            open=True,
            name="bewijsketen-audit",
            timeout=pool_timeout,
            reconnect_timeout=reconnect_timeout,
        )

    def quote_table(self, name: str) -> str:
        return f"{_quote(self.schema)}.{_quote(name)}"

    def _ddl(self) -> list[str]:
        return [
            # Two processes may start sealers at once; DDL under one lock avoids a race.
            "SELECT pg_advisory_xact_lock(7391004512)",
            "CREATE TABLE IF NOT EXISTS {leaves} (leaf_index BIGINT PRIMARY KEY, "
            "position BIGINT NOT NULL UNIQUE, aggregate_id BYTEA NOT NULL, "
            "version BIGINT NOT NULL, leaf_hash BYTEA NOT NULL)",
            "CREATE TABLE IF NOT EXISTS {nodes} (level SMALLINT NOT NULL, idx BIGINT NOT NULL, "
            "hash BYTEA NOT NULL, PRIMARY KEY (level, idx))",
            "CREATE TABLE IF NOT EXISTS {state} (id SMALLINT PRIMARY KEY CHECK (id = 1), "
            "tree_size BIGINT NOT NULL, last_position BIGINT NOT NULL, frontier BYTEA NOT NULL, "
            "updated_at TEXT NOT NULL)",
            "INSERT INTO {state} VALUES (1, 0, 0, '', '') ON CONFLICT (id) DO NOTHING",
            "CREATE TABLE IF NOT EXISTS {checkpoints} (tree_size BIGINT PRIMARY KEY, "
            "root_hash BYTEA NOT NULL, issued_at TEXT NOT NULL, origin TEXT NOT NULL, "
            "key_id TEXT NOT NULL, signature BYTEA NOT NULL)",
            "ALTER TABLE {checkpoints} ADD COLUMN IF NOT EXISTS note TEXT",
            "CREATE TABLE IF NOT EXISTS {cosignatures} (tree_size BIGINT NOT NULL, "
            "name TEXT NOT NULL, key_id BIGINT NOT NULL, timestamp BIGINT NOT NULL, "
            "line TEXT NOT NULL, PRIMARY KEY (tree_size, name, key_id))",
            "CREATE TABLE IF NOT EXISTS {timestamps} (tree_size BIGINT PRIMARY KEY, "
            "token BYTEA NOT NULL, tsa TEXT NOT NULL, gen_time TEXT NOT NULL)",
            "CREATE TABLE IF NOT EXISTS {keys} (seq INTEGER PRIMARY KEY, vkey TEXT NOT NULL, "
            "announcement TEXT, recorded_at TEXT NOT NULL)",
        ]

    @contextmanager
    def transaction(self) -> Iterator[Any]:
        with self.pool.connection() as conn, conn.transaction(), conn.cursor() as cur:
            yield cur

    def _insert_many(
        self, cur: Any, table: str, columns: Sequence[str], rows: Sequence[tuple[Any, ...]]
    ) -> None:
        if not rows:
            return
        types = {
            "level": "int2",
            "idx": "int8",
            "hash": "bytea",
            "leaf_index": "int8",
            "position": "int8",
            "aggregate_id": "bytea",
            "version": "int8",
            "leaf_hash": "bytea",
        }
        statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN (FORMAT BINARY)"
        with cur.copy(statement) as copy:
            copy.set_types([types[c] for c in columns])
            for row in rows:
                copy.write_row(row)

    def stream(
        self, query: str, params: Sequence[Any] = (), batch: int = 10_000
    ) -> Iterator[list[tuple[Any, ...]]]:
        # A server-side cursor: rows arrive in batches, never all at once.
        name = f"audit_{uuid.uuid4().hex[:8]}"
        with (
            self.pool.connection() as conn,
            conn.transaction(),
            conn.cursor(name=name, binary=True) as cur,
        ):
            cur.itersize = batch
            cur.execute(self.q(query), tuple(params))
            while rows := cur.fetchmany(batch):
                yield rows

    def stream_events(self, batch: int = 10_000) -> Iterator[list[EventTuple]]:
        return self.stream(
            "SELECT notification_id, uuid_send(originator_id), originator_version, topic, state "
            "FROM {events} ORDER BY notification_id",
            batch=batch,
        )

    def find_event(self, aggregate_id: bytes, version: int) -> EventTuple | None:
        rows = self.query(
            "SELECT notification_id, uuid_send(originator_id), originator_version, topic, state "
            "FROM {events} WHERE originator_id = %s AND originator_version = %s",
            (uuid.UUID(bytes=aggregate_id), version),
        )
        if not rows:
            return None
        p, i, v, t, s = rows[0]
        return int(p), bytes(i), int(v), str(t), bytes(s)

    def find_events(self, aggregate_ids: Sequence[uuid.UUID]) -> list[StoredRow]:
        rows = self.query(
            "SELECT notification_id, originator_id, originator_version, topic, state "
            "FROM {events} WHERE originator_id = ANY(%s) ORDER BY notification_id",
            (list(aggregate_ids),),
        )
        return [StoredRow(int(p), i, int(v), str(t), bytes(s)) for p, i, v, t, s in rows]

    def close(self) -> None:
        self.pool.close()


class SQLiteAuditStore(AuditStore):
    """Opens a connection per operation: SQLite connections are cheap and thread-bound."""

    backend = "sqlite"
    events_table = "stored_events"
    placeholder = "?"
    position_column = "rowid"
    one_bigint = "1"

    def __init__(self, path: str) -> None:
        self.path = path
        super().__init__()

    def quote_table(self, name: str) -> str:
        return _quote(name)

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=30, isolation_level=None)

    def _ddl(self) -> list[str]:
        return [
            "CREATE TABLE IF NOT EXISTS {leaves} (leaf_index INTEGER PRIMARY KEY, "
            "position INTEGER NOT NULL UNIQUE, aggregate_id BLOB NOT NULL, "
            "version INTEGER NOT NULL, leaf_hash BLOB NOT NULL)",
            "CREATE TABLE IF NOT EXISTS {nodes} (level INTEGER NOT NULL, idx INTEGER NOT NULL, "
            "hash BLOB NOT NULL, PRIMARY KEY (level, idx)) WITHOUT ROWID",
            "CREATE TABLE IF NOT EXISTS {state} (id INTEGER PRIMARY KEY CHECK (id = 1), "
            "tree_size INTEGER NOT NULL, last_position INTEGER NOT NULL, "
            "frontier BLOB NOT NULL, updated_at TEXT NOT NULL)",
            "INSERT OR IGNORE INTO {state} VALUES (1, 0, 0, X'', '')",
            "CREATE TABLE IF NOT EXISTS {checkpoints} (tree_size INTEGER PRIMARY KEY, "
            "root_hash BLOB NOT NULL, issued_at TEXT NOT NULL, origin TEXT NOT NULL, "
            "key_id TEXT NOT NULL, signature BLOB NOT NULL)",
            "CREATE TABLE IF NOT EXISTS {cosignatures} (tree_size INTEGER NOT NULL, "
            "name TEXT NOT NULL, key_id INTEGER NOT NULL, timestamp INTEGER NOT NULL, "
            "line TEXT NOT NULL, PRIMARY KEY (tree_size, name, key_id))",
            "CREATE TABLE IF NOT EXISTS {timestamps} (tree_size INTEGER PRIMARY KEY, "
            "token BLOB NOT NULL, tsa TEXT NOT NULL, gen_time TEXT NOT NULL)",
            "CREATE TABLE IF NOT EXISTS {keys} (seq INTEGER PRIMARY KEY, vkey TEXT NOT NULL, "
            "announcement TEXT, recorded_at TEXT NOT NULL)",
        ]

    def create_tables(self) -> None:
        super().create_tables()
        # Logs made before checkpoints became C2SP notes lack the note column.
        with self.transaction() as cur:
            cur.execute(self.q("PRAGMA table_info({checkpoints})"))
            if "note" not in {row[1] for row in cur.fetchall()}:
                cur.execute(self.q("ALTER TABLE {checkpoints} ADD COLUMN note TEXT"))

    @contextmanager
    def transaction(self) -> Iterator[Any]:
        with closing(self._connect()) as conn:
            cur = conn.cursor()
            # IMMEDIATE takes the write lock up front: no upgrade deadlock with the app's writers.
            cur.execute("BEGIN IMMEDIATE")
            try:
                yield cur
            except BaseException:
                conn.rollback()
                raise
            conn.commit()

    def _insert_many(
        self, cur: Any, table: str, columns: Sequence[str], rows: Sequence[tuple[Any, ...]]
    ) -> None:
        marks = ", ".join("?" * len(columns))
        cur.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)

    def stream(
        self, query: str, params: Sequence[Any] = (), batch: int = 10_000
    ) -> Iterator[list[tuple[Any, ...]]]:
        with closing(self._connect()) as conn:
            # One read transaction: a consistent snapshot across all batches (WAL).
            conn.execute("BEGIN")
            cur = conn.execute(self.q(query), tuple(params))
            while rows := cur.fetchmany(batch):
                yield rows
            conn.rollback()

    def stream_events(self, batch: int = 10_000) -> Iterator[list[EventTuple]]:
        for rows in self.stream(
            "SELECT rowid, originator_id, originator_version, topic, state FROM {events} "
            "ORDER BY rowid",
            batch=batch,
        ):
            yield [(p, aggregate_id_bytes(str(i)), v, t, s) for p, i, v, t, s in rows]

    def find_event(self, aggregate_id: bytes, version: int) -> EventTuple | None:
        rows = self.query(
            "SELECT rowid, originator_id, originator_version, topic, state FROM {events} "
            "WHERE originator_id = %s AND originator_version = %s",
            (uuid.UUID(bytes=aggregate_id).hex, version),
        )
        if not rows:
            return None
        p, i, v, t, s = rows[0]
        return int(p), aggregate_id_bytes(str(i)), int(v), str(t), bytes(s)

    def find_events(self, aggregate_ids: Sequence[uuid.UUID]) -> list[StoredRow]:
        marks = ", ".join("?" * len(aggregate_ids))
        rows = self.query(
            "SELECT rowid, originator_id, originator_version, topic, state FROM {events} "
            f"WHERE originator_id IN ({marks}) ORDER BY rowid",
            [a.hex for a in aggregate_ids],
        )
        return [
            StoredRow(int(p), uuid.UUID(str(i)), int(v), str(t), bytes(s)) for p, i, v, t, s in rows
        ]

    def close(self) -> None:
        """Nothing is held open between operations."""


def open_store(settings: StoreConfig) -> AuditStore:
    """The audit store beside the event store the settings select; creates its tables."""
    store: AuditStore
    if settings.database_url:
        store = PostgresAuditStore(
            settings.database_url,
            settings.database_schema,
            connect_timeout=settings.connect_timeout,
            pool_timeout=settings.pool_timeout,
            reconnect_timeout=settings.reconnect_timeout,
        )
    else:
        store = SQLiteAuditStore(str(private_file(settings.sqlite_path)))
    store.create_tables()
    return store


def now_text() -> str:
    return datetime.now(UTC).isoformat()
