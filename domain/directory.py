"""Programs, their staff and their students, kept current from the event log.

Access decisions need program-level facts (is this person on the program's committee, does this
student study in the program) at once and for every program. The directory follows the log for
the Program events and the Started events of trajectories; before it answers it reads what was
appended since it last looked (one query for the head, one range scan from its own position), so
an answer is as fresh as the store. Everything it holds is public within the school: program
definitions, staff registrations, and which (pseudonymous) student follows which program.

What this process writes itself is seen at once (the application marks the directory stale);
what other processes write is seen within `max_age` seconds (0.5 by default): a staff change
made elsewhere takes effect that much later, as a revoked token does after the token cache.
"""

from __future__ import annotations

import math
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

from eventsourcing.persistence import Mapper
from eventsourcing.utils import get_topic

from domain.errors import NotFound
from domain.program import Program
from domain.trajectory import Trajectory, event_classes
from domain.values import StaffRole

PAGE = 1000
TOPICS = (
    *(get_topic(cls) for cls in event_classes(Program)),
    get_topic(Trajectory.Started),
)


class Directory:
    def __init__(self, recorder: Any, mapper: Mapper[Any], max_age: float = 0.5) -> None:
        self._recorder = recorder
        self._mapper = mapper
        self.max_age = max_age
        self._checked_at = -math.inf
        self._programs: dict[uuid.UUID, Program] = {}
        self._students: dict[uuid.UUID, set[str]] = {}
        self._trajectories: dict[str, list[uuid.UUID]] = {}
        self._position = 0
        self._lock = threading.Lock()

    def stale(self) -> None:
        """Something the directory follows was written here: look again before answering."""
        self._checked_at = -math.inf

    def catch_up(self) -> None:
        if time.monotonic() - self._checked_at < self.max_age:
            return
        with self._lock:
            checked_at = time.monotonic()
            head = self._recorder.max_notification_id() or 0
            while self._position < head:
                found = self._recorder.select_notifications(
                    self._position + 1, PAGE, stop=head, topics=TOPICS
                )
                for notification in found:
                    self._apply(self._mapper.to_domain_event(notification))
                if len(found) < PAGE:
                    self._position = head
                else:
                    self._position = found[-1].id
            self._checked_at = checked_at

    def _apply(self, event: Any) -> None:
        if isinstance(event, Trajectory.Started):
            self._students.setdefault(_uuid(event.program_id), set()).add(event.student_id)
            self._trajectories.setdefault(event.student_id, []).append(event.originator_id)
            return
        program = self._programs.get(event.originator_id)
        self._programs[event.originator_id] = event.mutate(program)

    # ---- answers (each reads what is new first)

    def program(self, program_id: uuid.UUID) -> Program:
        """The program as stored now. Shared: callers must not change it."""
        self.catch_up()
        program = self._programs.get(program_id)
        if program is None:
            raise NotFound("program", program_id)
        return program

    def programs(self) -> Iterator[Program]:
        self.catch_up()
        yield from sorted(self._programs.values(), key=lambda p: p.code)

    def is_staff(self, program_id: uuid.UUID, person_id: str, role: StaffRole) -> bool:
        self.catch_up()
        program = self._programs.get(program_id)
        return program is not None and program.is_staff(person_id, role)

    def is_student(self, program_id: uuid.UUID, person_id: str) -> bool:
        self.catch_up()
        return person_id in self._students.get(program_id, ())

    def trajectories_of(self, student_id: str) -> list[uuid.UUID]:
        """The trajectories a student has started, in the order they were."""
        self.catch_up()
        return list(self._trajectories.get(student_id, ()))

    def programs_where(self, person_id: str, role: StaffRole) -> list[uuid.UUID]:
        """The programs a person is registered for in a staff role."""
        self.catch_up()
        return sorted(
            (p.id for p in self._programs.values() if p.is_staff(person_id, role)), key=str
        )


def _uuid(value: Any) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
