"""Read model 2: the cohort overview, for team dashboards of coaches and mentors.

Per program version and cohort: students by phase and traffic light (a summed table), one row
per student with what the dashboard filters on (at risk, ready for the high-stake, upcoming
medium-stake), and the assessor assignments that make up the assessors' workload.

"No activity for N days" depends on the day it is asked, so the rows keep the latest day
something took place (the day an event says, for a meeting recorded later, or else the day it
was recorded) and the query compares it with N (the tables stay a pure function of the log).
"""

from __future__ import annotations

from typing import Any

from domain.program import ProgramDefinition
from domain.values import Decision
from projections.engine import Contributions, ReadModel, Row, Rows
from projections.schema import Column, Table
from projections.state import TrajectoryState

NO_LIGHT = "none"
READY_STEPS = frozenset({"high_stake_request", "high_stake_resit"})

MEMBERS = Table(
    "cohort_members",
    "rows",
    (
        Column("trajectory_id", "uuid"),
        Column("program_id", "uuid"),
        Column("program_version", "int"),
        Column("cohort", "text"),
        Column("student_id", "text"),
        Column("coach_id", "text"),
        Column("mentor_id", "text"),
        Column("phase", "text"),
        Column("light", "text", doc="latest traffic light, or 'none' before the first check"),
        Column("last_activity_at", "time", doc="time of the trajectory's latest event"),
        Column(
            "last_occurred_on",
            "date",
            doc='the latest day something took place on the trajectory; "no activity for N '
            'days" counts from it',
        ),
        Column("next_step", "text"),
        Column(
            "ready_for_high_stake",
            "bool",
            doc="the next step is the high-stake request (or resit) and nothing is missing",
        ),
        Column(
            "upcoming",
            "text",
            doc="medium_stake_1, medium_stake_2 (the next step), high_stake (an attempt is "
            "open) or null",
        ),
        Column("open_attempt", "int", doc="number of the open high-stake attempt, or null"),
    ),
    key=("trajectory_id",),
    indexes=(
        ("program_id", "program_version", "cohort", "student_id"),
        ("coach_id", "trajectory_id"),
        ("mentor_id", "trajectory_id"),
    ),
    doc="one row per trajectory",
)

COUNTS = Table(
    "cohort_counts",
    "aggregate",
    (
        Column("program_id", "uuid"),
        Column("program_version", "int"),
        Column("cohort", "text"),
        Column("phase", "text"),
        Column("light", "text", doc="latest traffic light or 'none'"),
        Column("students", "int", doc="number of trajectories with this phase and light"),
    ),
    key=("program_id", "program_version", "cohort", "phase", "light"),
    values=("students",),
    doc="students per program version, cohort, phase and traffic light",
)

ASSIGNMENTS = Table(
    "cohort_assignments",
    "rows",
    (
        Column("trajectory_id", "uuid"),
        Column("attempt", "int"),
        Column("assessor_id", "text"),
        Column("program_id", "uuid"),
        Column("program_version", "int"),
        Column("cohort", "text"),
        Column("student_id", "text"),
        Column(
            "status",
            "text",
            doc="to_judge (no judgment yet), judged (attempt still open) or decided",
        ),
        Column("assigned_at", "time"),
        Column("assigned_on", "date"),
    ),
    key=("trajectory_id", "attempt", "assessor_id"),
    indexes=(("assessor_id", "status"), ("program_id", "program_version", "cohort", "student_id")),
    doc="one row per assessor assigned to a high-stake attempt",
)


WORKLOAD_VALUES = (
    Column("to_judge", "int", doc="assigned attempts the assessor has not judged yet"),
    Column("judged", "int", doc="judged attempts that are still open (CGI, conclusion, votes)"),
)

COHORT_WORKLOAD = Table(
    "cohort_workload",
    "aggregate",
    (
        Column("program_id", "uuid"),
        Column("program_version", "int"),
        Column("cohort", "text"),
        Column("assessor_id", "text"),
        *WORKLOAD_VALUES,
    ),
    key=("program_id", "program_version", "cohort", "assessor_id"),
    values=("to_judge", "judged"),
    doc="open high-stake assignments per cohort and assessor",
)

ASSESSOR_WORKLOAD = Table(
    "assessor_workload",
    "aggregate",
    (Column("program_id", "uuid"), Column("assessor_id", "text"), *WORKLOAD_VALUES),
    key=("program_id", "assessor_id"),
    values=("to_judge", "judged"),
    indexes=(("assessor_id",),),
    doc="open high-stake assignments per program and assessor (the workload per person)",
)


class Cohorts(ReadModel):
    name = "cohorts"
    tables = (MEMBERS, COUNTS, ASSIGNMENTS, COHORT_WORKLOAD, ASSESSOR_WORKLOAD)

    def rows(self, state: TrajectoryState, definition: ProgramDefinition) -> Rows:
        step = state.next_step(definition)
        phase = state.phase().value
        attempt = state.open_attempt
        if step.step.startswith("medium_stake_"):
            upcoming: str | None = step.step.split(" ")[0]
        elif attempt is not None:
            upcoming = "high_stake"
        else:
            upcoming = None
        member: Row = (
            state.trajectory_id,
            state.program_id,
            state.program_version,
            state.cohort,
            state.student_id,
            state.coach_id,
            state.mentor_id,
            phase,
            state.latest_light or NO_LIGHT,
            state.last_activity,
            state.last_occurred_on,
            step.step,
            step.step in READY_STEPS and not step.missing,
            upcoming,
            attempt.number if attempt is not None else None,
        )
        assignments: list[Row] = []
        for a in state.attempts:
            for assessor in a.assessors:
                if a.decision == Decision.RATIFIED.value:
                    status = "decided"
                elif assessor in a.judgments:
                    status = "judged"
                else:
                    status = "to_judge"
                assignments.append(
                    (
                        state.trajectory_id,
                        a.number,
                        assessor,
                        state.program_id,
                        state.program_version,
                        state.cohort,
                        state.student_id,
                        status,
                        a.assigned_at,
                        a.assigned_on,
                    )
                )
        return {MEMBERS.name: [member], ASSIGNMENTS.name: assignments}

    def contributions(self, state: TrajectoryState, definition: ProgramDefinition) -> Contributions:
        key = (
            state.program_id,
            state.program_version,
            state.cohort,
            state.phase().value,
            state.latest_light or NO_LIGHT,
        )
        cohort_workload: dict[tuple[Any, ...], tuple[int, ...]] = {}
        assessor_workload: dict[tuple[Any, ...], tuple[int, ...]] = {}
        for a in state.attempts:
            if a.decision == Decision.RATIFIED.value:
                continue
            for assessor in a.assessors:
                load = (0, 1) if assessor in a.judgments else (1, 0)
                for table, k in (
                    (cohort_workload, (*key[:3], assessor)),
                    (assessor_workload, (state.program_id, assessor)),
                ):
                    before = table.get(k, (0, 0))
                    table[k] = (before[0] + load[0], before[1] + load[1])
        return {
            COUNTS.name: {key: (1,)},
            COHORT_WORKLOAD.name: cohort_workload,
            ASSESSOR_WORKLOAD.name: assessor_workload,
        }
