"""Borging: the checklist over concluded high-stakes with the exceptions to follow up, by
program and period, and the assessors' calibration per assessor and per pair (SVG charts)."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from api.routers.read_models import (
    borging_checks,
    borging_exceptions,
    calibration_assessors,
    calibration_pairs,
)
from api.web import dutch as nl
from api.web.charts import Series, bars
from api.web.context import Hidden, page, visitor
from api.web.pages import read_now
from projections.models.borging import ITEMS

router = APIRouter()

Day = Annotated[str | None, Query(max_length=10)]


def _day(value: str | None, after: bool = False) -> datetime | None:
    """A date typed on the page: the start of that day in Amsterdam (of the next day for the
    end of a period, so the period includes it)."""
    if not value:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise Hidden() from None
    if after:
        day += timedelta(days=1)
    return datetime.combine(day, time(0), tzinfo=nl.AMSTERDAM)


def _person(names: dict[str, str], person: str) -> str:
    name = names.get(person)
    return f"{name} ({person})" if name else person


@router.get("/borging")
@page
def borging(
    request: Request,
    program: Annotated[str | None, Query(alias="programma", max_length=40)] = None,
    since: Annotated[str | None, Query(alias="van", max_length=10)] = None,
    until: Annotated[str | None, Query(alias="tot", max_length=10)] = None,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> Response:
    visit = visitor(request)
    if not visit.may("borging"):
        raise Hidden()
    state, actor = visit.state, visit.actor
    program_id = None
    if program:
        try:
            program_id = uuid.UUID(program)
        except ValueError:
            raise Hidden() from None
    start, end = _day(since), _day(until, after=True)
    read = read_now(state, "borging")
    checks = borging_checks(
        actor, read, program_id=program_id, since=start, until=end, limit=50, offset=offset
    )
    exceptions = borging_exceptions(
        actor, read, program_id=program_id, since=start, until=end, limit=100
    )
    calibration: dict[str, Any] = {}
    if visit.may("calibration"):
        cal = read_now(state, "calibration")
        calibration["assessors"] = calibration_assessors(
            actor, cal, program_id=program_id, limit=100
        )["items"]
        calibration["pairs"] = calibration_pairs(actor, cal, program_id=program_id, limit=100)[
            "items"
        ]
    names = visit.names
    charts = {}
    if calibration.get("assessors"):
        rows = calibration["assessors"]
        charts["assessors"] = bars(
            "Overeenstemming per beoordelaar",
            "Per beoordelaar: exacte en aangrenzende overeenstemming met medebeoordelaars en "
            "het aandeel pogingen met een criteriumgericht interview.",
            [_person(names, r["assessor_id"]) for r in rows],
            [
                Series("exact", [r["exact_rate"] for r in rows]),
                Series("aangrenzend", [r["adjacent_rate"] for r in rows]),
                Series("CGI", [r["cgi_rate"] for r in rows]),
            ],
            "chart-assessors",
        )
        charts["kappa"] = bars(
            "Gewogen kappa per beoordelaar",
            "Cohens kappa met kwadratische gewichten, van 0 (toeval) tot 1 (volledig eens).",
            [_person(names, r["assessor_id"]) for r in rows],
            [Series("kappa", [r["kappa_quadratic"] for r in rows], as_percent=False)],
            "chart-kappa",
        )
    if calibration.get("pairs"):
        pairs = calibration["pairs"]
        charts["pairs"] = bars(
            "Overeenstemming per paar beoordelaars",
            "Per paar: exacte overeenstemming en gewogen kappa.",
            [f"{r['assessor_a']} en {r['assessor_b']}" for r in pairs],
            [
                Series("exact", [r["exact_rate"] for r in pairs]),
                Series("kappa", [r["kappa_quadratic"] for r in pairs]),
            ],
            "chart-pairs",
        )
    return visit.show(
        "borging.html",
        programs=list(state.application.directory.programs()),
        program=str(program_id or ""),
        since=since or "",
        until=until or "",
        checks=checks,
        exceptions=exceptions,
        items=list(ITEMS),
        calibration=calibration,
        charts=charts,
        names=names,
        offset=offset,
    )
