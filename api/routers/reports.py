"""GET /reports/annual: the exam committee's annual report over a period and its programs.

Who reads it (`domain.policy.READS["annual_report"]`): a committee member, for the programs
whose committee they sit on; the quality officer and the inspector, for every program. The
figures come as JSON (the default), or rendered: `format=html` (the Dutch page), `format=pdf`
(A4, numbered pages) or `format=csv` (one figure per line). A format parameter rather than
content negotiation: a link or a bookmark names the form it wants, and every form is one URL.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Response

from api.deps import StateDep, may_read
from api.problems import Problem, problems
from api.reading import MAX_WAIT, MinPosition, service_of
from domain import policy
from domain.values import Actor
from projections import log
from projections.reports.annual import MODELS, annual_report
from projections.reports.figures import AnnualReport
from projections.reports.output import FORMATS, UnknownProgram, select_programs
from projections.reports.pdf import PdfUnavailable
from projections.reports.period import FIRST_YEAR, LAST_YEAR, Period, PeriodError

router = APIRouter(tags=["reports"])

REPORT = policy.READS["annual_report"]
Reader = Annotated[Actor, Depends(may_read(REPORT))]
ProgramName = Annotated[
    list[str] | None,
    Query(
        description="A program's code or id; repeat for more. Default: every program the caller "
        "may read the report of.",
        max_length=50,
    ),
]
RENDERED: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The report: its figures as JSON, or rendered as asked by `format`.",
        "content": {
            "text/html": {"schema": {"type": "string"}},
            "application/pdf": {"schema": {"type": "string", "format": "binary"}},
            "text/csv": {"schema": {"type": "string"}},
        },
    }
}


def _period(year: int | None, first: date | None, last: date | None) -> Period:
    try:
        if year is not None:
            if first is not None or last is not None:
                raise PeriodError("give either year or from and to")
            return Period.of_year(year)
        if first is not None or last is not None:
            if first is None or last is None:
                raise PeriodError("give both from and to")
            return Period.of_days(first, last)
        return Period.current_year()
    except PeriodError as exc:
        raise Problem(422, "Invalid input", str(exc), kind="invalid-input") from None


@router.get(
    "/reports/annual",
    operation_id="get_annual_report",
    summary="The exam committee's annual report: decisions, assessment, borging, corrections",
    response_model=AnnualReport,
    responses={**RENDERED, **problems(401, 403, 404, 422, 503)},
)
def annual(
    actor: Reader,
    state: StateDep,
    year: Annotated[
        int | None,
        Query(ge=FIRST_YEAR, le=LAST_YEAR, description="The calendar year (Europe/Amsterdam)."),
    ] = None,
    first: Annotated[
        date | None, Query(alias="from", description="First day of the period (with `to`).")
    ] = None,
    last: Annotated[
        date | None, Query(alias="to", description="Last day of the period, included.")
    ] = None,
    program: ProgramName = None,
    format: Annotated[
        Literal["json", "html", "pdf", "csv"], Query(description="The form of the answer.")
    ] = "json",
    min_position: MinPosition = None,
) -> Response:
    """The period is a calendar year (`year`), or `from`/`to` (days, both included); the
    current year when neither is given. Every figure counts what happened in the period (see
    docs/reports.md for how each is counted)."""
    period = _period(year, first, last)
    service = service_of(state)
    app = state.application
    scope = policy.row_scope(actor, REPORT, app.directory)
    try:
        chosen = select_programs(app.directory.programs(), program)
    except UnknownProgram as exc:
        raise policy.not_found("program", exc.name) from None
    readable = [p for p in chosen if scope.everything or p.id in scope.programs]
    if program and len(readable) < len(chosen):
        raise Problem(
            403,
            "Not permitted",
            "A committee member reads the reports of the programs whose committee they sit on.",
            kind="not-permitted",
        )
    positions = [service.store.position(name) or 0 for name in MODELS]
    stale = False
    if min_position is not None and min(positions) < min_position:
        if min_position <= log.head(app):
            wait = min(MAX_WAIT, service.config.read_wait_max)
            positions = [service.wait_for(name, min_position, wait) for name in MODELS]
        stale = min(positions) < min_position
    report = annual_report(service.store, app, readable, period)
    kind = FORMATS[format]
    try:
        body = kind.render(report)
    except PdfUnavailable as exc:
        raise Problem(503, "PDF unavailable", str(exc), kind="unavailable") from None
    headers = {"X-Projection-Position": str(report.position)}
    if stale:
        headers["X-Projection-Stale"] = "true"
    if format != "json":
        name = f"verslag-{period.year or period.first_day.isoformat()}.{format}"
        disposition = "inline" if format in ("html", "pdf") else "attachment"
        headers["Content-Disposition"] = f'{disposition}; filename="{name}"'
    return Response(body, media_type=kind.media_type, headers=headers)
