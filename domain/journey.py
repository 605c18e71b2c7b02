"""Step-by-step drivers of a trajectory through the application service.

Used by the demo seeder, the tests and the benchmarks, so that each walks the same real path
through the rules instead of writing events directly.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

from domain import commands as c
from domain.application import Bewijsketen, CommandResult
from domain.values import (
    Actor,
    Decision,
    EvidenceKind,
    FeedbackSource,
    Role,
    StaffRole,
    TrafficLight,
    Verdict,
    Vote,
)

ADMIN = Actor("admin-1", Role.ADMIN)
T = TypeVar("T", bound=c.Command)

SOFTWARE_DEVELOPER: dict[str, Any] = {
    "title": "Software developer (crebo 25998), keuzedeel Werken met AI-tools",
    "outcomes": [
        {
            "code": "LO1",
            "title": "Plans and estimates the work on a software assignment",
            "qualification_refs": ["B1-K1-W1 Stemt opdracht af, plant werkzaamheden"],
            "criteria": [
                {"code": "LO1.1", "description": "Splits the assignment into estimated tasks"},
                {"code": "LO1.2", "description": "Checks the plan with the client"},
            ],
        },
        {
            "code": "LO2",
            "title": "Designs a solution that fits the requirements",
            "qualification_refs": ["B1-K1-W2 Maakt een technisch ontwerp voor software"],
            "criteria": [
                {"code": "LO2.1", "description": "Translates requirements into a design"},
                {"code": "LO2.2", "description": "Justifies design choices"},
            ],
        },
        {
            "code": "LO3",
            "title": "Realises working, maintainable software",
            "qualification_refs": ["B1-K1-W3 Realiseert (onderdelen van) software"],
            "criteria": [
                {"code": "LO3.1", "description": "Writes readable, tested code"},
                {"code": "LO3.2", "description": "Uses version control"},
            ],
        },
        {
            "code": "LO4",
            "title": "Tests software and acts on the results",
            "qualification_refs": ["B1-K1-W4 Test software"],
            "criteria": [
                {"code": "LO4.1", "description": "Writes and runs test cases"},
                {"code": "LO4.2", "description": "Reports and fixes defects"},
            ],
        },
        {
            "code": "LO5",
            "title": "Reflects on and improves their own work with the team",
            "qualification_refs": ["B1-K2-W2 Reflecteert op het werk"],
            "criteria": [
                {"code": "LO5.1", "description": "Asks for and uses feedback"},
                {"code": "LO5.2", "description": "Presents the work to stakeholders"},
            ],
        },
    ],
}


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass
class Staff:
    coaches: list[str] = field(default_factory=lambda: ["coach-1", "coach-2"])
    mentors: list[str] = field(default_factory=lambda: ["mentor-1"])
    assessors: list[str] = field(default_factory=lambda: ["assessor-1", "assessor-2", "assessor-3"])
    committee: list[str] = field(
        default_factory=lambda: ["committee-1", "committee-2", "committee-3"]
    )


def setup_program(
    app: Bewijsketen,
    code: str = "SD-AI",
    definition: Mapping[str, Any] | None = None,
    staff: Staff | None = None,
) -> uuid.UUID:
    """Registers a program, publishes version 1 and registers its staff."""
    staff = staff or Staff()
    program_id = app.execute(
        c.RegisterProgram(code=code, title="Software developer: AI-tools"), ADMIN
    ).aggregate_id
    app.execute(
        c.PublishProgramVersion(program_id=program_id, **(definition or SOFTWARE_DEVELOPER)),
        ADMIN,
    )
    for role, people in (
        (StaffRole.COACH, staff.coaches),
        (StaffRole.MENTOR, staff.mentors),
        (StaffRole.ASSESSOR, staff.assessors),
        (StaffRole.COMMITTEE, staff.committee),
    ):
        for person in people:
            app.execute(c.RegisterStaff(program_id=program_id, person_id=person, role=role), ADMIN)
    return program_id


class Journey:
    """One student's trajectory, driven command by command with sensible defaults."""

    def __init__(
        self,
        app: Bewijsketen,
        program_id: uuid.UUID,
        student_id: str,
        cohort: str = "2026-A",
        coach_id: str = "coach-1",
        mentor_id: str = "mentor-1",
    ) -> None:
        self.app = app
        self.program_id = program_id
        self.student = Actor(student_id, Role.STUDENT)
        self.coach = Actor(coach_id, Role.COACH)
        self.mentor = Actor(mentor_id, Role.MENTOR)
        self.cohort = cohort
        self.id: uuid.UUID = uuid.UUID(int=0)
        self.evidence_ids: list[str] = []
        self.withdrawn: set[str] = set()
        self.outcomes: list[str] = []
        self.levels: list[str] = []
        self._counter = 0

    def _next(self, prefix: str) -> str:
        self._counter += 1
        return f"{prefix}-{self._counter}"

    def run(self, command: c.Command, actor: Actor) -> CommandResult:
        return self.app.execute(command, actor)

    def on(self, command_type: type[T], **fields: Any) -> T:
        """A command on this trajectory."""
        made: T = cast(Any, command_type)(trajectory_id=self.id, **fields)
        return made

    def start(self) -> CommandResult:
        result = self.run(
            c.StartTrajectory(
                program_id=self.program_id,
                student_id=self.student.person_id,
                cohort=self.cohort,
                coach_id=self.coach.person_id,
                mentor_id=self.mentor.person_id,
            ),
            self.coach,
        )
        self.id = result.aggregate_id
        program = self.app.get_program(self.program_id)
        definition = program.definition(program.latest_version or 1)
        self.outcomes = list(definition.outcome_codes)
        self.levels = list(definition.rubric.levels)
        return result

    def level(self, name: str) -> str:
        return name if name in self.levels else self.levels[int(name)]

    def evidence(
        self,
        outcomes: list[str],
        kind: EvidenceKind = EvidenceKind.PRODUCT,
        ai_use: bool = False,
        title: str | None = None,
    ) -> str:
        evidence_id = self._next("ev")
        self.run(
            self.on(
                c.SubmitEvidence,
                evidence_id=evidence_id,
                title=title or f"Evidence {evidence_id}",
                kind=kind,
                uri=f"https://portfolio.example.nl/{self.student.person_id}/{evidence_id}",
                sha256=content_hash(f"{self.id}/{evidence_id}"),
                outcomes=outcomes,
                ai_use=ai_use,
                declaration="Used an AI assistant to draft text, then rewrote it" if ai_use else "",
            ),
            self.student,
        )
        self.evidence_ids.append(evidence_id)
        return evidence_id

    def withdraw(self, evidence_id: str, reason: str = "Uploaded the wrong file") -> None:
        self.run(self.on(c.WithdrawEvidence, evidence_id=evidence_id, reason=reason), self.student)
        self.withdrawn.add(evidence_id)

    def evidence_for_all(self, per_outcome: int = 2, ai_first: bool = False) -> list[str]:
        kinds = list(EvidenceKind)
        made: list[str] = []
        for i in range(per_outcome):
            for j, code in enumerate(self.outcomes):
                made.append(
                    self.evidence(
                        [code], kind=kinds[(i + j) % len(kinds)], ai_use=ai_first and not made
                    )
                )
        return made

    def feedback(
        self, source: FeedbackSource, giver_id: str, outcomes: list[str], text: str = "Good step"
    ) -> CommandResult:
        actor = {
            FeedbackSource.SELF: self.student,
            FeedbackSource.PEER: Actor(giver_id, Role.STUDENT),
            FeedbackSource.COACH: self.coach,
        }.get(source, self.student)
        return self.run(
            self.on(
                c.GiveFeedback,
                feedback_id=self._next("fb"),
                source=source,
                giver_id=giver_id,
                outcomes=outcomes,
                text=text,
            ),
            actor,
        )

    def progress_check(self, light: TrafficLight, notes: str = "Discussed progress") -> None:
        self.run(self.on(c.CheckProgress, light=light, notes=notes), self.mentor)

    def medium_stake(self, levels: dict[str, str] | str) -> CommandResult:
        if isinstance(levels, str):
            levels = {code: self.level(levels) for code in self.outcomes}
        return self.run(
            self.on(
                c.HoldMediumStake,
                portfolio=self.evidence_ids[:3] or [self.evidence([self.outcomes[0]])],
                levels=levels,
                feedback="Discussed the interim portfolio",
                rationale="Levels set against the rubric",
            ),
            self.coach,
        )

    def green_light(self) -> None:
        self.run(
            self.on(
                c.DecideGreenLight, decision="give", rationale="Enough evidence on every outcome"
            ),
            self.coach,
        )

    def request_high_stake(self, ai_explanation: str = "") -> int:
        portfolio = [e for e in self.evidence_ids if e not in self.withdrawn]
        result = self.run(
            self.on(
                c.RequestHighStake,
                portfolio=portfolio,
                reading_guide_uri=f"https://portfolio.example.nl/{self.student.person_id}/guide",
                reading_guide_sha256=content_hash(
                    f"guide/{self.id}/{len(self.withdrawn)}/{portfolio}"
                ),
                ai_explanation=ai_explanation,
            ),
            self.student,
        )
        return int(result.value)

    def assign(
        self, attempt: int, assessors: tuple[str, ...] = ("assessor-1", "assessor-2")
    ) -> None:
        self.run(self.on(c.AssignAssessors, attempt=attempt, assessor_ids=list(assessors)), ADMIN)

    def judge(
        self,
        attempt: int,
        assessor: str,
        levels: dict[str, str] | str,
        verdict: Verdict = Verdict.PASS,
    ) -> CommandResult:
        if isinstance(levels, str):
            levels = {code: self.level(levels) for code in self.outcomes}
        return self.run(
            self.on(
                c.SubmitJudgment,
                attempt=attempt,
                levels=levels,
                level_rationales={
                    code: f"Portfolio shows {levels[code]}" for code in self.outcomes
                },
                verdict=verdict,
                rationale="Holistic judgment of the portfolio",
            ),
            Actor(assessor, Role.ASSESSOR),
        )

    def interview(self, attempt: int, assessor: str = "assessor-1") -> None:
        self.run(
            self.on(
                c.HoldCriterionInterview, attempt=attempt, notes="CGI on the doubtful outcomes"
            ),
            Actor(assessor, Role.ASSESSOR),
        )

    def agree(
        self, attempt: int, levels: dict[str, str] | str, assessor: str = "assessor-1"
    ) -> None:
        if isinstance(levels, str):
            levels = {code: self.level(levels) for code in self.outcomes}
        self.run(
            self.on(
                c.AgreeFinalLevels,
                attempt=attempt,
                levels=levels,
                rationale="Agreed after discussion",
            ),
            Actor(assessor, Role.ASSESSOR),
        )

    def conclude(self, attempt: int, assessor: str = "assessor-1") -> bool:
        result = self.run(
            self.on(
                c.ConcludeAssessment,
                attempt=attempt,
                rationale="Conclusion on the final levels",
            ),
            Actor(assessor, Role.ASSESSOR),
        )
        return bool(result.value)

    def votes(
        self,
        attempt: int,
        members: tuple[str, ...] = ("committee-1", "committee-2"),
        vote: Vote = Vote.RATIFY,
    ) -> Decision | None:
        outcome = None
        for member in members:
            outcome = self.run(
                self.on(
                    c.CastVote,
                    attempt=attempt,
                    vote=vote,
                    rationale="Procedure followed, judgment well argued",
                ),
                Actor(member, Role.COMMITTEE),
            ).value
        return outcome

    def development_plan(self, attempt: int) -> None:
        self.run(
            self.on(
                c.RecordDevelopmentPlan,
                attempt=attempt,
                plan="Gather two more pieces of evidence on the failed outcomes",
            ),
            self.student,
        )

    # Composite paths

    def to_green_light(self) -> None:
        self.start()
        self.evidence_for_all()
        for code in self.outcomes:
            self.feedback(FeedbackSource.SELF, self.student.person_id, [code])
            self.feedback(FeedbackSource.COACH, self.coach.person_id, [code])
        self.medium_stake("vakkundig")
        self.medium_stake("bekwaam")
        self.green_light()

    def to_ratified_pass(self) -> None:
        self.to_green_light()
        attempt = self.request_high_stake()
        self.assign(attempt)
        self.judge(attempt, "assessor-1", "bekwaam")
        self.judge(attempt, "assessor-2", "bekwaam")
        self.conclude(attempt)
        self.votes(attempt)
