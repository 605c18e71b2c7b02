"""Tampering with the events table (raw SQL), on PostgreSQL and SQLite, and what verify names.

Every case builds a real log through the domain (two students from start to ratified pass,
with a gap in the notification ids between them, as failed inserts leave), seals it with a
checkpoint every 10 events, then changes the store behind the application's back.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from api.settings import Settings
from domain.application import Bewijsketen
from domain.journey import Journey, setup_program
from projections.audit.checkpoint import (
    Checkpoint,
    dump_external,
    legacy_note_text,
    load_external,
)
from projections.audit.config import AuditConfig
from projections.audit.keys import key_id as legacy_key_id
from projections.audit.leaf import StoredRow, row_hash
from projections.audit.merkle import Frontier, tree_root
from projections.audit.sealer import Sealer
from projections.audit.store import NODE_MIN_LEVEL, AuditStore, open_store
from projections.audit.verify import ALTERED, INSERTED, MISSING, REORDERED, verify_store


class RawStore:
    """Direct SQL on the events and audit tables, bypassing the application entirely."""

    def __init__(self, settings: Settings) -> None:
        self.pg = settings.uses_postgres
        self.settings = settings
        if self.pg:
            schema = settings.database_schema or "public"
            self.events = f'"{schema}"."bewijsketen_events"'
            self.prefix = f'"{schema}".'
            self.pos = "notification_id"
        else:
            self.events, self.prefix, self.pos = "stored_events", "", "rowid"

    def run(self, statement: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        statement = statement.replace("{events}", self.events).replace("{p}", self.prefix)
        if self.pg:
            with psycopg.connect(str(self.settings.database_url), autocommit=True) as conn:
                cur = conn.execute(statement.encode(), params)
                return list(cur.fetchall()) if cur.description else []
        with closing(sqlite3.connect(self.settings.sqlite_path, isolation_level=None)) as lite:
            return list(lite.execute(statement.replace("%s", "?"), params).fetchall())

    def positions(self) -> list[int]:
        return [int(r[0]) for r in self.run(f"SELECT {self.pos} FROM {{events}} ORDER BY 1")]

    def row(self, position: int) -> StoredRow:
        ((p, i, v, t, s),) = self.run(
            f"SELECT {self.pos}, originator_id, originator_version, topic, state FROM {{events}} "
            f"WHERE {self.pos} = %s",
            (position,),
        )
        return StoredRow(
            int(p), i if isinstance(i, uuid.UUID) else uuid.UUID(i), int(v), t, bytes(s)
        )

    def set_state(self, position: int, state: bytes) -> None:
        self.run(f"UPDATE {{events}} SET state = %s WHERE {self.pos} = %s", (state, position))

    def move(self, old: int, new: int) -> None:
        self.run(f"UPDATE {{events}} SET {self.pos} = %s WHERE {self.pos} = %s", (new, old))

    def delete_from(self, position: int, to: int | None = None) -> None:
        self.run(
            f"DELETE FROM {{events}} WHERE {self.pos} >= %s AND {self.pos} <= %s",
            (position, position if to is None else to),
        )

    def insert(
        self, position: int, aggregate_id: uuid.UUID | str, version: int, topic: str, state: bytes
    ) -> None:
        ident: Any = aggregate_id if self.pg else uuid.UUID(str(aggregate_id)).hex
        self.run(
            f"INSERT INTO {{events}} (originator_id, originator_version, topic, state, {self.pos}) "
            "VALUES (%s, %s, %s, %s, %s)",
            (ident, version, topic, state, position),
        )

    def burn_ids(self, app: Bewijsketen, journey: Journey) -> int:
        """Leaves a gap of five ids before the journey's events, as failed inserts would."""
        top = max(self.positions())
        if self.pg:
            self.run(
                "SELECT setval(pg_get_serial_sequence(%s, 'notification_id'), %s)",
                (self.events.replace('"', ""), top + 5),
            )
            journey.to_ratified_pass()
        else:
            self.insert(top + 5, uuid.uuid4(), 1, "placeholder", b"{}")
            journey.to_ratified_pass()
            self.delete_from(top + 5)
        return top + 1

    # ---- the sealer's own tables, for an attacker who rewrites them too

    def set_leaf(self, position: int, leaf_hash: bytes) -> None:
        self.run(
            "UPDATE {p}bewijsketen_audit_leaves SET leaf_hash = %s WHERE position = %s",
            (leaf_hash, position),
        )

    def recompute_record(self) -> None:
        """Makes nodes and state consistent with the (rewritten) leaves, as a careful attacker."""
        leaves = [
            bytes(r[0])
            for r in self.run(
                "SELECT leaf_hash FROM {p}bewijsketen_audit_leaves ORDER BY leaf_index"
            )
        ]
        frontier = Frontier()
        nodes = []
        for h in leaves:
            nodes += [n for n in frontier.append(h) if n[0] >= NODE_MIN_LEVEL]
        self.run("DELETE FROM {p}bewijsketen_audit_nodes")
        for level, idx, h in nodes:
            self.run(
                "INSERT INTO {p}bewijsketen_audit_nodes (level, idx, hash) VALUES (%s, %s, %s)",
                (level, idx, h),
            )
        self.run("UPDATE {p}bewijsketen_audit_state SET frontier = %s", (frontier.to_bytes(),))


@dataclass
class World:
    app: Bewijsketen
    store: AuditStore
    raw: RawStore
    key: Ed25519PrivateKey
    gap: int
    sealer: Sealer

    def verify(self, **kwargs: Any) -> Any:
        return verify_store(self.store, self.key.public_key(), **kwargs)

    def middle(self) -> int:
        positions = self.raw.positions()
        return positions[len(positions) // 2 + 3]


@pytest.fixture
def world(app: Bewijsketen, settings: Settings) -> Iterator[World]:
    program_id = setup_program(app)
    Journey(app, program_id, "student-1").to_ratified_pass()
    raw = RawStore(settings)
    gap = raw.burn_ids(app, Journey(app, program_id, "student-2"))
    key = Ed25519PrivateKey.generate()
    store = open_store(settings.store)
    sealer = Sealer(app.recorder, store, AuditConfig(checkpoint_every=10), key)
    sealer.seal_all()
    sealer.checkpoint_now()
    try:
        yield World(app, store, raw, key, gap, sealer)
    finally:
        store.close()


def flipped(state: bytes, at: int = 30) -> bytes:
    return state[:at] + bytes([state[at] ^ 0x01]) + state[at + 1 :]


def test_an_untouched_store_verifies_clean(world: World) -> None:
    report = world.verify()
    assert report.ok, report.lines()
    assert report.events == report.sealed == len(world.raw.positions())
    assert report.checkpoints == len(world.store.checkpoints()) > 5
    assert world.gap not in world.raw.positions()


def test_one_changed_byte_is_named_altered_at_its_position(world: World) -> None:
    p = world.middle()
    world.raw.set_state(p, flipped(world.raw.row(p).state))
    d = world.verify().divergence
    assert d is not None and (d.kind, d.position, d.last_position) == (ALTERED, p, None)
    assert d.subject == "events"


def test_a_deleted_event_is_named_missing(world: World) -> None:
    p = world.middle()
    world.raw.delete_from(p)
    d = world.verify().divergence
    assert d is not None and (d.kind, d.position) == (MISSING, p)


def test_a_forged_event_in_a_gap_is_named_inserted(world: World) -> None:
    victim = world.raw.row(world.middle())
    forged_at = world.gap + 1
    world.raw.insert(forged_at, victim.aggregate_id, 999, victim.topic, victim.state)
    d = world.verify().divergence
    assert d is not None and (d.kind, d.position) == (INSERTED, forged_at)


def test_two_swapped_events_are_named_reordered_at_the_first(world: World) -> None:
    a = world.middle()
    b = world.raw.positions()[world.raw.positions().index(a) + 4]
    world.raw.move(a, -1)
    world.raw.move(b, a)
    world.raw.move(-1, b)
    d = world.verify().divergence
    assert d is not None and (d.kind, d.position) == (REORDERED, a)
    assert str(b) in d.detail


def test_a_truncated_tail_is_named_missing_at_its_first_position(world: World) -> None:
    positions = world.raw.positions()
    cut = positions[-7]
    world.raw.delete_from(cut, positions[-1])
    report = world.verify()
    d = report.divergence
    assert d is not None and (d.kind, d.position) == (MISSING, cut)


def test_a_rewritten_event_and_leaf_are_caught_by_the_signed_checkpoint(world: World) -> None:
    p = world.middle()
    world.raw.set_state(p, flipped(world.raw.row(p).state))
    world.raw.set_leaf(p, row_hash(world.raw.row(p)))
    world.raw.recompute_record()
    report = world.verify()
    d = report.divergence
    assert d is not None and d.kind == ALTERED
    assert d.last_position is not None and d.position <= p <= d.last_position
    assert "signed checkpoint" in d.found_by
    # The checkpoints every 10 events bound the change to one interval.
    positions = world.raw.positions()
    assert positions.index(d.last_position) - positions.index(d.position) < 10
    assert report.problems == []  # the careful attacker left the record self-consistent


def test_an_external_checkpoint_catches_what_the_store_no_longer_shows(
    world: World, tmp_path: Path
) -> None:
    anchor = tmp_path / "checkpoint.json"
    anchor.write_text(dump_external(world.store.latest_checkpoint(), world.key.public_key()))  # type: ignore[arg-type]
    p = world.middle()
    world.raw.set_state(p, flipped(world.raw.row(p).state))
    world.raw.set_leaf(p, row_hash(world.raw.row(p)))
    world.raw.recompute_record()
    world.raw.run("DELETE FROM {p}bewijsketen_audit_checkpoints")
    # Without the anchor, a rewrite of both the events and the record cannot be seen.
    assert world.verify().ok
    external = load_external(anchor.read_text(), str(anchor))
    d = world.verify(external=[external]).divergence
    assert d is not None and d.kind == ALTERED
    assert "external checkpoint" in d.found_by and d.position <= p <= (d.last_position or 0)


def test_a_changed_leaf_alone_is_blamed_on_the_record(world: World) -> None:
    p = world.middle()
    world.raw.set_leaf(p, b"\x00" * 32)
    report = world.verify()
    d = report.divergence
    assert d is not None and (d.kind, d.position, d.subject) == (ALTERED, p, "sealed leaves")


def test_a_forged_checkpoint_signature_is_reported(world: World) -> None:
    size = world.store.checkpoints()[2].tree_size
    world.raw.run(
        "UPDATE {p}bewijsketen_audit_checkpoints SET root_hash = %s WHERE tree_size = %s",
        (b"\x11" * 32, size),
    )
    report = world.verify()
    assert not report.ok
    assert any(f"tree size {size}" in p and "signature" in p for p in report.problems)


def test_sealing_continues_after_a_restart_and_new_events(
    world: World, app: Bewijsketen, settings: Settings
) -> None:
    program_id = setup_program(app, code="OTHER")
    Journey(app, program_id, "student-3").to_green_light()
    again = Sealer(app.recorder, world.store, AuditConfig(checkpoint_every=10), world.key)
    assert again.seal_all() > 0
    # The first sealer lost the race for those events and writes nothing twice.
    assert world.sealer.seal_batch() == 0 and world.sealer.seal_all() == 0
    again.checkpoint_now()
    assert world.verify().ok
    assert world.store.load_state().tree_size == len(world.raw.positions())


def test_checkpoints_stored_in_the_first_format_still_verify(world: World) -> None:
    """A log that began before checkpoints were C2SP notes: its old rows keep verifying."""
    size = 5
    root = tree_root(size, world.store)
    issued = "2026-01-05T10:00:00.000000Z"
    note = legacy_note_text("bewijsketen", size, root, issued)
    old = Checkpoint(
        "bewijsketen",
        size,
        root,
        issued,
        legacy_key_id(world.key.public_key()),
        world.key.sign(note.encode()),
        legacy=True,
    )
    assert world.store.add_checkpoint(old)
    stored = world.store.checkpoint(size)
    assert stored == old and stored.legacy
    report = world.verify()
    assert report.ok, report.lines()
    assert report.checkpoints == len(world.store.checkpoints())
    world.raw.run(
        "UPDATE {p}bewijsketen_audit_checkpoints SET root_hash = %s WHERE tree_size = %s",
        (b"\x22" * 32, size),
    )
    problems = world.verify().problems
    assert any(f"tree size {size}" in p and "forged or altered" in p for p in problems), problems
