"""The annual report as a Dutch HTML page: a pure function of the figures, for the command line,
the API and the web application alike (and the PDF, made from this page)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from projections.reports import dutch
from projections.reports.figures import AnnualReport
from projections.reports.period import Period

ENVIRONMENT = Environment(
    loader=FileSystemLoader(Path(__file__).parent),
    autoescape=select_autoescape(("html",), default=True),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
ALL = "alle programma's"
ALL_COHORTS = "alle cohorten"


@dataclass(frozen=True)
class Line:
    program: str
    cohort: str
    f: Any
    total: bool = False


def title(report: AnnualReport) -> str:
    period = report.period
    if period.year is not None:
        return f"Jaarverslag van de examencommissie {period.year}"
    return "Verslag van de examencommissie"


def period_text(report: AnnualReport) -> str:
    p = report.period
    if p.year is not None:
        return dutch.period(Period.of_year(p.year))
    return dutch.period(Period.between(p.start, p.end))


def render_html(report: AnnualReport) -> str:
    codes: dict[uuid.UUID, str] = {p.program_id: p.code for p in report.programs}

    def program(program_id: uuid.UUID) -> str:
        return codes.get(program_id, str(program_id))

    many = len(report.programs) > 1
    decisions = [Line(program(d.program_id), d.cohort, d) for d in report.decisions.by_cohort]
    if many or len(decisions) > 1:
        decisions += [
            Line(program(d.program_id), ALL_COHORTS, d, total=True)
            for d in report.decisions.by_program
        ]
        if many:
            decisions.append(Line(ALL, ALL_COHORTS, report.decisions.totals, total=True))
    assessment = report.assessment
    interviews = [Line(program(a.program_id), "", a.interviews) for a in assessment.by_program]
    independence = [Line(program(a.program_id), "", a.independence) for a in assessment.by_program]
    times = [Line(program(t.program_id), "", t) for t in report.time_to_decision.by_program]
    if many:
        interviews.append(Line(ALL, "", assessment.interviews, total=True))
        independence.append(Line(ALL, "", assessment.independence, total=True))
        times.append(Line(ALL, "", report.time_to_decision.overall, total=True))
    programs = ", ".join(f"{p.code} ({p.title})" for p in report.programs)
    template = ENVIRONMENT.get_template("annual.html")
    return template.render(
        report=report,
        title=title(report),
        period=period_text(report),
        programs_line=(
            f"Leerprogramma's: {programs}" if many else f"Leerprogramma: {programs or dutch.NONE}"
        ),
        decision_rows=decisions,
        interview_rows=interviews,
        independence_rows=independence,
        time_rows=times,
        program=program,
        moment=dutch.moment,
        day=dutch.day,
        short_day=dutch.short_day,
        took_place=dutch.took_place,
        number=dutch.number,
        percent=dutch.percent,
        duration=dutch.duration,
        item_text=lambda item: dutch.BORGING_ITEMS[item],
        item_short=lambda item: dutch.BORGING_SHORT[item],
        finding=dutch.finding,
    )
