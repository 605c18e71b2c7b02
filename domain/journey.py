"""Step-by-step drivers of a trajectory through the application service.

Used by the demo seeder, the tests and the benchmarks, so that each walks the same real path
through the rules instead of writing events directly.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
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
            "title": "Plant en begroot het werk aan een softwareopdracht en bepaalt waar "
            "AI-tools helpen",
            "qualification_refs": ["B1-K1-W1 Stemt opdracht af, plant werkzaamheden"],
            "criteria": [
                {
                    "code": "LO1.1",
                    "description": "Verdeelt de opdracht in taken met een onderbouwde schatting",
                },
                {
                    "code": "LO1.2",
                    "description": "Stemt de planning en de inzet van AI-tools af met de "
                    "opdrachtgever",
                },
            ],
        },
        {
            "code": "LO2",
            "title": "Ontwerpt een oplossing die past bij de eisen",
            "qualification_refs": ["B1-K1-W2 Maakt een technisch ontwerp voor software"],
            "criteria": [
                {"code": "LO2.1", "description": "Vertaalt de eisen naar een technisch ontwerp"},
                {
                    "code": "LO2.2",
                    "description": "Onderbouwt ontwerpkeuzes, ook waar een AI-assistent een "
                    "voorstel deed",
                },
            ],
        },
        {
            "code": "LO3",
            "title": "Realiseert werkende, onderhoudbare software, ook met gegenereerde code",
            "qualification_refs": ["B1-K1-W3 Realiseert (onderdelen van) software"],
            "criteria": [
                {
                    "code": "LO3.1",
                    "description": "Schrijft leesbare, geteste code en controleert gegenereerde "
                    "code kritisch",
                },
                {
                    "code": "LO3.2",
                    "description": "Gebruikt versiebeheer en legt vast welke code met AI is "
                    "gemaakt",
                },
            ],
        },
        {
            "code": "LO4",
            "title": "Test software en handelt naar de uitkomsten",
            "qualification_refs": ["B1-K1-W4 Test software"],
            "criteria": [
                {"code": "LO4.1", "description": "Schrijft en draait testgevallen"},
                {"code": "LO4.2", "description": "Meldt en herstelt gevonden fouten"},
            ],
        },
        {
            "code": "LO5",
            "title": "Reflecteert met het team op het eigen werk en op verantwoord gebruik van AI",
            "qualification_refs": ["B1-K2-W2 Reflecteert op het werk"],
            "criteria": [
                {"code": "LO5.1", "description": "Vraagt om feedback en doet er iets mee"},
                {"code": "LO5.2", "description": "Presenteert het werk aan belanghebbenden"},
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
    title: str = "Software developer: werken met AI-tools",
    occurred_on: date | None = None,
) -> uuid.UUID:
    """Registers a program, publishes version 1 and registers its staff (on `occurred_on`, when
    given: the day they took effect)."""
    staff = staff or Staff()
    day = occurred_on
    program_id = app.execute(
        c.RegisterProgram(code=code, title=title, occurred_on=day), ADMIN
    ).aggregate_id
    app.execute(
        c.PublishProgramVersion(
            program_id=program_id, occurred_on=day, **(definition or SOFTWARE_DEVELOPER)
        ),
        ADMIN,
    )
    for role, people in (
        (StaffRole.COACH, staff.coaches),
        (StaffRole.MENTOR, staff.mentors),
        (StaffRole.ASSESSOR, staff.assessors),
        (StaffRole.COMMITTEE, staff.committee),
    ):
        for person in people:
            app.execute(
                c.RegisterStaff(
                    program_id=program_id, person_id=person, role=role, occurred_on=day
                ),
                ADMIN,
            )
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
        # The day the next commands say their happenings took place (None: the day they are
        # recorded); `at` moves it, never backwards.
        self.day: date | None = None
        self.last: CommandResult | None = None  # what the latest command answered

    def at(self, day: date) -> Journey:
        """From now on, what happens takes place on `day` (or later, if the journey is there)."""
        self.day = day if self.day is None or day > self.day else self.day
        return self

    def _next(self, prefix: str) -> str:
        self._counter += 1
        return f"{prefix}-{self._counter}"

    def run(self, command: c.Command, actor: Actor) -> CommandResult:
        self.last = self.app.execute(command, actor)
        return self.last

    def on(self, command_type: type[T], **fields: Any) -> T:
        """A command on this trajectory, taking place on the journey's day unless it says."""
        if self.day is not None:
            fields.setdefault("occurred_on", self.day)
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
                occurred_on=self.day,
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
        declaration: str | None = None,
        criteria: list[str] | None = None,
        content: str | None = None,
    ) -> str:
        evidence_id = self._next("ev")
        self.run(
            self.on(
                c.SubmitEvidence,
                evidence_id=evidence_id,
                title=title or f"Evidence {evidence_id}",
                kind=kind,
                uri=f"https://portfolio.example.nl/{self.student.person_id}/{evidence_id}",
                sha256=content_hash(content or f"{self.id}/{evidence_id}"),
                outcomes=outcomes,
                criteria=criteria or [],
                ai_use=ai_use,
                declaration=declaration
                if declaration is not None
                else "Used an AI assistant to draft text, then rewrote it"
                if ai_use
                else "",
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
        self,
        source: FeedbackSource,
        giver_id: str,
        outcomes: list[str],
        text: str = "Good step",
        recorded_by: Actor | None = None,
        request_id: str | None = None,
        evidence_id: str | None = None,
        criteria: list[str] | None = None,
    ) -> CommandResult:
        """Feedback as the access policy has it recorded: self, peer and coach feedback by the
        giver, practice and client feedback by the student on the giver's behalf unless
        `recorded_by` says otherwise (the coach, the mentor, or the giver answering a request)."""
        actor = recorded_by or {
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
                criteria=criteria or [],
                evidence_id=evidence_id,
                text=text,
                request_id=request_id,
            ),
            actor,
        )

    def request_feedback(
        self,
        source: FeedbackSource,
        person: str,
        outcomes: list[str],
        question: str = "",
        evidence_id: str | None = None,
    ) -> str:
        request_id = self._next("rq")
        self.run(
            self.on(
                c.RequestFeedback,
                request_id=request_id,
                requested_from=person,
                source=source,
                outcomes=outcomes,
                evidence_id=evidence_id,
                question=question,
            ),
            self.student,
        )
        return request_id

    def progress_check(
        self, light: TrafficLight, notes: str = "Discussed progress", by: Actor | None = None
    ) -> CommandResult:
        return self.run(self.on(c.CheckProgress, light=light, notes=notes), by or self.mentor)

    def medium_stake(
        self,
        levels: dict[str, str] | str,
        portfolio: list[str] | None = None,
        feedback: str = "Discussed the interim portfolio",
        rationale: str = "Levels set against the rubric",
    ) -> CommandResult:
        if isinstance(levels, str):
            levels = {code: self.level(levels) for code in self.outcomes}
        return self.run(
            self.on(
                c.HoldMediumStake,
                portfolio=portfolio or self.evidence_ids[:3] or [self.evidence([self.outcomes[0]])],
                levels=levels,
                feedback=feedback,
                rationale=rationale,
            ),
            self.coach,
        )

    def green_light(self, rationale: str = "Enough evidence on every outcome") -> None:
        self.run(self.on(c.DecideGreenLight, decision="give", rationale=rationale), self.coach)

    def withhold_green_light(self, advice: str, rationale: str) -> None:
        self.run(
            self.on(c.DecideGreenLight, decision="withhold", advice=advice, rationale=rationale),
            self.coach,
        )

    def request_early(self, motivation: str = "") -> None:
        self.run(self.on(c.RequestEarlyHighStake, motivation=motivation), self.student)

    def decide_early(self, grant: bool, rationale: str) -> None:
        self.run(self.on(c.DecideEarlyHighStake, grant=grant, rationale=rationale), self.coach)

    def portfolio(self) -> list[str]:
        return [e for e in self.evidence_ids if e not in self.withdrawn]

    def request_high_stake(
        self, ai_explanation: str = "", guide: str | None = None, portfolio: list[str] | None = None
    ) -> int:
        """Hands in the portfolio (every active evidence item unless given) with a reading
        guide whose text `guide` is what the recorded hash is of."""
        portfolio = portfolio if portfolio is not None else self.portfolio()
        result = self.run(
            self.on(
                c.RequestHighStake,
                portfolio=portfolio,
                reading_guide_uri=f"https://portfolio.example.nl/{self.student.person_id}/guide",
                reading_guide_sha256=content_hash(
                    guide
                    if guide is not None
                    else f"guide/{self.id}/{len(self.withdrawn)}/{portfolio}"
                ),
                ai_explanation=ai_explanation,
            ),
            self.student,
        )
        return int(result.value)

    def assign(
        self,
        attempt: int,
        assessors: tuple[str, ...] = ("assessor-1", "assessor-2"),
        by: Actor = ADMIN,
    ) -> None:
        self.run(self.on(c.AssignAssessors, attempt=attempt, assessor_ids=list(assessors)), by)

    def judge(
        self,
        attempt: int,
        assessor: str,
        levels: dict[str, str] | str,
        verdict: Verdict = Verdict.PASS,
        level_rationales: Mapping[str, str] | None = None,
        rationale: str = "Holistic judgment of the portfolio",
    ) -> CommandResult:
        if isinstance(levels, str):
            levels = {code: self.level(levels) for code in self.outcomes}
        return self.run(
            self.on(
                c.SubmitJudgment,
                attempt=attempt,
                levels=levels,
                level_rationales=dict(level_rationales)
                if level_rationales is not None
                else {code: f"Portfolio shows {levels[code]}" for code in self.outcomes},
                verdict=verdict,
                rationale=rationale,
            ),
            Actor(assessor, Role.ASSESSOR),
        )

    def interview(
        self,
        attempt: int,
        assessor: str = "assessor-1",
        notes: str = "CGI on the doubtful outcomes",
    ) -> None:
        self.run(
            self.on(c.HoldCriterionInterview, attempt=attempt, notes=notes),
            Actor(assessor, Role.ASSESSOR),
        )

    def agree(
        self,
        attempt: int,
        levels: dict[str, str] | str,
        assessor: str = "assessor-1",
        rationale: str = "Agreed after discussion",
    ) -> None:
        if isinstance(levels, str):
            levels = {code: self.level(levels) for code in self.outcomes}
        self.run(
            self.on(c.AgreeFinalLevels, attempt=attempt, levels=levels, rationale=rationale),
            Actor(assessor, Role.ASSESSOR),
        )

    def conclude(
        self,
        attempt: int,
        assessor: str = "assessor-1",
        rationale: str = "Conclusion on the final levels",
    ) -> bool:
        result = self.run(
            self.on(c.ConcludeAssessment, attempt=attempt, rationale=rationale),
            Actor(assessor, Role.ASSESSOR),
        )
        return bool(result.value)

    def votes(
        self,
        attempt: int,
        members: tuple[str, ...] = ("committee-1", "committee-2"),
        vote: Vote = Vote.RATIFY,
        rationales: tuple[str, ...] = (),
    ) -> Decision | None:
        """Each member votes (with the rationale of the same position, or a default)."""
        outcome = None
        for i, member in enumerate(members):
            outcome = self.run(
                self.on(
                    c.CastVote,
                    attempt=attempt,
                    vote=vote,
                    rationale=rationales[i]
                    if i < len(rationales)
                    else "Procedure followed, judgment well argued",
                ),
                Actor(member, Role.COMMITTEE),
            ).value
        return outcome

    def development_plan(
        self,
        attempt: int,
        plan: str = "Gather two more pieces of evidence on the failed outcomes",
        by: Actor | None = None,
    ) -> None:
        self.run(self.on(c.RecordDevelopmentPlan, attempt=attempt, plan=plan), by or self.student)

    def correct(
        self, version: int, reason: str, details: Mapping[str, Any], by: Actor
    ) -> CommandResult:
        return self.run(
            self.on(
                c.RecordCorrection, corrects_version=version, reason=reason, details=dict(details)
            ),
            by,
        )

    def follow_up(self, attempt: int, item: str, action: str, by: Actor) -> CommandResult:
        """The committee records how it followed up a borging exception of the attempt."""
        return self.run(
            self.on(c.RecordBorgingFollowUp, attempt=attempt, item=item, action=action), by
        )

    def exhibit(self, title: str, evidence_ids: list[str]) -> None:
        self.run(
            self.on(
                c.PublishExhibition,
                exhibition_id=self._next("expo"),
                title=title,
                evidence_ids=evidence_ids,
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
