"""The annual report in each of its forms, by format name or file extension."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from domain.program import Program
from projections.reports.csv_export import render_csv
from projections.reports.figures import AnnualReport
from projections.reports.pdf import html_to_pdf
from projections.reports.render import render_html


@dataclass(frozen=True)
class Format:
    name: str
    media_type: str
    render: Callable[[AnnualReport], bytes]


def _json(report: AnnualReport) -> bytes:
    return (report.model_dump_json(indent=2) + "\n").encode()


def _html(report: AnnualReport) -> bytes:
    return render_html(report).encode()


def _pdf(report: AnnualReport) -> bytes:
    return html_to_pdf(render_html(report), report.document_id)


FORMATS: dict[str, Format] = {
    f.name: f
    for f in (
        Format("json", "application/json", _json),
        Format("html", "text/html; charset=utf-8", _html),
        Format("pdf", "application/pdf", _pdf),
        Format("csv", "text/csv; charset=utf-8", render_csv),
    )
}


class UnknownProgram(LookupError):
    def __init__(self, name: str) -> None:
        super().__init__(f"there is no program {name!r} (give its code or its id)")
        self.name = name


def select_programs(known: Iterable[Program], asked: Sequence[str] | None) -> list[Program]:
    """The programs asked for by code or id (all when none are asked), in code order."""
    programs = sorted(known, key=lambda p: p.code)
    if not asked:
        return programs
    chosen: dict[uuid.UUID, Program] = {}
    for name in asked:
        found = next((p for p in programs if p.code == name or str(p.id) == name.lower()), None)
        if found is None:
            raise UnknownProgram(name)
        chosen[found.id] = found
    return sorted(chosen.values(), key=lambda p: p.code)
