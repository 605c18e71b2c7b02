"""Read model 1: trajectory progress, for the student, coach and mentor apps.

Per trajectory: its phase, the next step and what is missing before it (computed by
`domain.rules.next_step` from the stored `ProgressFacts`), green light and early route; per
outcome the latest level, evidence and feedback counts; and the traffic-light history.
"""

from __future__ import annotations

from dataclasses import fields
from enum import Enum
from typing import Any

from domain import rules
from domain.program import ProgramDefinition
from domain.values import Decision, FeedbackSource
from projections import codec, sealed
from projections.engine import ReadModel, Row, Rows
from projections.schema import Column, Table
from projections.state import TrajectoryState

SOURCES = tuple(s.value for s in FeedbackSource)

TRAJECTORIES = Table(
    "progress_trajectories",
    "rows",
    (
        Column("trajectory_id", "uuid", doc="the trajectory"),
        Column("program_id", "uuid", doc="the program"),
        Column("program_version", "int", doc="the program version it runs under (R3)"),
        Column("cohort", "text"),
        Column("student_id", "text"),
        Column("coach_id", "text", doc="the current coach"),
        Column("mentor_id", "text", doc="the current mentor (SLB)"),
        Column(
            "phase", "text", doc="orientation, low_stakes, medium_stakes, high_stake, resit, closed"
        ),
        Column("latest_light", "text", doc="the latest traffic light (green, orange, red) or null"),
        Column("green_light", "text", doc="given, withheld or null"),
        Column(
            "green_light_note",
            "sealed",
            doc="the rationale, or the advice when withheld (sealed, opened when read)",
        ),
        Column("green_light_at", "time"),
        Column("green_light_on", "date"),
        Column("early_route", "text", doc="requested, granted, refused or null (R8)"),
        Column("medium_stakes_held", "int"),
        Column("attempts", "int", doc="high-stake attempts requested"),
        Column("evidence_items", "int", doc="evidence items not withdrawn"),
        Column("feedback_items", "int"),
        Column("corrections", "int", doc="correction events recorded (R2)"),
        Column("next_step", "text", doc="the next step, from domain.rules.next_step"),
        Column("missing", "json", doc="what blocks the next step, each naming its rule"),
        Column("facts", "json", doc="the ProgressFacts the next step was computed from"),
        Column("closed", "bool"),
        Column("version", "int", doc="the trajectory's version these rows reflect"),
        Column("started_at", "time"),
        Column("started_on", "date"),
        Column("last_activity_at", "time", doc="time of the trajectory's latest event"),
        Column("last_occurred_on", "date"),
    ),
    key=("trajectory_id",),
    indexes=(
        ("student_id",),
        ("coach_id", "trajectory_id"),
        ("mentor_id", "trajectory_id"),
        ("program_id", "program_version", "cohort", "trajectory_id"),
    ),
    doc="one row per trajectory",
)

OUTCOMES = Table(
    "progress_outcomes",
    "rows",
    (
        Column("trajectory_id", "uuid"),
        Column("outcome", "text", doc="learning outcome code"),
        Column("ordinal", "int", doc="position of the outcome in the program version"),
        Column("title", "text"),
        Column("latest_level", "text", doc="the most recent level set for this outcome"),
        Column(
            "level_source",
            "text",
            doc="where it was set: baseline, medium_stake_N or high_stake_N (a conclusion)",
        ),
        Column("baseline_level", "text", doc="the 0-meting, if any"),
        Column("evidence_count", "int", doc="evidence items for this outcome, not withdrawn"),
        Column("feedback_givers", "int", doc="distinct people who gave feedback on it"),
        *(Column(f"feedback_{s}", "int", doc=f"feedback items from source {s}") for s in SOURCES),
    ),
    key=("trajectory_id", "outcome"),
    doc="one row per trajectory and learning outcome",
)

LIGHTS = Table(
    "progress_lights",
    "rows",
    (
        Column("trajectory_id", "uuid"),
        Column("seq", "int", doc="1 for the first progress check"),
        Column("light", "text", doc="green, orange or red"),
        Column("checked_by", "text"),
        Column("checked_at", "time"),
        Column("checked_on", "date"),
    ),
    key=("trajectory_id", "seq"),
    doc="the traffic-light history: one row per progress check",
)


ASSESSORS = Table(
    "progress_assessors",
    "rows",
    (
        Column("trajectory_id", "uuid"),
        Column("assessor_id", "text", doc="an assessor assigned to one of its attempts"),
    ),
    key=("trajectory_id", "assessor_id"),
    indexes=(("assessor_id", "trajectory_id"),),
    doc="who assesses which trajectory: the assessors may read its progress",
)


def latest_levels(state: TrajectoryState) -> dict[str, tuple[str, str]]:
    """Per outcome, the most recent level and where it was set."""
    found: dict[str, tuple[str, str]] = {
        code: (level, "baseline") for code, level in state.baseline.items()
    }
    if state.medium_stakes:
        source = f"medium_stake_{state.medium_stakes}"
        found.update({code: (level, source) for code, level in state.latest_levels.items()})
    for attempt in state.attempts:
        conclusion = attempt.conclusion
        referred = (
            attempt.committee is not None
            and attempt.committee["outcome"] == Decision.REFERRED_BACK.value
        )
        if conclusion is not None and not referred:
            source = f"high_stake_{attempt.number}"
            found.update({code: (level, source) for code, level in conclusion["levels"].items()})
    return found


FACT_FIELDS = tuple(f.name for f in fields(rules.ProgressFacts))


def facts_dict(facts: rules.ProgressFacts) -> dict[str, Any]:
    # dataclasses.asdict deep-copies recursively, which costs more than the rest of the row.
    out = {name: getattr(facts, name) for name in FACT_FIELDS}
    for name, value in out.items():
        if isinstance(value, Enum):
            out[name] = value.value
    out["evidence_per_outcome"] = dict(facts.evidence_per_outcome)
    out["latest_levels"] = dict(facts.latest_levels)
    return out


class Progress(ReadModel):
    name = "progress"
    tables = (TRAJECTORIES, OUTCOMES, LIGHTS, ASSESSORS)

    def rows(self, state: TrajectoryState, definition: ProgramDefinition) -> Rows:
        facts, step = state.progress(definition)
        tid = state.trajectory_id
        trajectory: Row = (
            tid,
            state.program_id,
            state.program_version,
            state.cohort,
            state.student_id,
            state.coach_id,
            state.mentor_id,
            state.phase().value,
            state.latest_light,
            state.green_light,
            sealed.dumps(state.green_light_note),
            state.green_light_at,
            state.green_light_on,
            state.early_route,
            state.medium_stakes,
            len(state.attempts),
            sum(1 for item in state.evidence.values() if not item[3]),
            state.feedback_count,
            state.corrections,
            step.step,
            codec.dumps(list(step.missing)),
            codec.dumps(facts_dict(facts), sort_keys=True),
            state.closed,
            state.version,
            state.started_at,
            state.started_on,
            state.last_activity,
            state.last_occurred_on,
        )
        levels = latest_levels(state)
        evidence = facts.evidence_per_outcome
        outcomes: list[Row] = []
        for ordinal, outcome in enumerate(definition.outcomes, start=1):
            code = outcome.code
            level, source = levels.get(code, (None, None))
            sources = state.sources.get(code, {})
            outcomes.append(
                (
                    tid,
                    code,
                    ordinal,
                    outcome.title,
                    level,
                    source,
                    state.baseline.get(code),
                    evidence.get(code, 0),
                    len(state.givers.get(code, ())),
                    *(sources.get(s, 0) for s in SOURCES),
                )
            )
        lights: list[Row] = [
            (tid, seq, light, by, at, on)
            for seq, (light, by, at, on) in enumerate(state.lights, start=1)
        ]
        assessors: list[Row] = [
            (tid, a) for a in sorted({a for attempt in state.attempts for a in attempt.assessors})
        ]
        return {
            TRAJECTORIES.name: [trajectory],
            OUTCOMES.name: outcomes,
            LIGHTS.name: lights,
            ASSESSORS.name: assessors,
        }
