"""The key store: one data key per student per retention class, wrapped by the KEK, in tables of
the event store's own database; the owner (student) of every trajectory; and tombstones of the
keys that were shredded (which key, whose, which class, when: never the key itself).

Unwrapped keys are cached in memory. A shred here drops them at once and calls the hooks (the
application drops its snapshots and cached aggregates of the student); other processes see the
store's shred generation move on at their next poll (at most `poll_seconds` apart, on the next
use of the store or `refresh()`) and drop theirs, calling their hooks too.

A key shredded while another process was still sealing with its cached copy makes what was
sealed in that second unreadable as well: it is shredded with the rest.
"""

from __future__ import annotations

import os
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from domain.commands import Retention
from domain.privacy.database import Cursor, Database
from domain.privacy.kek import Kek, KekError, KekSource

DATA_KEY_BYTES = 32
POLL_SECONDS = 1.0
# The key that seals a student's snapshots: a snapshot holds the whole state, every class's
# values in it, so its key goes with any shred of the student. Never handed out (a snapshot is
# no part of an export or a bundle), not listed by `keys_of`.
SNAPSHOT_KIND = "snapshot"


@dataclass(frozen=True)
class KeyInfo:
    """A data key as the store describes it (its tombstone once shredded)."""

    key_id: str
    student_id: str
    retention: Retention
    created_at: datetime
    shredded_at: datetime | None = None

    @property
    def shredded(self) -> bool:
        return self.shredded_at is not None


ShreddedKey = KeyInfo


@dataclass(frozen=True)
class ShredNotice:
    """What the hooks are told: whose keys went, which, and whether it was this process."""

    student_id: str
    keys: tuple[KeyInfo, ...]
    local: bool


ShredHook = Callable[[ShredNotice], None]


KINDS = (*(r.value for r in Retention), SNAPSHOT_KIND)


def _now() -> str:
    return datetime.now(UTC).isoformat()


def _moment(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def _column(student_id: str) -> str:
    """A student id as the key tables keep it. The domain accepts any text as an id, but a
    PostgreSQL text column cannot hold NUL: a backslash and NUL are escaped, reversibly, and any
    other id (every real one) is kept as it is."""
    if "\\" not in student_id and "\x00" not in student_id:
        return student_id
    return student_id.replace("\\", "\\\\").replace("\x00", "\\0")


def _from_column(text: str) -> str:
    """The student id `_column` kept as `text`."""
    if "\\" not in text:
        return text
    return re.sub(r"\\(\\|0)", lambda m: "\x00" if m.group(1) == "0" else "\\", text)


def _context(key_id: str, student_id: str, retention: str) -> bytes:
    # Binds a wrapped key to its row: a wrapped key copied to another student does not unwrap.
    return f"{key_id}|{student_id}|{retention}".encode()


class KeyStore:
    """Data keys and key owners. Thread-safe; one per application."""

    poll_seconds = POLL_SECONDS

    def __init__(
        self,
        database: Database,
        source: KekSource | Kek,
        next_position: Callable[[], int] = lambda: 1,
        started: Callable[[], Iterable[tuple[uuid.UUID, str]]] = tuple,
    ) -> None:
        """Opens (and on first use initialises) the store. `next_position` is the log position
        the next event will get: from there on events are encrypted. `started` lists the
        trajectories already in the store with their students (their owners, recorded once)."""
        self.db = database
        self._lock = threading.RLock()
        self._keys: dict[str, bytes] = {}
        self._live: dict[tuple[str, str], str] = {}
        self._gone: set[str] = set()
        self._owners: dict[uuid.UUID, str] = {}
        self._hooks: list[ShredHook] = []
        # Finds the owner of a trajectory the store has no row for (written by an older
        # release while this one ran): set by the application.
        self.resolve_owner: Callable[[uuid.UUID], str | None] | None = None
        self._ensure_tables()
        self.kek = self._open(source, next_position, started)
        state = self._state()
        assert state is not None
        self.encrypted_from: int = int(state[1])
        self._generation: int = int(state[2])
        self._polled = time.monotonic()

    # ---- start-up

    def _ensure_tables(self) -> None:
        blob, bigint = self.db.blob, self.db.bigint
        statements = [
            "CREATE TABLE IF NOT EXISTS {p}privacy_keys (key_id TEXT PRIMARY KEY, "
            f"student_id TEXT NOT NULL, retention TEXT NOT NULL, wrapped {blob}, "
            f"created_at TEXT NOT NULL, shredded_at TEXT, shred_generation {bigint})",
            # One live key per student and class: concurrent creators agree on the first.
            "CREATE UNIQUE INDEX IF NOT EXISTS privacy_keys_live ON {p}privacy_keys "
            "(student_id, retention) WHERE wrapped IS NOT NULL",
            "CREATE INDEX IF NOT EXISTS privacy_keys_student ON {p}privacy_keys (student_id)",
            "CREATE INDEX IF NOT EXISTS privacy_keys_generation ON {p}privacy_keys "
            "(shred_generation)",
            "CREATE TABLE IF NOT EXISTS {p}privacy_key_owners (trajectory_id TEXT PRIMARY KEY, "
            "student_id TEXT NOT NULL)",
            "CREATE INDEX IF NOT EXISTS privacy_key_owners_student ON {p}privacy_key_owners "
            "(student_id)",
            "CREATE TABLE IF NOT EXISTS {p}privacy_state (id INTEGER PRIMARY KEY CHECK (id = 1), "
            f"kek_check {blob} NOT NULL, encrypted_from {bigint} NOT NULL, "
            f"shred_generation {bigint} NOT NULL, created_at TEXT NOT NULL)",
        ]
        for attempt in range(3):
            try:
                with self.db.transaction(write=True) as run:
                    for statement in statements:
                        run(statement)
                return
            except Exception:
                # Another process created them at the same moment (PostgreSQL catalogue race).
                if attempt == 2:
                    raise
                time.sleep(0.05 * (attempt + 1))

    def _state(self) -> tuple[bytes, int, int] | None:
        with self.db.transaction(write=False) as run:
            rows = run(
                "SELECT kek_check, encrypted_from, shred_generation FROM {p}privacy_state "
                "WHERE id = 1"
            )
        if not rows:
            return None
        return bytes(rows[0][0]), int(rows[0][1]), int(rows[0][2])

    def _open(
        self,
        source: KekSource | Kek,
        next_position: Callable[[], int],
        started: Callable[[], Iterable[tuple[uuid.UUID, str]]],
    ) -> Kek:
        kek = source if isinstance(source, Kek) else source.load()
        where = "the configuration" if isinstance(source, Kek) else source.describe()
        state = self._state()
        if state is None:
            if kek is None:
                if isinstance(source, KekSource) and source.create and source.file is not None:
                    kek = source.create_file()
                else:
                    raise KekError(
                        "no key-encryption key: set BEWIJSKETEN_KEK (base64 of 32 random bytes) "
                        "or BEWIJSKETEN_KEK_FILE, and keep it apart from the database and its "
                        "backups"
                    )
            self._initialise(kek, next_position(), started)
            state = self._state()
            assert state is not None
        if kek is None:
            raise KekError(
                "the key store was made with a key-encryption key, and none is configured "
                f"(looked in {where}): set BEWIJSKETEN_KEK or BEWIJSKETEN_KEK_FILE to that key; "
                "without it no sealed value can be read and nothing is written"
            )
        if not kek.matches(state[0]):
            raise KekError(
                f"the key-encryption key from {where} is not the one this store was made with: "
                "refusing to start (nothing was written); configure the store's own key"
            )
        return kek

    def _initialise(
        self, kek: Kek, position: int, started: Callable[[], Iterable[tuple[uuid.UUID, str]]]
    ) -> None:
        """Once per store: the KEK's check value and the position encryption starts from."""
        with self.db.transaction(write=True) as run:
            run(
                "INSERT INTO {p}privacy_state "
                "(id, kek_check, encrypted_from, shred_generation, created_at) "
                "VALUES (1, ?, ?, 0, ?) ON CONFLICT DO NOTHING",
                (kek.check_value(), position, _now()),
            )
        if position > 1:
            owners = list(started())
            with self.db.transaction(write=True) as run:
                for trajectory_id, student_id in owners:
                    run(
                        "INSERT INTO {p}privacy_key_owners (trajectory_id, student_id) "
                        "VALUES (?, ?) ON CONFLICT DO NOTHING",
                        (str(trajectory_id), _column(student_id)),
                    )

    # ---- data keys

    def key_for(self, student_id: str, retention: Retention) -> tuple[str, bytes]:
        """The student's live key of this class, (key id, key); created when there is none
        (also after a shred: new data gets a new key)."""
        return self._key_of_kind(student_id, retention.value)

    def snapshot_key(self, student_id: str) -> tuple[str, bytes]:
        """The student's live key for snapshots (see SNAPSHOT_KIND)."""
        return self._key_of_kind(student_id, SNAPSHOT_KIND)

    def _key_of_kind(self, student_id: str, kind: str) -> tuple[str, bytes]:
        self._poll()
        live = (student_id, kind)
        key_id = self._live.get(live)
        if key_id is not None:
            key = self._keys.get(key_id)
            if key is not None:
                return key_id, key
        with self._lock:
            # One transaction: insert a new key unless a live one exists, then read the live
            # one (ours, or a concurrent creator's that committed first).
            with self.db.transaction(write=True, durable=False) as run:
                self._insert_key(run, student_id, kind)
                rows = run(
                    "SELECT key_id, wrapped FROM {p}privacy_keys "
                    "WHERE student_id = ? AND retention = ? AND wrapped IS NOT NULL",
                    (_column(student_id), kind),
                )
            assert rows, "no live key, and none could be created"
            row = (str(rows[0][0]), bytes(rows[0][1]))
            key_id, wrapped_key = row
            key = self.kek.unwrap(wrapped_key, _context(key_id, student_id, kind))
            self._keys[key_id] = key
            self._live[live] = key_id
            return key_id, key

    def _insert_key(self, run: Cursor, student_id: str, kind: str) -> None:
        """A new live key of the kind, unless the student has one (then nothing)."""
        key_id = uuid.uuid4().hex
        wrapped = self.kek.wrap(os.urandom(DATA_KEY_BYTES), _context(key_id, student_id, kind))
        run(
            "INSERT INTO {p}privacy_keys (key_id, student_id, retention, wrapped, created_at) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            (key_id, _column(student_id), kind, wrapped, _now()),
        )

    def provision(self, trajectory_id: uuid.UUID, student_id: str) -> None:
        """When a trajectory starts: its owner, and the student's live key of every class, in
        one transaction (so that no later command waits for a key to be made)."""
        if self._owners.get(trajectory_id) == student_id and all(
            (student_id, kind) in self._live for kind in KINDS
        ):
            return
        with self._lock:
            with self.db.transaction(write=True, durable=False) as run:
                run(
                    "INSERT INTO {p}privacy_key_owners (trajectory_id, student_id) "
                    "VALUES (?, ?) ON CONFLICT DO NOTHING",
                    (str(trajectory_id), _column(student_id)),
                )
                for kind in KINDS:
                    self._insert_key(run, student_id, kind)
                rows = run(
                    "SELECT key_id, retention, wrapped FROM {p}privacy_keys "
                    "WHERE student_id = ? AND wrapped IS NOT NULL",
                    (_column(student_id),),
                )
            for key_id, retention, wrapped in rows:
                key = self.kek.unwrap(bytes(wrapped), _context(key_id, student_id, retention))
                self._keys[str(key_id)] = key
                self._live[(student_id, str(retention))] = str(key_id)
            self._owners[trajectory_id] = student_id

    def lookup(self, key_id: str) -> bytes | None:
        """The data key with this id; None when it is shredded (or unknown here)."""
        self._poll()
        key = self._keys.get(key_id)
        if key is not None or key_id in self._gone:
            return key
        with self.db.transaction(write=False) as run:
            rows = run(
                "SELECT student_id, retention, wrapped FROM {p}privacy_keys WHERE key_id = ?",
                (key_id,),
            )
        if not rows or rows[0][2] is None:
            with self._lock:
                self._gone.add(key_id)
            return None
        stored_student, retention, wrapped = rows[0]
        key = self.kek.unwrap(
            bytes(wrapped), _context(key_id, _from_column(stored_student), retention)
        )
        with self._lock:
            if key_id not in self._gone:
                self._keys[key_id] = key
        return key

    def shredded_ids(self) -> frozenset[str]:
        """The ids of every shredded key (the tombstones), in one query: for a reader that only
        needs to know whether a value can still be opened (a rebuild of the read models), not
        the key itself."""
        with self.db.transaction(write=False) as run:
            rows = run("SELECT key_id FROM {p}privacy_keys WHERE wrapped IS NULL")
        return frozenset(str(r[0]) for r in rows)

    def keys_of(self, student_id: str) -> list[KeyInfo]:
        """Every key the student had, live or a tombstone, oldest first."""
        with self.db.transaction(write=False) as run:
            rows = run(
                "SELECT key_id, retention, created_at, shredded_at FROM {p}privacy_keys "
                "WHERE student_id = ? AND retention <> ? ORDER BY created_at, key_id",
                (_column(student_id), SNAPSHOT_KIND),
            )
        return [
            KeyInfo(
                str(r[0]), student_id, Retention(r[1]), _moment(r[2]) or datetime.min, _moment(r[3])
            )
            for r in rows
        ]

    def shred(
        self, student_id: str, classes: Iterable[Retention], purge: bool = True
    ) -> list[ShreddedKey]:
        """Destroys the student's live keys of these classes (their rows keep a tombstone);
        everything sealed with them reads as the placeholder from now on, here at once and in
        other processes within about `poll_seconds`. Returns the keys shredded (none when the
        student had no live key of these classes)."""
        wanted = sorted({c.value for c in classes})
        if not wanted:
            return []
        wanted.append(SNAPSHOT_KIND)
        now = _now()
        marks = ", ".join("?" for _ in wanted)
        with self._lock:
            with self.db.transaction(write=True) as run:
                run(self.db.secure_delete)
                # The state row first: concurrent shreds take their generations in turn.
                generation = int(
                    run(
                        "UPDATE {p}privacy_state SET shred_generation = shred_generation + 1 "
                        "WHERE id = 1 RETURNING shred_generation"
                    )[0][0]
                )
                rows = run(
                    "UPDATE {p}privacy_keys SET wrapped = NULL, shredded_at = ?, "
                    "shred_generation = ? WHERE student_id = ? AND wrapped IS NOT NULL AND "
                    f"retention IN ({marks}) RETURNING key_id, retention, created_at",
                    (now, generation, _column(student_id), *wanted),
                )
            self._forget((str(r[0]), student_id, str(r[1])) for r in rows)
            shredded = tuple(
                KeyInfo(
                    str(r[0]),
                    student_id,
                    Retention(r[1]),
                    _moment(r[2]) or datetime.min,
                    _moment(now),
                )
                for r in rows
                if r[1] != SNAPSHOT_KIND
            )
            if self._generation == generation - 1:
                # No other shred in between: nothing for this process to catch up with.
                self._generation = generation
        if rows:
            self._tell(ShredNotice(student_id, shredded, local=True))
            if purge:
                self.purge()
        return list(shredded)

    def purge(self) -> None:
        """Overwrites what shredded keys left behind in the database files: SQLite zeroes the
        freed space (secure_delete was on for the shred) and empties its write-ahead log;
        PostgreSQL rewrites the key table (VACUUM FULL), leaving no dead row versions. A
        retention run shreds many students with `purge=False` and purges once at the end."""
        self.db.purge("privacy_keys")

    # ---- owners

    def record_owner(self, trajectory_id: uuid.UUID, student_id: str) -> None:
        """The student a trajectory belongs to (whose keys seal its events)."""
        if self._owners.get(trajectory_id) == student_id:
            return
        with self.db.transaction(write=True, durable=False) as run:
            run(
                "INSERT INTO {p}privacy_key_owners (trajectory_id, student_id) VALUES (?, ?) "
                "ON CONFLICT DO NOTHING",
                (str(trajectory_id), _column(student_id)),
            )
        self._owners[trajectory_id] = student_id

    def owner(self, trajectory_id: uuid.UUID) -> str | None:
        """The student the trajectory belongs to; None if the store knows no such trajectory."""
        found = self._owners.get(trajectory_id)
        if found is not None:
            return found
        with self.db.transaction(write=False) as run:
            rows = run(
                "SELECT student_id FROM {p}privacy_key_owners WHERE trajectory_id = ?",
                (str(trajectory_id),),
            )
        if rows:
            found = _from_column(str(rows[0][0]))
        elif self.resolve_owner is not None:
            found = self.resolve_owner(trajectory_id)
            if found is not None:
                self.record_owner(trajectory_id, found)
        if found is not None:
            self._owners[trajectory_id] = found
        return found

    def trajectories_of(self, student_id: str) -> list[uuid.UUID]:
        with self.db.transaction(write=False) as run:
            rows = run(
                "SELECT trajectory_id FROM {p}privacy_key_owners WHERE student_id = ? "
                "ORDER BY trajectory_id",
                (_column(student_id),),
            )
        return [uuid.UUID(str(r[0])) for r in rows]

    # ---- other processes' shreds

    def on_shred(self, hook: ShredHook) -> None:
        """Calls `hook` after every shred seen by this process (its own at once, others' at the
        next poll), after the keys are dropped from memory."""
        self._hooks.append(hook)

    def off_shred(self, hook: ShredHook) -> None:
        """Stops calling `hook` (an application sharing this store is closed)."""
        if hook in self._hooks:
            self._hooks.remove(hook)

    @property
    def generation(self) -> int:
        """The store's shred generation as this process last saw it."""
        return self._generation

    def refresh(self, force: bool = False) -> None:
        """Catches up with other processes' shreds (when a poll is due, or now if `force`)."""
        if force:
            self._polled = 0.0
        self._poll()

    def _poll(self) -> None:
        now = time.monotonic()
        if now - self._polled < self.poll_seconds:
            return
        self._polled = now
        with self.db.transaction(write=False) as run:
            rows = run("SELECT shred_generation FROM {p}privacy_state WHERE id = 1")
        generation = int(rows[0][0]) if rows else self._generation
        if generation == self._generation:
            return
        with self.db.transaction(write=False) as run:
            found = run(
                "SELECT key_id, student_id, retention, created_at, shredded_at "
                "FROM {p}privacy_keys WHERE shred_generation > ? AND shred_generation <= ?",
                (self._generation, generation),
            )
        self._generation = generation
        found = [(r[0], _from_column(str(r[1])), *r[2:]) for r in found]
        self._forget((str(r[0]), str(r[1]), str(r[2])) for r in found)
        by_student: dict[str, list[KeyInfo]] = {}
        for r in found:
            infos = by_student.setdefault(str(r[1]), [])
            if r[2] != SNAPSHOT_KIND:
                infos.append(
                    KeyInfo(
                        str(r[0]),
                        str(r[1]),
                        Retention(r[2]),
                        _moment(r[3]) or datetime.min,
                        _moment(r[4]),
                    )
                )
        for student_id, infos in by_student.items():
            self._tell(ShredNotice(student_id, tuple(infos), local=False))

    def _forget(self, rows: Iterable[tuple[str, str, str]]) -> None:
        """Drops keys from memory: (key id, student id, kind) each."""
        with self._lock:
            for key_id, student_id, kind in rows:
                self._keys.pop(key_id, None)
                self._gone.add(key_id)
                if self._live.get((student_id, kind)) == key_id:
                    del self._live[(student_id, kind)]

    def _tell(self, notice: ShredNotice) -> None:
        for hook in self._hooks:
            hook(notice)
