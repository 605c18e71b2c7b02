"""The privacy ledger: every erasure request, shred and access export is a record of its own.

Each record is a small aggregate with one event, about one student (by their pseudonymous id):
who made it, when, why, and which retention classes it concerns. A record never holds a value
it erased or exported: a shred names the keys it destroyed and the trajectories they served, an
export the number of events it held and the SHA-256 of the zip. The records are not trajectory
events, so they are never encrypted, and they stay when everything of the student is gone: they
are the proof that the erasure was done, hashed into the audit log like every other event.

A record's id derives from the student and the request's Idempotency-Key when there is one (a
repeat answers as the first time), and is random otherwise.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from domain import commands as c
from domain import context, moments
from domain.aggregate import RecordedAggregate
from domain.commands import handles

NAMESPACE = uuid.UUID("3a0c6f53-9b7e-4c1d-8e2f-5d4b6a7c8e91")

# The retention classes an erasure request's `classes` names.
REQUESTED: dict[str, tuple[str, ...]] = {
    "formative": (c.Retention.FORMATIVE.value,),
    "all": (c.Retention.FORMATIVE.value, c.Retention.EXAM.value),
}


def record_id(kind: str, student_id: str) -> uuid.UUID:
    acting = context.current()
    if acting.command is None:
        return uuid.uuid4()
    return uuid.uuid5(NAMESPACE, f"{kind}|{student_id}|{acting.command.key}")


class PrivacyRecord(RecordedAggregate):
    """One privacy record about one student."""

    class Event(RecordedAggregate.Event, moments.Occurring):
        student_id: str
        occurred_on: date | None

    class ErasureRequested(Event, RecordedAggregate.Created):
        classes: list[str]
        reason: str

        def summary(self) -> str:
            return f"erasure of {', '.join(self.classes)} data of {self.student_id} requested"

    class DataShredded(Event, RecordedAggregate.Created):
        classes: list[str]
        reason: str
        request_id: uuid.UUID | None
        key_ids: list[str]
        trajectory_ids: list[uuid.UUID]
        unreachable_events: int
        registry_forgotten: bool

        def summary(self) -> str:
            return (
                f"{', '.join(self.classes)} data of {self.student_id} shredded "
                f"({len(self.key_ids)} keys, {len(self.trajectory_ids)} trajectories)"
            )

    class AccessExported(Event, RecordedAggregate.Created):
        events: int
        sha256: str

        def summary(self) -> str:
            return f"access export of {self.student_id} made ({self.events} events)"

    def __init__(self) -> None:
        self.commands: dict[str, list[Any]] = {}
        self.student_id = ""

    def recorded(self, event: RecordedAggregate.Event) -> None:
        # The state is the one event's data: a record never changes once made.
        for klass in type(event).__mro__:
            if isinstance(klass, type) and issubclass(klass, PrivacyRecord.Event):
                for name in vars(klass).get("__annotations__", {}):
                    setattr(self, name, getattr(event, name))
        super().recorded(event)

    @property
    def kind(self) -> str:
        return type(self).__name__

    # ---- commands (each creates a record)

    @classmethod
    @handles(c.RequestErasure)
    def request_erasure(cls, cmd: c.RequestErasure) -> PrivacyRecord:
        return cls._create(
            cls.ErasureRequested,
            id=record_id("erasure-request", cmd.student_id),
            student_id=cmd.student_id,
            classes=list(REQUESTED[cmd.classes]),
            reason=cmd.reason,
            occurred_on=moments.check_day(cmd.occurred_on),
        )

    @classmethod
    @handles(c.RecordShred)
    def record_shred(cls, cmd: c.RecordShred) -> PrivacyRecord:
        return cls._create(
            cls.DataShredded,
            id=record_id("shred", cmd.student_id),
            student_id=cmd.student_id,
            classes=sorted({r.value for r in cmd.classes}),
            reason=cmd.reason,
            request_id=cmd.request_id,
            key_ids=list(cmd.key_ids),
            trajectory_ids=list(cmd.trajectory_ids),
            unreachable_events=cmd.unreachable_events,
            registry_forgotten=cmd.registry_forgotten,
            occurred_on=moments.check_day(cmd.occurred_on),
        )

    @classmethod
    @handles(c.RecordAccessExport)
    def record_access_export(cls, cmd: c.RecordAccessExport) -> PrivacyRecord:
        return cls._create(
            cls.AccessExported,
            id=record_id("export", cmd.student_id),
            student_id=cmd.student_id,
            events=cmd.events,
            sha256=cmd.sha256,
            occurred_on=moments.check_day(cmd.occurred_on),
        )


def event_classes() -> tuple[type[PrivacyRecord.Event], ...]:
    return (
        PrivacyRecord.ErasureRequested,
        PrivacyRecord.DataShredded,
        PrivacyRecord.AccessExported,
    )
