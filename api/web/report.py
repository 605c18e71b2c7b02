"""Jaarverslag: the exam committee's annual report as a page of the site, for a year and one
program (or every program the reader may read), with the PDF and the CSV file to download.

The page and its downloads are what `GET /reports/annual` answers: the same route function,
so the same readers (`domain.policy.READS["annual_report"]`) and the same figures. The page
shows the report's own Dutch rendering (projections/reports/render.py) inside the site's
layout; whoever may not read the report gets the one 404 page, as for a page that does not
exist.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request, Response

from api.problems import Problem
from api.routers.reports import REPORT
from api.routers.reports import annual as annual_route
from api.web.context import Hidden, Visit, page, visitor
from domain import policy
from domain.program import Program
from projections.reports.figures import AnnualReport
from projections.reports.output import select_programs
from projections.reports.period import AMSTERDAM, FIRST_YEAR, LAST_YEAR
from projections.reports.render import ALL, render_html, title

router = APIRouter()

YearText = Annotated[str | None, Query(alias="jaar", max_length=8)]
ProgramCode = Annotated[str | None, Query(alias="programma", max_length=40)]

# The report's page without its document frame and its heading (the site gives both).
BODY = re.compile(r"<body>\s*<h1>.*?</h1>(?P<sections>.*)</body>", re.DOTALL)
SAFE_NAME = re.compile(r"[^A-Za-z0-9_-]")


def _reader(request: Request) -> Visit:
    visit = visitor(request)
    if not visit.may(REPORT.name):
        raise Hidden()
    return visit


def readable_programs(visit: Visit) -> list[Program]:
    """The programs this reader may read the report of, in code order."""
    directory = visit.state.application.directory
    scope = policy.row_scope(visit.actor, REPORT, directory)
    return [
        p
        for p in select_programs(directory.programs(), None)
        if scope.everything or p.id in scope.programs
    ]


def _year(text: str | None) -> int | None:
    """The year asked for (the current Dutch year when none is); None when it is not one."""
    if not text:
        return datetime.now(AMSTERDAM).year
    if not text.isdigit():
        return None
    year = int(text)
    return year if FIRST_YEAR <= year <= LAST_YEAR else None


def _answer(visit: Visit, year: int, program: str | None, form: str) -> Response:
    """The API's answer for this reader; a program they may not read is not there for them."""
    try:
        return annual_route(
            visit.actor,
            visit.state,
            year=year,
            first=None,
            last=None,
            program=[program] if program else None,
            format=form,  # type: ignore[arg-type]
            min_position=None,
        )
    except Problem as exc:
        if exc.status == 403:
            raise Hidden() from None
        raise


def sections(report: AnnualReport) -> str:
    """The report's sections as its own renderer writes them (escaped there, by its autoescaping
    environment), for the page to put in as they are."""
    found = BODY.search(render_html(report))
    if found is None:
        raise RuntimeError("the annual report's page lost its <body> or <h1>")
    return found.group("sections")


@router.get("/jaarverslag")
@page
def report_page(request: Request, year: YearText = None, program: ProgramCode = None) -> Response:
    visit = _reader(request)
    chosen = _year(year)
    shown: dict[str, Any] = {
        "programs": readable_programs(visit),
        "program": program or "",
        "year": str(chosen) if chosen else year or "",
        "first_year": FIRST_YEAR,
        "last_year": LAST_YEAR,
        "all_programs": ALL,
        "report": None,
    }
    if chosen is None:
        return visit.show("report.html", 422, **shown)
    answer = _answer(visit, chosen, program, "json")
    report = AnnualReport.model_validate_json(bytes(answer.body))
    query = urlencode({"jaar": chosen, **({"programma": program} if program else {})})
    return visit.show(
        "report.html",
        **shown
        | {"report": report, "title": title(report), "sections": sections(report), "query": query},
    )


def _download(visit: Visit, year: str | None, program: str | None, form: str) -> Response:
    chosen = _year(year)
    if chosen is None:
        raise Hidden()
    answer = _answer(visit, chosen, program, form)
    suffix = f"-{SAFE_NAME.sub('_', program)}" if program else ""
    name = f"jaarverslag-{chosen}{suffix}.{form}"
    return Response(
        answer.body,
        media_type=answer.media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
            "X-Projection-Position": answer.headers["X-Projection-Position"],
        },
    )


@router.get("/jaarverslag.pdf")
@page
def report_pdf(request: Request, year: YearText = None, program: ProgramCode = None) -> Response:
    return _download(_reader(request), year, program, "pdf")


@router.get("/jaarverslag.csv")
@page
def report_csv(request: Request, year: YearText = None, program: ProgramCode = None) -> Response:
    return _download(_reader(request), year, program, "csv")
