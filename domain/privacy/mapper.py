"""The event mapper that seals what the command declarations mark, per student.

On the way in (`to_stored_event`) the attributes of a trajectory event named like a marked
field of the command being executed (`Command.sensitive_fields()`, carried by
`domain.context.acting`) are replaced by envelopes under the student's data key of the
command's retention class; a trajectory's snapshot is sealed whole under the student's
snapshot key, which goes with any shred of the student (`keys.SNAPSHOT_KIND`). On the way out
(`to_domain_event`) envelopes are opened, and read as the placeholder where the key is
shredded. The read side, which keeps ciphertext, decodes with `to_sealed_event` (the envelopes
stay in place) and opens at serve time (`open_event`, `envelope.open_field`).

Program events hold nothing personal and are stored as they always were; so are the ids
(student ids are pseudonyms). Events stored before encryption have no envelopes and are
returned as they were stored.
"""

from __future__ import annotations

import functools
import json
import typing
import uuid
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from eventsourcing.domain import Snapshot
from eventsourcing.persistence import EventStore, Mapper, StoredEvent, Transcoder
from eventsourcing.utils import get_topic

from domain import context
from domain.commands import Command, Retention, TrajectoryCommand, all_commands
from domain.context import Sealing
from domain.privacy import envelope
from domain.privacy.keys import KeyStore
from domain.trajectory import Trajectory

SNAPSHOT_TOPIC = get_topic(Snapshot)
TRAJECTORY_TOPIC = get_topic(Trajectory)
SEALED_PREFIX = b'{"$sealed"'
# A sealed snapshot's stored form: its envelope as compact JSON.
_to_json = json.JSONEncoder(separators=(",", ":")).encode


class SnapshotUnreadable(Exception):
    """A snapshot whose key is shredded: the aggregate is rebuilt from its events instead."""


@functools.cache
def sealing_for(command: type[Command]) -> Sealing:
    """How a command's events are sealed (from its declaration)."""
    return Sealing(command.retention, frozenset(command.sensitive_fields()))


@functools.cache
def sensitive_names() -> frozenset[str]:
    """Every marked field of every command on a trajectory."""
    found: set[str] = set()
    for command in all_commands():
        if issubclass(command, TrajectoryCommand):
            found |= set(command.sensitive_fields())
    return frozenset(found)


def candidates(event_class: type[Any]) -> tuple[str, ...]:
    """The attributes of a trajectory event that may hold a sealed value; () for others."""
    found = _CANDIDATES.get(event_class)
    if found is None:
        found = ()
        if issubclass(event_class, Trajectory.Event):
            found = tuple(sorted(set(typing.get_type_hints(event_class)) & sensitive_names()))
        _CANDIDATES[event_class] = found
    return found


_CANDIDATES: dict[type[Any], tuple[str, ...]] = {}


class SealingMapper(Mapper[uuid.UUID]):
    """The application's mapper (`Bewijsketen.mapper`); `keys` is set once the store is open."""

    def __init__(self, transcoder: Transcoder, keys: KeyStore | None = None) -> None:
        super().__init__(transcoder)
        self.keys = keys

    # ---- writing

    def to_stored_event(self, domain_event: Any) -> StoredEvent:
        keys = self.keys
        cls = type(domain_event)
        if keys is None:
            return super().to_stored_event(domain_event)
        if cls is Snapshot or isinstance(domain_event, Snapshot):
            return self._stored_snapshot(domain_event, keys)
        names = candidates(cls)
        if isinstance(domain_event, Trajectory.Started):
            keys.provision(domain_event.originator_id, domain_event.student_id)
        if not names:
            return super().to_stored_event(domain_event)
        sealing = context.sealing()
        # Outside a command (never in `execute`) every possibly marked attribute is sealed,
        # under the exam key: kept, rather than written in plaintext.
        fields = [n for n in names if sealing is None or n in sealing.fields]
        state = vars(domain_event)
        present = [n for n in fields if state.get(n) is not None]
        if not present:
            return super().to_stored_event(domain_event)
        retention = sealing.retention if sealing is not None else Retention.EXAM
        trajectory_id = domain_event.originator_id
        student_id = self._owner(keys, trajectory_id)
        key_id, key = keys.key_for(student_id, retention)
        topic = get_topic(cls)
        sealed = dict(state)
        aead = AESGCM(key)  # once for all the event's values
        for name in present:
            sealed[name] = envelope.seal_field(
                sealed[name], key_id, aead, trajectory_id, topic, name
            )
        # The library encodes the event as ever, with the sealed values in place.
        copy = object.__new__(cls)
        object.__setattr__(copy, "__dict__", sealed)
        return super().to_stored_event(copy)

    def _stored_snapshot(self, snapshot: Any, keys: KeyStore) -> StoredEvent:
        stored = super().to_stored_event(snapshot)
        if snapshot.topic != TRAJECTORY_TOPIC:
            return stored
        student_id = self._owner(keys, snapshot.originator_id)
        key_id, key = keys.snapshot_key(student_id)
        where = envelope.aad(snapshot.originator_id, SNAPSHOT_TOPIC, "")
        return StoredEvent(
            originator_id=stored.originator_id,
            originator_version=stored.originator_version,
            topic=stored.topic,
            state=_to_json(envelope.seal_bytes(stored.state, key_id, key, where)).encode(),
        )

    @staticmethod
    def _owner(keys: KeyStore, trajectory_id: uuid.UUID) -> str:
        student_id = keys.owner(trajectory_id)
        if student_id is None:
            raise LookupError(f"trajectory {trajectory_id} has no known student to seal for")
        return student_id

    # ---- reading

    def to_domain_event(self, stored_event: StoredEvent) -> Any:
        """The event with its envelopes opened (the placeholder where a key is shredded)."""
        if stored_event.topic == SNAPSHOT_TOPIC and stored_event.state.startswith(SEALED_PREFIX):
            return super().to_domain_event(self._opened_snapshot(stored_event))
        return self.open_event(super().to_domain_event(stored_event))

    def to_sealed_event(self, stored_event: StoredEvent) -> Any:
        """The event as stored: sealed values stay envelopes (dicts, see `envelope`), for the
        read side, which keeps ciphertext and opens at serve time. Not for snapshots."""
        return super().to_domain_event(stored_event)

    def open_event(self, domain_event: Any) -> Any:
        """A decoded event with its envelopes opened; the same object when it has none."""
        names = candidates(type(domain_event))
        if not names or self.keys is None:
            return domain_event
        state = vars(domain_event)
        if not any(_holds_envelope(state.get(n)) for n in names):
            return domain_event
        opened = envelope.open_state(
            state,
            self.keys.lookup,
            domain_event.originator_id,
            get_topic(type(domain_event)),
            names,
        )
        copy = object.__new__(type(domain_event))
        object.__setattr__(copy, "__dict__", opened)
        return copy

    def _opened_snapshot(self, stored_event: StoredEvent) -> StoredEvent:
        sealed = json.loads(stored_event.state)
        key = self.keys.lookup(str(sealed["key"])) if self.keys is not None else None
        if key is None:
            raise SnapshotUnreadable(stored_event.originator_id)
        where = envelope.aad(stored_event.originator_id, SNAPSHOT_TOPIC, "")
        try:
            state = envelope.open_bytes(sealed, key, where)
        except envelope.EnvelopeError:
            raise SnapshotUnreadable(stored_event.originator_id) from None
        return StoredEvent(
            originator_id=stored_event.originator_id,
            originator_version=stored_event.originator_version,
            topic=stored_event.topic,
            state=state,
        )


def _holds_envelope(value: Any) -> bool:
    if isinstance(value, dict):
        return envelope.is_sealed(value) or any(envelope.is_sealed(v) for v in value.values())
    if isinstance(value, list):
        return any(envelope.is_sealed(v) for v in value)
    return False


class SnapshotStore(EventStore[uuid.UUID]):
    """Snapshots that no longer open (their key shredded) count as none: the repository then
    replays the events, whose shredded values read as the placeholder."""

    def get(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return list(super().get(*args, **kwargs))
        except SnapshotUnreadable:
            return []
