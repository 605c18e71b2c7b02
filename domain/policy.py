"""Who may read and write what, decided by the caller's relation to the student.

A role says what kind of person someone is; a relation says what they are to this trajectory:
its own student, its coach, an assessor assigned to one of its attempts, a member of its
program's committee. Commands declare the relations that may issue them
(`domain.commands`), reads declare the relations that may see them (`READS` below), and
everything that decides access, the application service, the HTTP routes and the read-model
filters, asks this module.

A caller with no reading relation to a trajectory is told it does not exist, whatever they
tried, so that trajectory ids (derived from program, student and cohort) cannot be probed and
no refusal reveals another student's state.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any, Protocol

from domain.errors import NotFound, NotPermitted, ReadNotPermitted
from domain.values import Actor, Role, StaffRole


class Relation(Enum):
    """What the caller is to a trajectory (or to its program)."""

    STUDENT = "student"
    PEER = "peer"
    COACH = "coach"
    FORMER_COACH = "former_coach"
    MENTOR = "mentor"
    FORMER_MENTOR = "former_mentor"
    ASSESSOR = "assessor"
    COMMITTEE = "committee"
    REQUESTED = "requested"
    PROGRAM_COACH = "program_coach"
    PROGRAM_STAFF = "program_staff"
    OVERSIGHT = "oversight"
    ADMINISTRATION = "administration"
    PRIVACY_OFFICER = "privacy_officer"
    DATA_SUBJECT = "data_subject"
    ANYONE = "anyone"

    @property
    def roles(self) -> frozenset[Role]:
        return ROLES[self]

    @property
    def description(self) -> str:
        return DESCRIPTIONS[self]


ROLES: dict[Relation, frozenset[Role]] = {
    Relation.STUDENT: frozenset({Role.STUDENT}),
    Relation.PEER: frozenset({Role.STUDENT}),
    Relation.COACH: frozenset({Role.COACH}),
    Relation.FORMER_COACH: frozenset({Role.COACH}),
    Relation.MENTOR: frozenset({Role.MENTOR}),
    Relation.FORMER_MENTOR: frozenset({Role.MENTOR}),
    Relation.ASSESSOR: frozenset({Role.ASSESSOR}),
    Relation.COMMITTEE: frozenset({Role.COMMITTEE}),
    # Anyone a feedback request names may answer it, except those who only look.
    Relation.REQUESTED: frozenset(
        {Role.STUDENT, Role.COACH, Role.MENTOR, Role.ASSESSOR, Role.COMMITTEE, Role.EXTERNAL}
    ),
    Relation.PROGRAM_COACH: frozenset({Role.COACH}),
    Relation.PROGRAM_STAFF: frozenset({Role.COACH, Role.MENTOR}),
    Relation.OVERSIGHT: frozenset({Role.QUALITY, Role.INSPECTOR}),
    Relation.ADMINISTRATION: frozenset({Role.ADMIN}),
    Relation.PRIVACY_OFFICER: frozenset({Role.PRIVACY}),
    Relation.DATA_SUBJECT: frozenset({Role.STUDENT}),
    Relation.ANYONE: frozenset(Role),
}

DESCRIPTIONS: dict[Relation, str] = {
    Relation.STUDENT: "the trajectory's own student",
    Relation.PEER: "a fellow student of the same program",
    Relation.COACH: "the trajectory's coach",
    Relation.FORMER_COACH: "a former coach of the trajectory (for the period they coached)",
    Relation.MENTOR: "the trajectory's mentor (SLB)",
    Relation.FORMER_MENTOR: "a former mentor of the trajectory (for the period they mentored)",
    Relation.ASSESSOR: "an assessor assigned to one of the trajectory's attempts",
    Relation.COMMITTEE: "a member of the program's exam committee",
    Relation.REQUESTED: "the person an open feedback request on the trajectory is addressed to",
    Relation.PROGRAM_COACH: "a coach registered for the program",
    Relation.PROGRAM_STAFF: "a coach or mentor registered for the program",
    Relation.OVERSIGHT: "the quality officer or the inspector",
    Relation.ADMINISTRATION: "program administration",
    Relation.PRIVACY_OFFICER: "the institution's privacy officer",
    Relation.DATA_SUBJECT: "the student the data is about (their own data)",
    Relation.ANYONE: "anyone signed in",
}

PROGRAM_STAFF_ROLES = (StaffRole.COACH, StaffRole.MENTOR)
STAFF_OF: dict[Relation, StaffRole] = {
    Relation.COMMITTEE: StaffRole.COMMITTEE,
    Relation.PROGRAM_COACH: StaffRole.COACH,
}


class Subject(Protocol):
    """What access depends on in a trajectory (the aggregate and the read side both offer it)."""

    @property
    def program_id(self) -> Any: ...

    @property
    def student_id(self) -> str: ...

    @property
    def coach_id(self) -> str: ...

    @property
    def mentor_id(self) -> str: ...

    def assessor_ids(self) -> Collection[str]: ...

    def former_terms(self, role: StaffRole) -> Mapping[str, int]:
        """Former coaches (or mentors) → the last version of the trajectory in their term."""
        ...

    def requests_addressed_to(self) -> Collection[str]: ...


@dataclass(frozen=True)
class DataSubject:
    """The subject of a privacy record or an access export: a student, apart from any of their
    trajectories (only `student_id` decides; they have no coach, mentor or assessors)."""

    student_id: str
    program_id: None = None
    coach_id: str = ""
    mentor_id: str = ""

    def assessor_ids(self) -> Collection[str]:
        return ()

    def former_terms(self, role: StaffRole) -> Mapping[str, int]:
        return {}

    def requests_addressed_to(self) -> Collection[str]:
        return ()


class Directory(Protocol):
    """Program-level facts: who is registered for a program, and who studies in it."""

    def is_staff(self, program_id: uuid.UUID, person_id: str, role: StaffRole) -> bool: ...

    def is_student(self, program_id: uuid.UUID, person_id: str) -> bool: ...


def _uuid(value: Any) -> uuid.UUID | None:
    if value is None or isinstance(value, uuid.UUID):
        return value
    return uuid.UUID(str(value))


def holds(
    relation: Relation,
    actor: Actor,
    program_id: uuid.UUID | None,
    subject: Subject | None,
    directory: Directory,
) -> bool:
    """Whether the actor stands in this relation (to the trajectory, or else to its program)."""
    if actor.role not in relation.roles:
        return False
    person = actor.person_id
    if relation in (
        Relation.ANYONE,
        Relation.OVERSIGHT,
        Relation.ADMINISTRATION,
        Relation.PRIVACY_OFFICER,
    ):
        return True
    if relation is Relation.DATA_SUBJECT:
        # Decided by the student the data is about, whatever program: a privacy record or an
        # access export concerns a person, not one trajectory.
        return subject is not None and person == subject.student_id
    if program_id is None:
        return False
    if relation in STAFF_OF:
        return directory.is_staff(program_id, person, STAFF_OF[relation])
    if relation is Relation.PROGRAM_STAFF:
        return any(directory.is_staff(program_id, person, r) for r in PROGRAM_STAFF_ROLES)
    if subject is None:
        return False
    if relation is Relation.STUDENT:
        return person == subject.student_id
    if relation is Relation.PEER:
        return person != subject.student_id and directory.is_student(program_id, person)
    if relation is Relation.COACH:
        return person == subject.coach_id
    if relation is Relation.MENTOR:
        return person == subject.mentor_id
    if relation is Relation.FORMER_COACH:
        return person in subject.former_terms(StaffRole.COACH)
    if relation is Relation.FORMER_MENTOR:
        return person in subject.former_terms(StaffRole.MENTOR)
    if relation is Relation.ASSESSOR:
        return person in subject.assessor_ids()
    if relation is Relation.REQUESTED:
        return person in subject.requests_addressed_to()
    raise AssertionError(f"unhandled relation {relation}")  # pragma: no cover


def relations_of(
    actor: Actor, program_id: Any, subject: Subject | None, directory: Directory
) -> frozenset[Relation]:
    """Every relation the actor has; only those their role can hold are looked into."""
    pid = _uuid(program_id)
    return frozenset(
        r for r in Relation if actor.role in r.roles and holds(r, actor, pid, subject, directory)
    )


# ---- reading

READ_TRAJECTORY = frozenset(
    {
        Relation.STUDENT,
        Relation.COACH,
        Relation.FORMER_COACH,
        Relation.MENTOR,
        Relation.FORMER_MENTOR,
        Relation.ASSESSOR,
        Relation.COMMITTEE,
        Relation.OVERSIGHT,
        Relation.ADMINISTRATION,
    }
)
# Relations whose reading ends with their term: they read the trajectory as it stood then.
WINDOWED = {Relation.FORMER_COACH: StaffRole.COACH, Relation.FORMER_MENTOR: StaffRole.MENTOR}


@dataclass(frozen=True)
class Read:
    """A declared read: who may see it, and over what."""

    name: str
    readers: frozenset[Relation]
    over: str  # "trajectory", "student", "program", "rows" (filtered per caller) or "log"
    doc: str

    @property
    def hidden(self) -> bool:
        """Of one trajectory or one student: whoever may not read it is told it does not exist."""
        return self.over in ("trajectory", "student")


READS: dict[str, Read] = {
    read.name: read
    for read in (
        Read("projections", frozenset({Relation.ANYONE}), "log", "how far the read models are"),
        Read("program", frozenset({Relation.ANYONE}), "program", "a program, its versions"),
        Read(
            "person",
            frozenset({Relation.ANYONE}),
            "rows",
            "a person's name: staff to all, a student to those who may read them",
        ),
        Read("trajectory", READ_TRAJECTORY, "trajectory", "a trajectory, its history"),
        Read(
            "dossier",
            frozenset({Relation.STUDENT, Relation.COACH, Relation.COMMITTEE, Relation.OVERSIGHT}),
            "trajectory",
            "the decision dossier",
        ),
        Read(
            "progress",
            frozenset(
                {
                    Relation.STUDENT,
                    Relation.COACH,
                    Relation.MENTOR,
                    Relation.ASSESSOR,
                    Relation.COMMITTEE,
                    Relation.OVERSIGHT,
                    Relation.ADMINISTRATION,
                }
            ),
            "rows",
            "progress rows of the trajectories the caller may read",
        ),
        Read(
            "cohorts",
            frozenset(
                {
                    Relation.PROGRAM_STAFF,
                    Relation.COMMITTEE,
                    Relation.OVERSIGHT,
                    Relation.ADMINISTRATION,
                }
            ),
            "rows",
            "cohort counts of the programs the caller works for",
        ),
        Read(
            "cohort_members",
            frozenset(
                {
                    Relation.COACH,
                    Relation.MENTOR,
                    Relation.COMMITTEE,
                    Relation.OVERSIGHT,
                    Relation.ADMINISTRATION,
                }
            ),
            "rows",
            "students of cohorts: only those the caller coaches or mentors",
        ),
        Read(
            "workload",
            frozenset(
                {
                    Relation.ASSESSOR,
                    Relation.PROGRAM_STAFF,
                    Relation.COMMITTEE,
                    Relation.OVERSIGHT,
                    Relation.ADMINISTRATION,
                }
            ),
            "rows",
            "assessor workload: an assessor their own",
        ),
        Read(
            "calibration",
            frozenset(
                {
                    Relation.ASSESSOR,
                    Relation.COMMITTEE,
                    Relation.OVERSIGHT,
                    Relation.ADMINISTRATION,
                }
            ),
            "rows",
            "assessor calibration: an assessor their own, the committee its programs",
        ),
        Read(
            "borging",
            frozenset({Relation.COMMITTEE, Relation.OVERSIGHT, Relation.ADMINISTRATION}),
            "rows",
            "the borging checklist: the committee its programs",
        ),
        Read(
            "annual_report",
            frozenset({Relation.COMMITTEE, Relation.OVERSIGHT}),
            "rows",
            "the committee's annual report: the committee of its programs",
        ),
        Read("audit", frozenset({Relation.ANYONE}), "log", "checkpoints and proofs"),
        Read(
            "checkpoint",
            frozenset({Relation.COMMITTEE, Relation.OVERSIGHT, Relation.ADMINISTRATION}),
            "log",
            "sign a checkpoint now",
        ),
        Read("verify", frozenset({Relation.OVERSIGHT}), "log", "verify the whole log"),
        Read(
            "privacy_due",
            frozenset({Relation.PRIVACY_OFFICER}),
            "log",
            "what may be erased now, and the erasure requests waiting for a hold to end",
        ),
        Read(
            "privacy_export",
            frozenset({Relation.PRIVACY_OFFICER, Relation.DATA_SUBJECT}),
            "student",
            "everything stored about a student (access export): the student, the privacy officer",
        ),
    )
}


# Relations that hold row by row: which person a row names in that relation.
PER_ROW = (Relation.STUDENT, Relation.COACH, Relation.MENTOR, Relation.ASSESSOR)


@dataclass(frozen=True)
class RowScope:
    """Which rows of a read-model list a caller sees: everything, or the rows that name them in
    one of `people`'s relations, or the rows of `programs`."""

    everything: bool = False
    people: Mapping[Relation, str] | None = None
    programs: tuple[uuid.UUID, ...] = ()


class ProgramStaff(Protocol):
    def programs_where(self, person_id: str, role: StaffRole) -> list[uuid.UUID]: ...


def row_scope(actor: Actor, read: Read, directory: ProgramStaff) -> RowScope:
    """The rows of a listed read this caller may see, by their relations."""
    relations = [r for r in read.readers if actor.role in r.roles]
    if any(r in (Relation.OVERSIGHT, Relation.ADMINISTRATION, Relation.ANYONE) for r in relations):
        return RowScope(everything=True)
    people = {r: actor.person_id for r in relations if r in PER_ROW}
    programs: set[uuid.UUID] = set()
    for relation in relations:
        if relation is Relation.COMMITTEE:
            programs.update(directory.programs_where(actor.person_id, StaffRole.COMMITTEE))
        if relation is Relation.PROGRAM_STAFF:
            for role in PROGRAM_STAFF_ROLES:
                programs.update(directory.programs_where(actor.person_id, role))
    return RowScope(people=people, programs=tuple(sorted(programs, key=str)))


@dataclass(frozen=True)
class ReadAccess:
    """How much of a trajectory a caller may read: all of it, or up to a version."""

    up_to_version: int | None = None  # None: everything, now and in the past


def read_access(
    actor: Actor,
    subject: Subject,
    directory: Directory,
    ident: object,
    readers: frozenset[Relation] = READ_TRAJECTORY,
) -> ReadAccess:
    """The caller's reading window on a trajectory: NotFound if they may not read it at all,
    ReadNotPermitted if they may read it but not this (`readers`)."""
    relations = relations_of(actor, subject.program_id, subject, directory)
    found = relations & readers
    if not found:
        if relations & READ_TRAJECTORY:
            who = "; ".join(r.description for r in Relation if r in readers)
            raise ReadNotPermitted(f"this is read by {who}")
        raise not_found("trajectory", ident)
    if any(r not in WINDOWED for r in found):
        return ReadAccess()
    ends = [subject.former_terms(WINDOWED[r])[actor.person_id] for r in found]
    return ReadAccess(up_to_version=max(ends))


def student_access(actor: Actor, student_id: str, read: Read, directory: Directory) -> None:
    """Whether the actor may read this of the student: NotFound (as for a student who does not
    exist) if not, so that student ids cannot be probed."""
    subject = DataSubject(student_id)
    if not any_holds(read.readers, actor, None, subject, directory):
        raise not_found("student", student_id)


def not_found(what: str, ident: object) -> NotFound:
    """The one answer for something that does not exist or may not be seen."""
    return NotFound(what, ident)


# ---- writing


@dataclass(frozen=True)
class Access:
    """The relations that may issue a command; optionally chosen by the value of one field."""

    relations: frozenset[Relation]
    field: str | None = None
    by_value: Mapping[Any, frozenset[Relation]] | None = None

    def for_command(self, command: Any) -> frozenset[Relation]:
        if self.field is None or self.by_value is None:
            return self.relations
        return self.by_value[getattr(command, self.field)]

    @property
    def variants(self) -> dict[str, frozenset[Relation]]:
        """For documentation: `{"": relations}`, or one entry per field value."""
        if self.field is None or self.by_value is None:
            return {"": self.relations}
        return {
            f"{self.field}={getattr(value, 'value', value)}": relations
            for value, relations in self.by_value.items()
        }


def allow(*relations: Relation) -> Access:
    return Access(frozenset(relations))


def allow_by(field: str, by_value: Mapping[Any, Collection[Relation]]) -> Access:
    variants = {value: frozenset(rs) for value, rs in by_value.items()}
    union = frozenset(r for rs in variants.values() for r in rs)
    return Access(union, field, variants)


class Permission:
    """An allowed command, and (asked only when it matters: a refusal by the rules) whether the
    caller may also read its target."""

    def __init__(
        self,
        actor: Actor,
        program_id: uuid.UUID | None,
        subject: Subject | None,
        directory: Directory,
        readers: frozenset[Relation],
    ) -> None:
        self._ask = (actor, program_id, subject, directory)
        self._readers = readers
        self._reader: bool | None = None

    @property
    def reader(self) -> bool:
        if self._reader is None:
            self._reader = any_holds(self._readers, *self._ask)
        return self._reader


def any_holds(
    relations: frozenset[Relation],
    actor: Actor,
    program_id: uuid.UUID | None,
    subject: Subject | None,
    directory: Directory,
) -> bool:
    """Whether the actor stands in one of these relations; the cheap ones (read off the
    trajectory) are looked at before those that need the program's staff."""
    candidates = sorted(
        (r for r in relations if actor.role in r.roles), key=lambda r: r in PROGRAM_LEVEL
    )
    return any(holds(r, actor, program_id, subject, directory) for r in candidates)


# Relations decided by the program's staff registry or students, not by the trajectory alone.
PROGRAM_LEVEL = frozenset(
    {Relation.COMMITTEE, Relation.PROGRAM_COACH, Relation.PROGRAM_STAFF, Relation.PEER}
)


def authorize(
    issuers: frozenset[Relation],
    rule: str,
    actor: Actor,
    program_id: Any,
    subject: Subject | None,
    directory: Directory,
    target: tuple[str, object],
    readers: frozenset[Relation],
) -> Permission:
    """Allows the command, or refuses it: 403 naming the rule for a caller who may read the
    target, NotFound (exactly as for a target that does not exist) for everyone else."""
    pid = _uuid(program_id)
    permission = Permission(actor, pid, subject, directory, readers)
    if any_holds(issuers, actor, pid, subject, directory):
        return permission
    if permission.reader:
        who = "; ".join(r.description for r in Relation if r in issuers)
        raise NotPermitted(rule, f"this is done by {who}")
    raise not_found(*target)
