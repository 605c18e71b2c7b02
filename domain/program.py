"""The Program aggregate: a versioned program definition and the staff registered for it."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

from eventsourcing.domain import event

from domain import commands as c
from domain import moments
from domain.aggregate import RecordedAggregate
from domain.commands import handles
from domain.errors import InvalidInput, RuleViolation
from domain.values import StaffRole

NAMESPACE = uuid.UUID("6f1d1c8e-5a55-4f49-9a43-2f6a8c1b7e10")

DEFAULT_LEVELS = ("verkennend", "beginnend", "ontwikkelend", "vakkundig", "bekwaam", "professional")


@dataclass(frozen=True)
class Criterion:
    code: str
    description: str


@dataclass(frozen=True)
class Outcome:
    code: str
    title: str
    qualification_refs: tuple[str, ...] = ()
    criteria: tuple[Criterion, ...] = ()


@dataclass(frozen=True)
class Rubric:
    """Ordered levels, lowest first, with the pass level and the early-route level named."""

    levels: tuple[str, ...] = DEFAULT_LEVELS
    pass_level: str = "bekwaam"
    early_level: str = "vakkundig"

    def rank(self, level: str) -> int:
        return self.levels.index(level)


@dataclass(frozen=True)
class Settings:
    """Every setting DOMAIN.md marks *(program)*, with its default."""

    medium_stake_moments: tuple[int, int] = (50, 70)
    early_fraction: float = 0.5
    min_evidence_per_outcome: int = 2
    min_assessors: int = 2
    assessor_independence: bool = True
    committee_quorum: int = 2
    # How long the record is kept (domain/privacy/retention.py); versions published before
    # these settings existed keep the defaults.
    exam_retention_months: int = 18
    formative_retention_months: int = 6


@dataclass(frozen=True)
class ProgramDefinition:
    """What a published version fixes: the rules a trajectory started on it runs under (R3)."""

    title: str
    outcomes: tuple[Outcome, ...]
    rubric: Rubric = field(default_factory=Rubric)
    settings: Settings = field(default_factory=Settings)

    @property
    def outcome_codes(self) -> tuple[str, ...]:
        return tuple(o.code for o in self.outcomes)

    def outcome(self, code: str) -> Outcome | None:
        return next((o for o in self.outcomes if o.code == code), None)

    def criterion_codes(self) -> set[str]:
        return {c.code for o in self.outcomes for c in o.criteria}

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        return _lists(data)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ProgramDefinition:
        try:
            outcomes = tuple(
                Outcome(
                    code=str(o["code"]),
                    title=str(o["title"]),
                    qualification_refs=tuple(str(r) for r in o.get("qualification_refs", ())),
                    criteria=tuple(
                        Criterion(code=str(c["code"]), description=str(c["description"]))
                        for c in o.get("criteria", ())
                    ),
                )
                for o in data["outcomes"]
            )
            rubric_data = dict(data.get("rubric") or {})
            if "levels" in rubric_data:
                rubric_data["levels"] = tuple(str(v) for v in rubric_data["levels"])
            settings_data = dict(data.get("settings") or {})
            if "medium_stake_moments" in settings_data:
                first, second = settings_data["medium_stake_moments"]
                settings_data["medium_stake_moments"] = (int(first), int(second))
            definition = cls(
                title=str(data["title"]),
                outcomes=outcomes,
                rubric=Rubric(**rubric_data),
                settings=Settings(**settings_data),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise InvalidInput(
                "R3", f"the program definition is incomplete or malformed: {exc}"
            ) from None
        definition.validate()
        return definition

    def validate(self) -> None:
        if not self.title.strip():
            raise InvalidInput("R3", "a program version needs a title")
        if not self.outcomes:
            raise InvalidInput("R3", "a program version needs at least one learning outcome")
        codes = [o.code for o in self.outcomes]
        if len(set(codes)) != len(codes) or any(not c.strip() for c in codes):
            raise InvalidInput("R3", "learning outcome codes must be non-empty and unique")
        criteria = [c.code for o in self.outcomes for c in o.criteria]
        if len(set(criteria)) != len(criteria):
            raise InvalidInput("R3", "quality criterion codes must be unique within a version")
        levels = self.rubric.levels
        if len(levels) < 2 or len(set(levels)) != len(levels):
            raise InvalidInput("R3", "the rubric needs at least two distinct levels")
        if self.rubric.pass_level not in levels or self.rubric.early_level not in levels:
            raise InvalidInput(
                "R3", "the pass level and the early-route level must be rubric levels"
            )
        s = self.settings
        if not 0 < s.medium_stake_moments[0] < s.medium_stake_moments[1] <= 100:
            raise InvalidInput("R6", "medium-stake moments must be increasing percentages")
        if not 0 <= s.early_fraction < 1:
            raise InvalidInput("R8", "the early-route fraction must lie in [0, 1)")
        if s.min_evidence_per_outcome < 1:
            raise InvalidInput("R9", "at least one evidence item per outcome is required")
        if s.min_assessors < 2:
            raise InvalidInput("R10", "a high-stake needs at least two assessors")
        if s.committee_quorum < 1:
            raise InvalidInput("R14", "the committee quorum must be at least one vote")


def _lists(value: Any) -> Any:
    """JSON has no tuples: store lists so that a decoded definition compares equal."""
    if isinstance(value, dict):
        return {k: _lists(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_lists(v) for v in value]
    return value


class Program(RecordedAggregate):
    """A qualification part taught with learning-based qualification; its versions never change."""

    @staticmethod
    def create_id(code: str) -> uuid.UUID:
        return uuid.uuid5(NAMESPACE, f"program:{code}")

    class Registered(RecordedAggregate.Created, moments.Occurring):
        code: str
        title: str
        occurred_on: date | None

        def summary(self) -> str:
            return f"program {self.code} registered: {self.title}"

    @event(Registered)
    def __init__(self, code: str, title: str, occurred_on: date | None) -> None:
        self.code = code
        self.title = title
        self.versions: dict[int, dict[str, Any]] = {}
        self.staff: dict[str, set[str]] = {role.value: set() for role in StaffRole}
        self.commands: dict[str, list[Any]] = {}

    @property
    def latest_version(self) -> int | None:
        return max(self.versions) if self.versions else None

    def definition(self, number: int) -> ProgramDefinition:
        return ProgramDefinition.from_dict(self.versions[number])

    def is_staff(self, person_id: str, role: StaffRole) -> bool:
        return person_id in self.staff[role.value]

    # Commands

    @classmethod
    @handles(c.RegisterProgram)
    def register(cls, cmd: c.RegisterProgram) -> Program:
        if not cmd.code.strip() or not cmd.title.strip():
            raise InvalidInput("R3", "a program needs a code and a title")
        return cls(code=cmd.code, title=cmd.title, occurred_on=moments.check_day(cmd.occurred_on))

    @handles(c.PublishProgramVersion)
    def publish_version(self, cmd: c.PublishProgramVersion) -> int:
        definition = ProgramDefinition.from_dict(cmd.definition_data())
        number = (self.latest_version or 0) + 1
        self.trigger_event(
            self.VersionPublished,
            number=number,
            definition=definition.to_dict(),
            occurred_on=moments.check_day(cmd.occurred_on),
        )
        return number

    class VersionPublished(RecordedAggregate.Event, moments.Occurring):
        number: int
        definition: dict[str, Any]
        occurred_on: date | None

        def apply(self, p: Program) -> None:
            p.versions[self.number] = self.definition

        def summary(self) -> str:
            return f"version {self.number} published"

    @handles(c.RegisterStaff)
    def register_staff(self, cmd: c.RegisterStaff) -> None:
        if not cmd.person_id.strip():
            raise InvalidInput("R1", "a staff registration needs a person id")
        if self.is_staff(cmd.person_id, cmd.role):
            raise RuleViolation("R1", f"{cmd.person_id} is already registered as {cmd.role.value}")
        self.trigger_event(
            self.StaffRegistered,
            person_id=cmd.person_id,
            role=cmd.role,
            occurred_on=moments.check_day(cmd.occurred_on),
        )

    class StaffRegistered(RecordedAggregate.Event, moments.Occurring):
        person_id: str
        role: StaffRole
        occurred_on: date | None

        def apply(self, p: Program) -> None:
            p.staff[self.role.value].add(self.person_id)

        def summary(self) -> str:
            return f"{self.person_id} registered as {self.role.value}"

    @handles(c.DeregisterStaff)
    def deregister_staff(self, cmd: c.DeregisterStaff) -> None:
        if not self.is_staff(cmd.person_id, cmd.role):
            raise RuleViolation("R1", f"{cmd.person_id} is not registered as {cmd.role.value}")
        self.trigger_event(
            self.StaffDeregistered,
            person_id=cmd.person_id,
            role=cmd.role,
            occurred_on=moments.check_day(cmd.occurred_on),
        )

    class StaffDeregistered(RecordedAggregate.Event, moments.Occurring):
        person_id: str
        role: StaffRole
        occurred_on: date | None

        def apply(self, p: Program) -> None:
            p.staff[self.role.value].discard(self.person_id)

        def summary(self) -> str:
            return f"{self.person_id} no longer registered as {self.role.value}"
