"""A generated record with known content for the report tests: two programs, three cohorts,
passes, fails, a resit, a referral back, the early route granted and refused, CGIs on doubt and
on disagreement (and one still to hold), a conclusion awaiting the committee, a coach among the
assessors, borging exceptions (one followed up), corrections and committee corrections, and a
committee whose members change half-way.

Everything goes through the application service (`domain.journey.Journey`), never by writing
events. `middle` is a moment between the first half and the second, for period tests. Given
`days`, the first half takes place on the first day and the second half on the second (every
command says so, `occurred_on`), though all of it is recorded today.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from domain import commands as c
from domain.application import Bewijsketen
from domain.journey import ADMIN, Journey, Staff, setup_program
from domain.values import Actor, FeedbackSource, Role, StaffRole, Verdict, Vote

A_COMMITTEE = ["committee-1", "committee-2", "committee-3"]
B_COMMITTEE = ["committee-5", "committee-6", "committee-7"]
REASON_EVIDENCE = "Verkeerde leeropbrengst gekozen bij het leerbewijs"
REASON_APPEAL = "Bezwaar gegrond: toelichting bij het besluit aangevuld"
FOLLOW_UP = "Met de coach besproken: feedback van de coach is voortaan vereist"


@dataclass
class Dataset:
    program_a: uuid.UUID
    program_b: uuid.UUID
    started: datetime
    middle: datetime = field(default_factory=lambda: datetime.now(UTC))
    ended: datetime = field(default_factory=lambda: datetime.now(UTC))
    # The days the halves took place on, when they were given (else: the day recorded).
    first_day: date | None = None
    second_day: date | None = None
    trajectories: dict[str, uuid.UUID] = field(default_factory=dict)


def member(person: str) -> Actor:
    return Actor(person, Role.COMMITTEE)


def _high_stake(j: Journey, assessors: tuple[str, ...] = ("assessor-1", "assessor-2")) -> int:
    attempt = j.request_high_stake()
    j.assign(attempt, assessors)
    return attempt


def passes(j: Journey, members: tuple[str, ...] = ("committee-1", "committee-2")) -> None:
    j.to_green_light()
    attempt = _high_stake(j)
    j.judge(attempt, "assessor-1", "bekwaam")
    j.judge(attempt, "assessor-2", "professional")
    j.agree(attempt, "bekwaam")
    j.conclude(attempt)
    j.votes(attempt, members)


def fails(j: Journey, members: tuple[str, ...] = ("committee-1", "committee-2")) -> int:
    j.to_green_light()
    attempt = _high_stake(j)
    failing = {code: "bekwaam" for code in j.outcomes} | {j.outcomes[2]: "vakkundig"}
    j.judge(attempt, "assessor-1", failing, Verdict.FAIL)
    j.judge(attempt, "assessor-2", failing, Verdict.FAIL)
    j.conclude(attempt)
    j.votes(attempt, members)
    j.development_plan(attempt)
    return attempt


def resit_passes(j: Journey) -> None:
    fails(j)
    second = _high_stake(j, ("assessor-2", "assessor-3"))
    j.judge(second, "assessor-2", "bekwaam")
    j.judge(second, "assessor-3", "bekwaam")
    j.conclude(second, "assessor-2")
    j.votes(second, ("committee-2", "committee-3"))


def referred_then_ratified(j: Journey) -> None:
    j.to_green_light()
    attempt = _high_stake(j)
    j.judge(attempt, "assessor-1", "bekwaam")
    j.judge(attempt, "assessor-2", "bekwaam")
    j.conclude(attempt)
    j.votes(attempt, ("committee-1", "committee-2"), Vote.REFER_BACK)
    j.conclude(attempt)
    j.votes(attempt, ("committee-1", "committee-3"))


def doubt(j: Journey) -> None:
    j.to_green_light()
    attempt = _high_stake(j)
    j.judge(attempt, "assessor-1", "bekwaam")
    j.judge(attempt, "assessor-2", "bekwaam", Verdict.DOUBT)
    j.interview(attempt)
    j.agree(attempt, "bekwaam")
    j.conclude(attempt)
    j.votes(attempt)


def disagreement(
    j: Journey, passed: bool, members: tuple[str, ...] = ("committee-1", "committee-2")
) -> None:
    j.to_green_light()
    attempt = _high_stake(j, ("assessor-1", "assessor-3"))
    split = {code: "bekwaam" for code in j.outcomes} | {j.outcomes[0]: "vakkundig"}
    j.judge(attempt, "assessor-1", "bekwaam")
    j.judge(attempt, "assessor-3", split)
    j.interview(attempt, "assessor-3")
    j.agree(attempt, "bekwaam" if passed else split, "assessor-3")
    j.conclude(attempt, "assessor-3")
    j.votes(attempt, members)


def early(j: Journey, grant: bool) -> None:
    j.start()
    j.evidence_for_all()
    for code in j.outcomes:
        j.feedback(FeedbackSource.SELF, j.student.person_id, [code])
        j.feedback(FeedbackSource.COACH, j.coach.person_id, [code])
    j.medium_stake("vakkundig")
    j.run(j.on(c.RequestEarlyHighStake, motivation="Alles is al vakkundig"), j.student)
    j.run(j.on(c.DecideEarlyHighStake, grant=grant, rationale="Portfolio besproken"), j.coach)
    if not grant:
        return
    attempt = _high_stake(j)
    j.judge(attempt, "assessor-1", "bekwaam")
    j.judge(attempt, "assessor-2", "bekwaam")
    j.conclude(attempt)
    j.votes(attempt)


def self_feedback_only(
    j: Journey, members: tuple[str, ...] = ("committee-1", "committee-2")
) -> int:
    """A pass whose outcomes had feedback from one person only: a borging exception."""
    j.start()
    j.evidence_for_all()
    for code in j.outcomes:
        j.feedback(FeedbackSource.SELF, j.student.person_id, [code])
    j.medium_stake("vakkundig")
    j.medium_stake("bekwaam")
    j.green_light()
    attempt = _high_stake(j)
    j.judge(attempt, "assessor-1", "bekwaam")
    j.judge(attempt, "assessor-2", "bekwaam")
    j.conclude(attempt)
    j.votes(attempt, members)
    return attempt


def coach_assesses(j: Journey) -> None:
    j.to_green_light()
    attempt = _high_stake(j, ("coach-1", "assessor-2"))
    j.judge(attempt, "coach-1", "bekwaam")
    j.judge(attempt, "assessor-2", "bekwaam")
    j.conclude(attempt, "coach-1")
    j.votes(attempt)


def correct_own_evidence(j: Journey) -> None:
    """The student corrects the first evidence item they submitted (version 2)."""
    j.run(
        j.on(
            c.RecordCorrection,
            corrects_version=2,
            reason=REASON_EVIDENCE,
            details={"outcomes": [j.outcomes[1]]},
        ),
        j.student,
    )


def build(app: Bewijsketen, days: tuple[date, date] | None = None) -> Dataset:
    started = datetime.now(UTC)
    first, second = days or (None, None)
    staff_a = Staff(committee=list(A_COMMITTEE))
    program_a = setup_program(app, code="SD-AI", staff=staff_a, occurred_on=first)
    app.execute(
        c.RegisterStaff(
            program_id=program_a, person_id="coach-1", role=StaffRole.ASSESSOR, occurred_on=first
        ),
        ADMIN,
    )
    program_b = setup_program(
        app, code="ZORG", staff=Staff(committee=list(B_COMMITTEE)), occurred_on=first
    )
    data = Dataset(program_a, program_b, started, first_day=first, second_day=second)

    journeys: dict[str, Journey] = {}
    half = [first]

    def journey(program: uuid.UUID, student: str, cohort: str) -> Journey:
        j = journeys[student] = Journey(app, program, student, cohort=cohort)
        if half[0] is not None:
            j.at(half[0])
        return j

    # ---- the first half: cohort 2026-A of SD-AI
    plays = [
        ("stud-01", passes),
        ("stud-02", resit_passes),
        ("stud-03", fails),
        ("stud-04", referred_then_ratified),
        ("stud-05", doubt),
        ("stud-06", lambda j: disagreement(j, passed=False)),
        ("stud-07", lambda j: early(j, grant=True)),
    ]
    for student, play in plays:
        j = journey(program_a, student, "2026-A")
        play(j)
        data.trajectories[student] = j.id
    # stud-03 corrects an evidence item; after stud-01's pass the committee corrects it.
    correct_own_evidence(journeys["stud-03"])
    appeal = c.RecordCorrection(
        trajectory_id=data.trajectories["stud-01"],
        corrects_version=3,
        reason=REASON_APPEAL,
        details={},
        occurred_on=first,
    )
    app.execute(appeal, member("committee-2"))
    data.middle = datetime.now(UTC)
    half[0] = second
    # Journeys of the first half that act again in the second do so on its day.
    for j in journeys.values():
        if second is not None:
            j.at(second)

    # ---- the second half: the committee of SD-AI changes, cohort 2026-B, and ZORG
    app.execute(
        c.DeregisterStaff(
            program_id=program_a,
            person_id="committee-3",
            role=StaffRole.COMMITTEE,
            occurred_on=second,
        ),
        ADMIN,
    )
    app.execute(
        c.RegisterStaff(
            program_id=program_a,
            person_id="committee-4",
            role=StaffRole.COMMITTEE,
            occurred_on=second,
        ),
        ADMIN,
    )
    j = journey(program_a, "stud-08", "2026-B")
    early(j, grant=False)
    data.trajectories["stud-08"] = j.id
    j = journey(program_a, "stud-09", "2026-B")
    attempt = self_feedback_only(j, ("committee-1", "committee-4"))
    data.trajectories["stud-09"] = j.id
    follow_up = c.RecordBorgingFollowUp(
        trajectory_id=j.id,
        attempt=attempt,
        item="feedback_givers",
        action=FOLLOW_UP,
        occurred_on=second,
    )
    app.execute(follow_up, member("committee-1"))
    j = journey(program_a, "stud-10", "2026-B")
    coach_assesses(j)
    data.trajectories["stud-10"] = j.id
    correct_own_evidence(journeys["stud-08"])

    b_members = ("committee-5", "committee-6")
    for student, play in (
        ("stud-11", lambda j: passes(j, b_members)),
        ("stud-12", lambda j: disagreement(j, passed=True, members=b_members)),
        ("stud-13", lambda j: self_feedback_only(j, b_members)),
        ("stud-14", lambda j: fails(j, ("committee-6", "committee-7"))),
    ):
        j = journey(program_b, student, "2026-Z")
        play(j)
        data.trajectories[student] = j.id
    correct_own_evidence(journeys["stud-14"])
    # Still open at the end: a conclusion awaiting the committee, and a doubt awaiting its CGI.
    j = journey(program_b, "stud-15", "2026-Z")
    j.to_green_light()
    attempt = _high_stake(j)
    j.judge(attempt, "assessor-1", "bekwaam")
    j.judge(attempt, "assessor-2", "bekwaam")
    j.conclude(attempt)
    data.trajectories["stud-15"] = j.id
    j = journey(program_b, "stud-16", "2026-Z")
    j.to_green_light()
    attempt = _high_stake(j)
    j.judge(attempt, "assessor-1", "bekwaam")
    j.judge(attempt, "assessor-2", "bekwaam", Verdict.DOUBT)
    data.trajectories["stud-16"] = j.id
    data.ended = datetime.now(UTC)
    return data
