"""GET endpoints of the four read models, with filters and pages.

Paging, read-your-writes (`min_position`) and the filter to the rows a caller may see are
shared with the other lists (api/reading.py); who reads which rows is declared in
`domain.policy.READS` (docs/read-models.md and docs/authorization.md have the tables).
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from typing import Annotated, Any, Literal, get_args

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, BeforeValidator, Field

from api.deps import StateDep, may_read
from api.problems import Problem, problems
from api.reading import (
    ASSESSOR_ROWS,
    MAX_WAIT,
    MEMBER_PEOPLE,
    PAIR_ROWS,
    PROGRAM_ROWS,
    PROGRESS_PEOPLE,
    IdText,
    Limit,
    Offset,
    PhaseName,
    Reading,
    page_model,
    reading,
    row_model,
    scoped,
    service_of,
)
from api.schemas.common import MAX_INT
from domain import policy
from domain.commands import BorgingItem
from domain.values import Actor
from projections import log
from projections.models.borging import CHECKS, EXCEPTIONS, ITEMS
from projections.models.calibration import ASSESSORS, PAIRS
from projections.models.cohorts import MEMBERS
from projections.models.progress import LIGHTS, OUTCOMES, TRAJECTORIES

router = APIRouter(prefix="/read-models", tags=["read models"])

ProgressRow = row_model(TRAJECTORIES, "ProgressRow")
OutcomeRow = row_model(OUTCOMES, "ProgressOutcomeRow")
LightRow = row_model(LIGHTS, "ProgressLightRow")
MemberRow = row_model(
    MEMBERS,
    "CohortMemberRow",
    at_risk=(bool, Field(description="Red or orange light, or no activity for inactive_days.")),
    at_risk_reasons=(list[str], Field(description="Why the student is at risk.")),
)
CalibrationAssessorRow = row_model(ASSESSORS, "CalibrationAssessorRow")
CalibrationPairRow = row_model(PAIRS, "CalibrationPairRow")
BorgingRow = row_model(CHECKS, "BorgingCheckRow")
ExceptionRow = row_model(EXCEPTIONS, "BorgingExceptionRow")


class PhaseLightCount(BaseModel):
    phase: str
    light: str = Field(description="green, orange, red or none")
    students: int


class CohortSummary(BaseModel):
    program_id: uuid.UUID
    program_version: int
    cohort: str
    students: int = Field(description="Trajectories in this program version and cohort.")
    by_phase: dict[str, int]
    by_light: dict[str, int] = Field(description="By latest traffic light ('none': no check yet).")
    by_phase_and_light: list[PhaseLightCount]
    at_risk: int = Field(
        description="Not closed, and red or orange, or inactive for inactive_days."
    )
    ready_for_high_stake: int = Field(description="May request the high-stake; nothing missing.")
    upcoming: dict[str, int] = Field(
        description="Workload: next medium-stakes (medium_stake_1, medium_stake_2) and open "
        "high-stakes (high_stake)."
    )


class AssessorWorkload(BaseModel):
    assessor_id: str
    to_judge: int = Field(description="Assigned attempts the assessor has not judged yet.")
    judged: int = Field(description="Judged attempts that are still open (CGI, conclusion, vote).")
    open: int = Field(description="to_judge + judged.")


class ProgressDetail(BaseModel):
    position: int
    stale: bool
    trajectory: ProgressRow  # type: ignore[valid-type]
    outcomes: list[OutcomeRow]  # type: ignore[valid-type]
    lights: list[LightRow]  # type: ignore[valid-type]


ProgressPage = page_model(ProgressRow, "ProgressPage")
CohortPage = page_model(CohortSummary, "CohortPage")
MemberPage = page_model(MemberRow, "CohortMemberPage")
WorkloadPage = page_model(AssessorWorkload, "WorkloadPage")
CalibrationAssessorPage = page_model(CalibrationAssessorRow, "CalibrationAssessorPage")
CalibrationPairPage = page_model(CalibrationPairRow, "CalibrationPairPage")
BorgingPage = page_model(BorgingRow, "BorgingCheckPage")
ExceptionPage = page_model(ExceptionRow, "BorgingExceptionPage")

# ---- parameters

ProgramVersion = Annotated[int | None, Query(ge=1, le=MAX_INT)]
ProgramId = Annotated[uuid.UUID | None, Query(description="The program.")]
NUMBER = re.compile(r"\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*")


def _iso_only(value: Any) -> Any:
    """pydantic would read a bare number as seconds since 1970; the schema promises ISO 8601."""
    if isinstance(value, str) and NUMBER.fullmatch(value):
        raise ValueError("expected an ISO 8601 date-time, not a number")
    return value


Since = Annotated[
    datetime | None,
    BeforeValidator(_iso_only),
    Query(alias="from", description="Concluded at or after (ISO 8601)."),
]
Until = Annotated[
    datetime | None,
    BeforeValidator(_iso_only),
    Query(alias="to", description="Concluded before (ISO 8601)."),
]
InactiveDays = Annotated[
    int, Query(ge=1, le=3650, description="No activity for this many days counts as at risk.")
]
LightName = Literal["green", "orange", "red", "none"]
Decision = Literal["pending", "ratified", "referred_back"]
ItemName = BorgingItem
# The literals above are spelled out for the OpenAPI document; they must match the domain's.
assert list(get_args(ItemName)) == list(ITEMS)


def moment(value: datetime | None, name: str) -> datetime | None:
    """A filter time in UTC; a time without zone is taken as UTC."""
    if value is None:
        return None
    try:
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    except (OverflowError, ValueError):
        raise Problem(
            422, "Validation failed", f"{name} is out of range", kind="validation"
        ) from None


# ---- consistency (read-your-writes) and access


ProgressReader = Annotated[Actor, Depends(may_read(policy.READS["progress"]))]
CohortReader = Annotated[Actor, Depends(may_read(policy.READS["cohorts"]))]
MemberReader = Annotated[Actor, Depends(may_read(policy.READS["cohort_members"]))]
WorkloadReader = Annotated[Actor, Depends(may_read(policy.READS["workload"]))]
CalibrationReader = Annotated[Actor, Depends(may_read(policy.READS["calibration"]))]
BorgingReader = Annotated[Actor, Depends(may_read(policy.READS["borging"]))]

ProgressReading = Annotated[Reading, Depends(reading("progress"))]
CohortReading = Annotated[Reading, Depends(reading("cohorts"))]
CalibrationReading = Annotated[Reading, Depends(reading("calibration"))]
BorgingReading = Annotated[Reading, Depends(reading("borging"))]

READ_PROBLEMS = problems(401, 403, 422)

# ---- progress


@router.get(
    "/progress",
    response_model=ProgressPage,
    summary="Trajectory progress: phase, next step and what is missing",
    responses=READ_PROBLEMS,
)
def list_progress(
    actor: ProgressReader,
    read: ProgressReading,
    program_id: ProgramId = None,
    program_version: ProgramVersion = None,
    cohort: IdText = None,
    student_id: IdText = None,
    coach_id: IdText = None,
    mentor_id: IdText = None,
    phase: Annotated[PhaseName | None, Query()] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> dict[str, Any]:
    """One row per trajectory, ordered by trajectory id: only the trajectories the caller may
    read (a student their own, a coach or mentor those they coach or mentor, an assessor those
    they assess, a committee member those of the committee's programs)."""
    where = scoped(read, actor, "progress", PROGRESS_PEOPLE)
    for column, value in (
        ("program_id", program_id),
        ("program_version", program_version),
        ("cohort", cohort),
        ("student_id", student_id),
        ("coach_id", coach_id),
        ("mentor_id", mentor_id),
        ("phase", phase),
    ):
        where.eq(column, value)
    return read.page(read.queries.progress(where, limit, offset))


@router.get(
    "/progress/{trajectory_id}",
    response_model=ProgressDetail,
    summary="One trajectory's progress, per outcome, with its traffic-light history",
    responses=problems(401, 403, 404, 422),
)
def get_progress(
    trajectory_id: uuid.UUID,
    actor: ProgressReader,
    read: ProgressReading,
    state: StateDep,
) -> dict[str, Any]:
    """404 when the trajectory does not exist or is not the reader's (a student's own, a
    coach's or mentor's own). A trajectory the read model has not reached yet is waited for
    (bounded), so a 404 means it did not exist when the request came in."""
    where = scoped(read, actor, "progress", PROGRESS_PEOPLE).eq("trajectory_id", trajectory_id)
    found = read.queries.progress_of(trajectory_id, where)
    position, stale = read.position, read.stale
    if found is None:
        service = service_of(state)
        head = log.head(service.app)
        if position < head:
            position = service.wait_for(
                "progress", head, min(MAX_WAIT, service.config.read_wait_max)
            )
            found = read.queries.progress_of(trajectory_id, where)
    if found is None:
        raise policy.not_found("trajectory", trajectory_id)
    return {"position": position, "stale": stale, **found}


# ---- cohorts


@router.get(
    "/cohorts",
    response_model=CohortPage,
    summary="Cohort overview: counts by phase and light, at risk, ready, upcoming stakes",
    responses=READ_PROBLEMS,
)
def list_cohorts(
    actor: CohortReader,
    read: CohortReading,
    program_id: ProgramId = None,
    program_version: ProgramVersion = None,
    cohort: IdText = None,
    inactive_days: InactiveDays = 14,
    limit: Annotated[int, Query(ge=1, le=100, description="Page size (at most 100).")] = 50,
    offset: Offset = 0,
) -> dict[str, Any]:
    """One summary per program version and cohort, ordered by program, version and cohort:
    those of the programs the caller works for."""
    where = scoped(read, actor, "cohorts", PROGRAM_ROWS)
    where.eq("program_id", program_id).eq("program_version", program_version).eq("cohort", cohort)
    return read.page(read.queries.cohorts(where, limit, offset, inactive_days))


@router.get(
    "/cohort-members",
    response_model=MemberPage,
    summary="Students of cohorts: who is at risk, ready for the high-stake, or up next",
    responses=READ_PROBLEMS,
)
def list_cohort_members(
    actor: MemberReader,
    read: CohortReading,
    program_id: ProgramId = None,
    program_version: ProgramVersion = None,
    cohort: IdText = None,
    coach_id: IdText = None,
    mentor_id: IdText = None,
    phase: Annotated[PhaseName | None, Query()] = None,
    light: Annotated[LightName | None, Query()] = None,
    at_risk: Annotated[bool | None, Query(description="Only (or no) students at risk.")] = None,
    ready: Annotated[bool | None, Query(description="Ready for the high-stake.")] = None,
    upcoming: Annotated[
        Literal["medium_stake_1", "medium_stake_2", "high_stake"] | None, Query()
    ] = None,
    inactive_days: InactiveDays = 14,
    limit: Limit = 50,
    offset: Offset = 0,
) -> dict[str, Any]:
    """Ordered by program, version, cohort and student: only the students the caller coaches or
    mentors (the committee: of its programs)."""
    where = scoped(read, actor, "cohort_members", MEMBER_PEOPLE)
    for column, value in (
        ("program_id", program_id),
        ("program_version", program_version),
        ("cohort", cohort),
        ("coach_id", coach_id),
        ("mentor_id", mentor_id),
        ("phase", phase),
        ("light", light),
        ("ready_for_high_stake", ready),
        ("upcoming", upcoming),
    ):
        where.eq(column, value)
    return read.page(read.queries.members(where, limit, offset, inactive_days, at_risk))


@router.get(
    "/workload",
    response_model=WorkloadPage,
    summary="Assessor workload: open high-stake assignments per person",
    responses=READ_PROBLEMS,
)
def assessor_workload(
    actor: WorkloadReader,
    read: CohortReading,
    program_id: ProgramId = None,
    program_version: ProgramVersion = None,
    cohort: IdText = None,
    assessor_id: IdText = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> dict[str, Any]:
    """Per assessor, attempts still to judge and judged ones still open. An assessor sees only
    their own row; coaches, mentors and the committee those of their programs."""
    where = scoped(read, actor, "workload", ASSESSOR_ROWS)
    where.eq("program_id", program_id).eq("assessor_id", assessor_id)
    where.eq("program_version", program_version).eq("cohort", cohort)
    by_cohort = program_version is not None or cohort is not None
    return read.page(read.queries.workload(where, by_cohort, limit, offset))


# ---- calibration


@router.get(
    "/calibration/assessors",
    response_model=CalibrationAssessorPage,
    summary="Assessor calibration per assessor: agreement with co-assessors, kappa, CGIs",
    responses=READ_PROBLEMS,
)
def calibration_assessors(
    actor: CalibrationReader,
    read: CalibrationReading,
    program_id: ProgramId = None,
    assessor_id: IdText = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> dict[str, Any]:
    """Per program and assessor. An assessor sees only their own rows; the committee those of
    its programs."""
    where = scoped(read, actor, "calibration", ASSESSOR_ROWS)
    where.eq("program_id", program_id).eq("assessor_id", assessor_id)
    return read.page(read.queries.calibration_assessors(where, limit, offset))


@router.get(
    "/calibration/pairs",
    response_model=CalibrationPairPage,
    summary="Assessor calibration per pair of assessors",
    responses=READ_PROBLEMS,
)
def calibration_pairs(
    actor: CalibrationReader,
    read: CalibrationReading,
    program_id: ProgramId = None,
    assessor_id: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=200,
            pattern=r"^[^\x00-\x1f\x7f]+$",
            description="Pairs this assessor is in.",
        ),
    ] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> dict[str, Any]:
    """Per program and pair (assessor_a < assessor_b). An assessor sees only their own pairs;
    the committee those of its programs."""
    where = scoped(read, actor, "calibration", PAIR_ROWS).eq("program_id", program_id)
    return read.page(read.queries.calibration_pairs(where, assessor_id, limit, offset))


# ---- borging


@router.get(
    "/borging/checks",
    response_model=BorgingPage,
    summary="Borging checklist per concluded high-stake",
    responses=READ_PROBLEMS,
)
def borging_checks(
    actor: BorgingReader,
    read: BorgingReading,
    program_id: ProgramId = None,
    program_version: ProgramVersion = None,
    cohort: IdText = None,
    trajectory_id: Annotated[uuid.UUID | None, Query()] = None,
    since: Since = None,
    until: Until = None,
    all_ok: Annotated[
        bool | None, Query(description="Only checklists with (or without) a false item.")
    ] = None,
    decision: Annotated[Decision | None, Query()] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> dict[str, Any]:
    """Ordered by conclusion time; `from` and `to` bound the conclusion time. The committee sees
    the checklists of its programs."""
    where = scoped(read, actor, "borging", PROGRAM_ROWS)
    for column, value in (
        ("program_id", program_id),
        ("program_version", program_version),
        ("cohort", cohort),
        ("trajectory_id", trajectory_id),
        ("all_ok", all_ok),
        ("decision", decision),
    ):
        where.eq(column, value)
    where.since("concluded_at", moment(since, "from")).before("concluded_at", moment(until, "to"))
    return read.page(read.queries.borging_checks(where, limit, offset))


@router.get(
    "/borging/exceptions",
    response_model=ExceptionPage,
    summary="Borging exceptions to follow up, by program and period",
    responses=READ_PROBLEMS,
)
def borging_exceptions(
    actor: BorgingReader,
    read: BorgingReading,
    program_id: ProgramId = None,
    program_version: ProgramVersion = None,
    cohort: IdText = None,
    item: Annotated[ItemName | None, Query(description="One checklist item.")] = None,
    decision: Annotated[Decision | None, Query()] = None,
    since: Since = None,
    until: Until = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> dict[str, Any]:
    """One row per false checklist item, ordered by conclusion time. The committee sees those of
    its programs."""
    where = scoped(read, actor, "borging", PROGRAM_ROWS)
    for column, value in (
        ("program_id", program_id),
        ("program_version", program_version),
        ("cohort", cohort),
        ("item", item),
        ("decision", decision),
    ):
        where.eq(column, value)
    where.since("concluded_at", moment(since, "from")).before("concluded_at", moment(until, "to"))
    return read.page(read.queries.borging_exceptions(where, limit, offset))
