"""A witness (c2sp.org/tlog-witness): cosigns a log's checkpoints only if each one extends the
last it cosigned for that log, so a log cannot roll back, fork or re-key unseen.

The witness has its own Ed25519 key (cosignatures, c2sp.org/tlog-cosignature, type 0x04), a
list of log keys it trusts (vkeys; the key name is the log's origin) and, per origin, the
latest checkpoint it cosigned, kept in a SQLite file. Checking the old size against the kept
one and storing the new checkpoint happen in one write transaction, so two concurrent
requests cannot roll the kept size back.

Beyond the protocol: when a checkpoint signed by a trusted key carries the extension line
`next-key <vkey>` (a bewijsketen log announcing its next key), the witness trusts that key for
the origin from then on, so a rotation needs no change to its configuration.

The HTTP side is `bewijsketen witness serve` (api/cli/witness.py); this module holds the rules.
"""

from __future__ import annotations

import hashlib
import sqlite3
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path

from projections.audit.checkpoint import NEXT_KEY
from projections.audit.merkle import EMPTY_ROOT, verify_consistency
from projections.audit.note import (
    ED25519,
    NoteError,
    NoteSigner,
    NoteVerifier,
    parse_note,
    parse_vkey,
    verified_by,
)
from projections.audit.tlog import cosign, parse_add_checkpoint, parse_body

SIZE_TYPE = "text/x.tlog.size"


class WitnessError(Exception):
    """A refusal, with the HTTP status tlog-witness prescribes for it."""

    def __init__(
        self, status: int, message: str, body: str | None = None, content_type: str | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.body = body if body is not None else message + "\n"
        self.content_type = content_type or "text/plain; charset=utf-8"


def origin_hash(origin: str) -> str:
    return hashlib.sha256(origin.encode()).hexdigest()


@dataclass(frozen=True)
class Cosigned:
    """What add-checkpoint answers: the witness's signature line(s)."""

    lines: str
    tree_size: int


class Witness:
    def __init__(
        self,
        signer: NoteSigner,
        logs: Sequence[NoteVerifier],
        state_path: Path,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.signer = signer
        self.configured = list(logs)
        for log in self.configured:
            if log.kind != ED25519:
                raise NoteError(f"the log key {log.vkey} is not an Ed25519 note key (type 0x01)")
        self.path = state_path
        self.clock = clock
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._transaction() as cur:
            cur.execute(
                "CREATE TABLE IF NOT EXISTS latest (origin TEXT PRIMARY KEY, "
                "tree_size INTEGER NOT NULL, root_hash BLOB NOT NULL, note TEXT NOT NULL, "
                "cosigned_at INTEGER NOT NULL)"
            )
            cur.execute(
                "CREATE TABLE IF NOT EXISTS learned_keys (origin TEXT NOT NULL, "
                "vkey TEXT NOT NULL, learned_at INTEGER NOT NULL, PRIMARY KEY (origin, vkey))"
            )

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Cursor]:
        with closing(sqlite3.connect(self.path, timeout=30, isolation_level=None)) as conn:
            cur = conn.cursor()
            cur.execute("BEGIN IMMEDIATE")
            try:
                yield cur
            except BaseException:
                conn.rollback()
                raise
            conn.commit()

    @property
    def origins(self) -> set[str]:
        return {log.name for log in self.configured}

    def trusted(self, cur: sqlite3.Cursor, origin: str) -> list[NoteVerifier]:
        keys = [log for log in self.configured if log.name == origin]
        rows = cur.execute("SELECT vkey FROM learned_keys WHERE origin = ?", (origin,))
        keys += [parse_vkey(str(v)) for (v,) in rows.fetchall()]
        return keys

    def add_checkpoint(self, request: bytes) -> Cosigned:
        try:
            parsed = parse_add_checkpoint(request)
            note = parse_note(parsed.checkpoint)
            body = parse_body(note.text)
        except NoteError as exc:
            raise WitnessError(400, f"malformed request: {exc}") from None
        if body.origin not in self.origins:
            raise WitnessError(404, f"unknown log origin {body.origin!r}")
        if parsed.old_size > body.tree_size:
            raise WitnessError(
                400, f"the old size {parsed.old_size} exceeds the checkpoint's {body.tree_size}"
            )
        if body.tree_size == 0 and body.root_hash != EMPTY_ROOT:
            raise WitnessError(422, "a checkpoint of size 0 has the empty tree's root")
        with self._transaction() as cur:
            keys = self.trusted(cur, body.origin)
            results = [verified_by(note, key) for key in keys]
            if False in results:
                raise WitnessError(403, "a signature of a trusted log key does not verify")
            if True not in results:
                raise WitnessError(403, "the checkpoint carries no signature of a trusted log key")
            row = cur.execute(
                "SELECT tree_size, root_hash FROM latest WHERE origin = ?", (body.origin,)
            ).fetchone()
            size, root = (int(row[0]), bytes(row[1])) if row else (0, EMPTY_ROOT)
            if parsed.old_size != size:
                raise WitnessError(
                    409,
                    f"the latest cosigned size is {size}, not {parsed.old_size}",
                    body=f"{size}\n",
                    content_type=SIZE_TYPE,
                )
            if size == 0 and parsed.proof:
                raise WitnessError(422, "no consistency proof is needed from the empty tree")
            if size and not verify_consistency(
                size, body.tree_size, root, body.root_hash, list(parsed.proof)
            ):
                raise WitnessError(
                    422,
                    f"the checkpoint of size {body.tree_size} is not consistent with the "
                    f"cosigned one of size {size}: the log was rewritten or forked",
                )
            now = int(self.clock())
            line = cosign(self.signer, note.text, now)
            kept = (
                note.text
                + "\n"
                + "".join(s.line for s in note.signatures if s.name in {k.name for k in keys})
                + line
            )
            cur.execute(
                "INSERT INTO latest (origin, tree_size, root_hash, note, cosigned_at) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (origin) DO UPDATE SET "
                "tree_size = excluded.tree_size, root_hash = excluded.root_hash, "
                "note = excluded.note, cosigned_at = excluded.cosigned_at",
                (body.origin, body.tree_size, body.root_hash, kept, now),
            )
            announced = body.extension(NEXT_KEY)
            if announced is not None:
                self._learn(cur, body.origin, announced, now)
        return Cosigned(line, body.tree_size)

    @staticmethod
    def _learn(cur: sqlite3.Cursor, origin: str, vkey: str, now: int) -> None:
        try:
            key = parse_vkey(vkey)
        except NoteError:
            return
        if key.kind == ED25519 and key.name == origin:
            cur.execute(
                "INSERT OR IGNORE INTO learned_keys (origin, vkey, learned_at) VALUES (?, ?, ?)",
                (origin, key.vkey, now),
            )

    def latest(self, hashed_origin: str) -> str | None:
        """The latest cosigned checkpoint of the log whose origin hashes to this (hex)."""
        with self._transaction() as cur:
            rows = cur.execute("SELECT origin, note FROM latest").fetchall()
        for origin, note in rows:
            if origin_hash(str(origin)) == hashed_origin:
                return str(note)
        return None
