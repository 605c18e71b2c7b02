"""Erasing a student's data: by request, or when its retention period ends.

A shred destroys the student's data keys of the classes erased (`KeyStore.shred`): every value
they sealed, in the event store, in snapshots, in read models and caches, reads as the
placeholder from then on, while the stored bytes, which the audit log hashes, stay as they
were. When nothing of the student is left, their person registry entry (name, student number,
e-mail) is forgotten too. Then the read models of the student's trajectories are rebuilt
(`after_shred`, given by the caller: the read side is not the domain's), and the shred is
recorded in the privacy ledger, naming the keys and trajectories, never a value.

A shred of the exam record is refused while it is under its legal hold, naming the day the hold
ends (`domain.privacy.retention`); an erasure request made during the hold is recorded and
carried out by the retention job when it ends.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from domain import commands as c
from domain import moments, policy
from domain.commands import Retention
from domain.errors import NotPermitted
from domain.persistence.positions import log_position
from domain.privacy import ledger
from domain.privacy import retention as r
from domain.values import Actor

# Rebuilds (or purges) the read models of these trajectories of the student after a shred.
AfterShred = Callable[[str, Sequence[uuid.UUID]], object]
Progress = Callable[[int], object]


@dataclass(frozen=True)
class Shred:
    """What one shred did."""

    student_id: str
    classes: tuple[str, ...]
    key_ids: tuple[str, ...]
    trajectory_ids: tuple[uuid.UUID, ...]
    unreachable_events: int
    registry_forgotten: bool
    record_id: uuid.UUID


@dataclass(frozen=True)
class Erasure:
    """What an erasure on request did: the request recorded, what was shredded now, and what
    waits for the legal hold to end (and until when)."""

    request_id: uuid.UUID
    shred: Shred | None
    waiting_until: date | None


@dataclass
class RetentionRun:
    """What the retention job found due, and (applied) what it shredded."""

    due: list[r.Due]
    shreds: list[Shred] = field(default_factory=list)


class Eraser:
    """The erase use cases, on one application (with its key store as `app.keys`)."""

    def __init__(
        self,
        app: Any,
        persons: Any | None = None,
        after_shred: AfterShred | None = None,
        today: Callable[[], date] = moments.today,
    ) -> None:
        self.app = app
        self.persons = persons
        self.after_shred = after_shred
        self.today = today

    # ---- reading

    def schedule(self, students: Iterable[str] | None = None) -> r.Schedule:
        return r.schedule(self.app, self.today(), students)

    # ---- the use cases

    def request(
        self,
        actor: Actor,
        student_id: str,
        classes: c.ErasureClass,
        reason: str,
        occurred_on: date | None = None,
        idempotency: str | None = None,
    ) -> uuid.UUID:
        """Records an erasure request (also during a legal hold)."""
        command = c.RequestErasure(
            student_id=student_id, classes=classes, reason=reason, occurred_on=occurred_on
        )
        found: uuid.UUID = self.app.execute(command, actor, idempotency).aggregate_id
        return found

    def erase(
        self,
        actor: Actor,
        student_id: str,
        classes: c.ErasureClass,
        reason: str,
        occurred_on: date | None = None,
    ) -> Erasure:
        """Erasure on request: the request recorded, and carried out as far as no hold keeps
        it; the exam record under hold waits for the retention job."""
        self._authorize(actor, student_id)
        terms = self.schedule([student_id]).student(student_id)
        named = self.persons is not None and student_id in self.persons.all()
        if not (terms.trajectories or terms.ledger.records or named):
            raise policy.not_found("student", student_id)
        request_id = self.request(actor, student_id, classes, reason, occurred_on)
        wanted = {name for name in ledger.REQUESTED[classes] if not terms.done(name)}
        waiting = None
        if r.EXAM in wanted and terms.under_hold(self.today()):
            wanted.discard(r.EXAM)
            waiting = terms.hold_ends
        done = None
        if wanted:
            done = self.shred(actor, student_id, wanted, reason, request_id, terms)
        return Erasure(request_id, done, waiting)

    def shred(
        self,
        actor: Actor,
        student_id: str,
        classes: Iterable[str],
        reason: str,
        request_id: uuid.UUID | None = None,
        terms: r.StudentTerms | None = None,
    ) -> Shred:
        """Shreds the student's keys of these classes (an exam shred takes the formative data
        too: nothing formative outlives the exam record). Refused, writing nothing, for the
        exam record under its legal hold, and for anyone but the privacy officer."""
        self._authorize(actor, student_id)
        wanted = set(classes)
        if r.EXAM in wanted:
            wanted.add(r.FORMATIVE)
        if terms is None:
            terms = self.schedule([student_id]).student(student_id)
        terms.check_shred(wanted, self.today())
        retention = [Retention(name) for name in sorted(wanted)]
        shredded = self.app.keys.shred(student_id, retention)
        trajectory_ids = tuple(t.trajectory_id for t in terms.trajectories)
        gone = {name for name in (r.FORMATIVE, r.EXAM) if terms.done(name)} | wanted
        forgotten = False
        if gone >= {r.FORMATIVE, r.EXAM} and self.persons is not None:
            self.persons.erase(student_id)
            forgotten = True
        if self.after_shred is not None and trajectory_ids:
            self.after_shred(student_id, trajectory_ids)
        unreachable = unreachable_events(self.app, trajectory_ids)
        record = c.RecordShred(
            student_id=student_id,
            classes=retention,
            reason=reason,
            request_id=request_id,
            key_ids=[k.key_id for k in shredded],
            trajectory_ids=list(trajectory_ids),
            unreachable_events=unreachable,
            registry_forgotten=forgotten,
        )
        result = self.app.execute(record, actor)
        return Shred(
            student_id,
            tuple(sorted(wanted)),
            tuple(k.key_id for k in shredded),
            trajectory_ids,
            unreachable,
            forgotten,
            result.aggregate_id,
        )

    def retention(
        self, actor: Actor, apply: bool, progress: Progress | None = None
    ) -> RetentionRun:
        """The retention job: what is due (dry run), or that shredded (applied)."""
        self._authorize_job(actor)
        schedule = self.schedule()
        run = RetentionRun(schedule.due())
        if not apply:
            return run
        # One shred per student: the classes due together (an exam shred takes formative too).
        by_student: dict[str, list[r.Due]] = {}
        for due in run.due:
            by_student.setdefault(due.student_id, []).append(due)
        for student_id, items in by_student.items():
            classes = {d.retention for d in items}
            request = next((d.request_id for d in items if d.request_id is not None), None)
            why = "; ".join(sorted({_why(d) for d in items}))
            terms = schedule.student(student_id)
            run.shreds.append(self.shred(actor, student_id, classes, why, request, terms))
            if progress is not None:
                progress(len(items))
        return run

    # ---- access

    def _authorize(self, actor: Actor, student_id: str) -> None:
        """Only the privacy officer shreds: asked before any key is touched."""
        issuers = c.RecordShred.issued_by.relations
        subject = policy.DataSubject(student_id)
        if not policy.any_holds(issuers, actor, None, subject, self.app.directory):
            who = "; ".join(x.description for x in policy.Relation if x in issuers)
            raise NotPermitted(c.RecordShred.rule, f"this is done by {who}")

    def _authorize_job(self, actor: Actor) -> None:
        self._authorize(actor, "")


def _why(due: r.Due) -> str:
    if due.because == "request":
        return f"erasure request {due.request_id}"
    return f"{due.retention} retention period ended {due.since.isoformat()}"


def unreachable_events(app: Any, trajectory_ids: Iterable[uuid.UUID]) -> int:
    """Events of these trajectories stored before encryption began: their values are in
    plaintext, which no shred reaches (stored bytes are never rewritten)."""
    start = getattr(getattr(app, "keys", None), "encrypted_from", None)
    if start is None:
        return 0
    count = 0
    for trajectory_id in trajectory_ids:
        version = 1
        while True:
            position = log_position(app.recorder, trajectory_id, version)
            if position is None or position >= start:
                break
            count += 1
            version += 1
    return count
