"""How long the record is kept, and what may be erased now.

Two retention classes (`domain.commands.Retention`), each with its own data key per student:

- **exam**: the exam record (evidence, medium-stakes, green light, judgments, final levels,
  the decision and its votes) is under a *legal hold* until `exam_retention_months` (program
  setting, default 18: the 1.5 years the inspectorate expects) after the trajectory's last
  ratified decision. A trajectory that never reached a ratified decision counts from its last
  event instead: an abandoned trajectory is kept as long as a decided one.
- **formative**: feedback, progress checks, baselines, feedback requests and exhibitions carry
  no legal duty; they are kept `formative_retention_months` (default 6) after the trajectory
  closes (its ratified pass; or, for one that never closes, its last event), or erased sooner
  on request.

Keys are per student, not per trajectory, so a class of a student is due when it is due on
every one of their trajectories, and the student's hold ends when the last one's does. Each
trajectory uses the settings of the program version it runs on (R3).

An erasure request is recorded at once (`domain.privacy.ledger`); what it asks that no hold
keeps is erased at once, and what a hold keeps is listed here as waiting and erased by the
retention job on the day the hold ends.
"""

from __future__ import annotations

import calendar
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from eventsourcing.utils import get_topic

from domain import moments
from domain.commands import Retention
from domain.errors import RuleViolation
from domain.privacy import ledger
from domain.program import ProgramDefinition
from domain.trajectory import Trajectory

# The rule a refusal during a legal hold names (its Dutch sentence is in api/refusals.py).
HOLD_RULE = "P2"
PAGE = 1000
FORMATIVE, EXAM = Retention.FORMATIVE.value, Retention.EXAM.value
LEDGER_TOPICS = tuple(get_topic(cls) for cls in ledger.event_classes())


def add_months(day: date, months: int) -> date:
    """The same day `months` later (the month's last day when it has no such day)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def day_of(event: Any) -> date:
    """The day an event's happening took place (its `occurred_on`, else the day recorded)."""
    return moments.occurred_on(event)


@dataclass(frozen=True)
class TrajectoryTerms:
    """The dates the retention of one trajectory hangs on."""

    trajectory_id: uuid.UUID
    student_id: str
    decided_on: date | None  # the day of its last ratified decision
    closed_on: date | None  # the day of its ratified pass
    last_event_on: date
    exam_months: int
    formative_months: int

    @property
    def hold_ends(self) -> date:
        """The first day the exam record may be erased."""
        return add_months(self.decided_on or self.last_event_on, self.exam_months)

    @property
    def formative_ends(self) -> date:
        return add_months(self.closed_on or self.last_event_on, self.formative_months)


def trajectory_terms(events: Iterable[Any]) -> TrajectoryTerms:
    """Read off a trajectory's events (the day each took place, and the settings it runs on)."""
    started: Any = None
    decided: date | None = None
    closed: date | None = None
    last: date | None = None
    for event in events:
        day = day_of(event)
        last = day if last is None else max(last, day)
        if isinstance(event, Trajectory.Started):
            started = event
        elif isinstance(event, Trajectory.DecisionRatified):
            decided = day
            if event.passed:
                closed = day
    if started is None or last is None:
        raise ValueError("a trajectory's events begin with its start")
    settings = ProgramDefinition.from_dict(started.definition).settings
    return TrajectoryTerms(
        trajectory_id=started.originator_id,
        student_id=started.student_id,
        decided_on=decided,
        closed_on=closed,
        last_event_on=last,
        exam_months=settings.exam_retention_months,
        formative_months=settings.formative_retention_months,
    )


@dataclass(frozen=True)
class Request:
    """An erasure request as the ledger holds it."""

    request_id: uuid.UUID
    classes: tuple[str, ...]
    reason: str
    requested_on: date
    recorded_at: datetime


@dataclass
class StudentLedger:
    """What the privacy ledger says of one student."""

    requests: list[Request] = field(default_factory=list)
    # The moment each class was last shredded.
    last_shred: dict[str, datetime] = field(default_factory=dict)
    records: list[Any] = field(default_factory=list)

    @property
    def shredded(self) -> set[str]:
        return set(self.last_shred)


def read_ledger(app: Any) -> dict[str, StudentLedger]:
    """Every privacy record, by student (one pass over the log for the ledger's topics)."""
    found: dict[str, StudentLedger] = {}
    position = 0
    while True:
        page = app.recorder.select_notifications(position + 1, PAGE, topics=LEDGER_TOPICS)
        for notification in page:
            event = app.mapper.to_domain_event(notification)
            entry = found.setdefault(event.student_id, StudentLedger())
            entry.records.append(event)
            if isinstance(event, ledger.PrivacyRecord.ErasureRequested):
                entry.requests.append(
                    Request(
                        event.originator_id,
                        tuple(event.classes),
                        event.reason,
                        day_of(event),
                        event.timestamp,
                    )
                )
            elif isinstance(event, ledger.PrivacyRecord.DataShredded):
                for name in event.classes:
                    entry.last_shred[name] = event.timestamp
        if len(page) < PAGE:
            return found
        position = page[-1].id


@dataclass(frozen=True)
class StudentTerms:
    """Where one student's data stands: their trajectories' terms and their ledger."""

    student_id: str
    trajectories: tuple[TrajectoryTerms, ...]
    ledger: StudentLedger
    # The classes the student has a live data key of (None: not known). Data written after a
    # shred is sealed under a new key: it is kept, and erased, as any other.
    live: frozenset[str] | None = None

    def done(self, retention: str) -> bool:
        """Whether this class of the student's data is erased (shredded, and nothing since)."""
        if retention not in self.ledger.last_shred:
            return False
        return self.live is None or retention not in self.live

    @property
    def hold_ends(self) -> date | None:
        """The first day the student's exam record may be erased (None: they have none)."""
        return max((t.hold_ends for t in self.trajectories), default=None)

    @property
    def formative_ends(self) -> date | None:
        return max((t.formative_ends for t in self.trajectories), default=None)

    def under_hold(self, today: date) -> bool:
        ends = self.hold_ends
        return ends is not None and today < ends and not self.done(EXAM)

    def requested(self, retention: str) -> Request | None:
        """The earliest erasure request that asks for this class, if not yet carried out."""
        if self.done(retention):
            return None
        since = self.ledger.last_shred.get(retention)
        return next(
            (
                r
                for r in self.ledger.requests
                if retention in r.classes and (since is None or r.recorded_at > since)
            ),
            None,
        )

    def check_shred(self, classes: Iterable[str], today: date) -> None:
        """Refuses a shred of the exam record under hold, naming the day the hold ends."""
        if EXAM in set(classes) and self.under_hold(today):
            ends = self.hold_ends
            assert ends is not None
            raise RuleViolation(
                HOLD_RULE,
                f"the exam record of {self.student_id} is under a legal hold until "
                f"{ends.isoformat()}; an erasure request is carried out when it ends",
            )


@dataclass(frozen=True)
class Due:
    """A class of a student's data that may be erased now, and why."""

    student_id: str
    retention: str
    because: str  # "period" (its retention period ended) or "request"
    since: date  # the day it became due
    request_id: uuid.UUID | None = None
    trajectory_ids: tuple[uuid.UUID, ...] = ()


@dataclass(frozen=True)
class Waiting:
    """An erasure request of the exam record that waits for the legal hold to end."""

    student_id: str
    request_id: uuid.UUID
    hold_ends: date
    trajectory_ids: tuple[uuid.UUID, ...] = ()


@dataclass(frozen=True)
class Schedule:
    """Every student's terms, as of one day."""

    today: date
    students: dict[str, StudentTerms]

    def student(self, student_id: str) -> StudentTerms:
        return self.students.get(student_id, StudentTerms(student_id, (), StudentLedger()))

    def due(self) -> list[Due]:
        """What may be erased now: formative data first (an exam shred takes it too)."""
        found: list[Due] = []
        for terms in self.students.values():
            found += list(_due_of(terms, self.today))
        return sorted(found, key=lambda d: (d.since, d.student_id, d.retention != FORMATIVE))

    def waiting(self) -> list[Waiting]:
        found = []
        for terms in self.students.values():
            request = terms.requested(EXAM)
            ends = terms.hold_ends
            if request is not None and ends is not None and terms.under_hold(self.today):
                ids = tuple(t.trajectory_id for t in terms.trajectories)
                found.append(Waiting(terms.student_id, request.request_id, ends, ids))
        return sorted(found, key=lambda w: (w.hold_ends, w.student_id))


def _due_of(terms: StudentTerms, today: date) -> Iterator[Due]:
    ids = tuple(t.trajectory_id for t in terms.trajectories)
    if not ids:
        return
    for retention, ends in ((FORMATIVE, terms.formative_ends), (EXAM, terms.hold_ends)):
        if terms.done(retention) or ends is None:
            continue
        request = terms.requested(retention)
        if retention == EXAM and terms.under_hold(today):
            continue
        if ends <= today:
            # The period ended; a request made before carries it out, and is named.
            yield Due(terms.student_id, retention, "period", ends, _id(request), ids)
        elif request is not None:
            yield Due(
                terms.student_id, retention, "request", request.requested_on, _id(request), ids
            )


def _id(request: Request | None) -> uuid.UUID | None:
    return None if request is None else request.request_id


def student_trajectories(app: Any) -> dict[str, list[uuid.UUID]]:
    """Every student with their trajectories, from the start events."""
    found: dict[str, list[uuid.UUID]] = {}
    position = 0
    topics = (get_topic(Trajectory.Started),)
    while True:
        page = app.recorder.select_notifications(position + 1, PAGE, topics=topics)
        for notification in page:
            event = app.mapper.to_domain_event(notification)
            found.setdefault(event.student_id, []).append(event.originator_id)
        if len(page) < PAGE:
            return found
        position = page[-1].id


def _live(app: Any, student_id: str) -> frozenset[str] | None:
    keys = getattr(app, "keys", None)
    if keys is None:
        return None
    return frozenset(k.retention.value for k in keys.keys_of(student_id) if not k.shredded)


def sealed_events(app: Any, trajectory_id: uuid.UUID) -> list[Any]:
    """A trajectory's events without opening a value: the dates, the decision and the settings
    the schedule needs are never sealed, and no text is decrypted to compute it."""
    decode = getattr(app.mapper, "to_sealed_event", app.mapper.to_domain_event)
    return [decode(stored) for stored in app.recorder.select_events(trajectory_id)]


def schedule(
    app: Any, today: date | None = None, students: Iterable[str] | None = None
) -> Schedule:
    """The terms of every student (or of the named ones) as of `today` (Europe/Amsterdam)."""
    day = today or moments.today()
    everyone = student_trajectories(app)
    records = read_ledger(app)
    wanted = list(everyone) if students is None else list(students)
    found: dict[str, StudentTerms] = {}
    for student_id in wanted:
        terms = tuple(
            trajectory_terms(sealed_events(app, trajectory_id))
            for trajectory_id in everyone.get(student_id, ())
        )
        found[student_id] = StudentTerms(
            student_id, terms, records.get(student_id, StudentLedger()), _live(app, student_id)
        )
    return Schedule(day, found)
