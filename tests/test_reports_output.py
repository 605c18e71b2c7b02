"""The annual report as a reader gets it: the PDF (pages, Dutch, no English), the HTML page, the
CSV of the figures, `bewijsketen report annual` and `GET /reports/annual` with who may read it."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pypdf
import pytest
from typer.testing import CliRunner

from api.cli.main import app as cli
from api.settings import Settings
from domain.application import build_application
from domain.values import Role
from projections.models import all_models
from projections.reports import dutch
from projections.reports.annual import annual_report
from projections.reports.csv_export import NAMES, render_csv
from projections.reports.figures import AnnualReport
from projections.reports.pdf import html_to_pdf
from projections.reports.period import AMSTERDAM, Period
from projections.reports.render import render_html
from projections.runner import Runner
from projections.store import open_store
from tests import report_dataset
from tests.api_support import Api, running_api

# Words of the code and the API that must not reach a Dutch reader.
ENGLISH = {
    "the", "and", "to", "passed", "failed", "fail", "ratified", "ratify", "referred",
    "refer", "pending", "decision", "decisions", "report", "period", "program", "programs",
    "none", "null", "true", "false", "nan", "page", "interview", "agreement", "exception",
    "exceptions", "vote", "votes", "correction", "corrections", "median", "percentile",
    "doubt", "evidence", "yes", "no", "not", "held", "needed", "rate", "items", "item",
    "min_assessors", "independence", "quorum_", "feedback_givers", "committee", "assessor",
    "followed", "since", "until", "total", "totals", "early", "granted", "refused",
}  # fmt: skip
IDS = re.compile(r"\b(?:stud|assessor|committee|coach|mentor)-\d+\b")


def english_words(text: str) -> set[str]:
    words = set(re.findall(r"[A-Za-z_]+", IDS.sub(" ", text).lower()))
    return words & ENGLISH


@pytest.fixture(scope="module")
def made(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[AnnualReport, Settings, report_dataset.Dataset]]:
    data_dir = tmp_path_factory.mktemp("report-output")
    settings = Settings(data_dir=data_dir, _env_file=None)
    app = build_application(settings.store)
    store = open_store(settings.projections)
    try:
        data = report_dataset.build(app)
        runner = Runner(app, store, all_models(), settings.projections)
        runner.ensure()
        runner.catch_up()
        period = Period.between(
            data.started - timedelta(seconds=1), data.ended + timedelta(seconds=1)
        )
        programs = [app.get_program(data.program_a), app.get_program(data.program_b)]
        yield annual_report(store, app, programs, period), settings, data
    finally:
        store.close()
        app.close()


def test_the_pdf_is_dutch_a4_with_numbered_pages(
    made: tuple[AnnualReport, Settings, report_dataset.Dataset],
) -> None:
    report = made[0]
    pdf = pypdf.PdfReader(io.BytesIO(html_to_pdf(render_html(report), report.document_id)))
    pages = [page.extract_text() for page in pdf.pages]
    assert len(pages) >= 2
    for number, text in enumerate(pages, start=1):
        assert f"Pagina {number} van {len(pages)}" in text
        assert f"Documentkenmerk: {report.document_id}" in text
    width, height = (float(v) for v in pdf.pages[0].mediabox[2:])
    assert (round(width), round(height)) == (595, 842)  # A4 in points
    text = "\n".join(pages)
    for heading in (
        "Verslag van de examencommissie",
        "1. Genomen besluiten",
        "2. Het beoordelingsproces",
        "Criteriumgerichte interviews (CGI)",
        "Overeenstemming tussen beoordelaars",
        "Onafhankelijkheid van de beoordelaars",
        "3. Borging",
        "4. Correcties",
        "5. Samenstelling en stemmen van de examencommissie",
        "6. Doorlooptijd van aanvraag tot besluit",
        report_dataset.REASON_APPEAL,
        "nog niet opgevolgd",
    ):
        assert heading in text.replace("\n", " "), heading
    assert not english_words(text), english_words(text)


def test_the_html_page_is_dutch(
    made: tuple[AnnualReport, Settings, report_dataset.Dataset],
) -> None:
    report = made[0]
    page = render_html(report)
    assert page.startswith("<!DOCTYPE html>") and '<html lang="nl">' in page
    text = re.sub(r"<style>.*?</style>|<[^>]+>", " ", page, flags=re.S)
    assert not english_words(text), english_words(text)
    # Times in Dutch, in Europe/Amsterdam.
    generated = report.generated_at.astimezone(AMSTERDAM)
    assert f"om {generated:%H:%M}" in text
    # Dutch numbers: a decimal comma in percentages.
    feedback = next(i for i in report.borging.items if i.item == "feedback_givers")
    assert feedback.rate is not None and 0 < feedback.rate < 1
    assert "," in dutch.percent(feedback.rate) and dutch.percent(feedback.rate) in text


def test_the_csv_holds_every_figure(
    made: tuple[AnnualReport, Settings, report_dataset.Dataset],
) -> None:
    report = made[0]
    raw = render_csv(report)
    assert raw.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["onderdeel", "programma", "cohort", "sleutel", "kengetal", "waarde"]
    figures = {(r[0], r[1], r[2], r[3], r[4]): r[5] for r in rows[1:]}
    assert {r[4] for r in rows[1:]} <= set(NAMES.values())
    t = report.decisions.totals
    assert figures[("besluiten", "alle", "", "", "bekrachtigd")] == str(t.ratified)
    assert figures[("besluiten", "alle", "", "", "terugverwezen")] == str(t.referred_back)
    for d in report.decisions.by_cohort:
        code = next(p.code for p in report.programs if p.program_id == d.program_id)
        assert figures[("besluiten", code, d.cohort, "", "geslaagd")] == str(d.passed)
    pair = report.assessment.pairs[0]
    code = next(p.code for p in report.programs if p.program_id == pair.program_id)
    key = ("overeenstemming", code, "", f"{pair.assessor_a} + {pair.assessor_b}")
    assert float(figures[(*key, "exacte_overeenstemming")].replace(",", ".")) == pytest.approx(
        pair.exact_rate
    )
    overall = report.time_to_decision.overall
    assert float(
        figures[("doorlooptijd", "alle", "", "", "mediaan_seconden")].replace(",", ".")
    ) == (pytest.approx(overall.median_seconds, abs=1e-6))


def test_the_command_line_writes_each_format(
    made: tuple[AnnualReport, Settings, report_dataset.Dataset],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _, settings, data = made
    monkeypatch.setenv("BEWIJSKETEN_DATA_DIR", str(settings.data_dir))
    monkeypatch.delenv("BEWIJSKETEN_DATABASE_URL", raising=False)
    days = [
        "--from",
        data.started.astimezone(AMSTERDAM).date().isoformat(),
        "--to",
        data.ended.astimezone(AMSTERDAM).date().isoformat(),
    ]
    runner = CliRunner()
    for suffix in ("pdf", "html", "csv", "json"):
        out = tmp_path / f"verslag.{suffix}"
        result = runner.invoke(
            cli, ["report", "annual", *days, "--program", "SD-AI", "-o", str(out)]
        )
        assert result.exit_code == 0, result.output
        assert out.stat().st_size > 0
    assert (tmp_path / "verslag.pdf").read_bytes().startswith(b"%PDF-")
    figures = AnnualReport.model_validate_json((tmp_path / "verslag.json").read_text())
    assert [p.code for p in figures.programs] == ["SD-AI"]
    assert figures.decisions.totals.ratified == 10
    wrong = runner.invoke(
        cli, ["report", "annual", "--program", "NOPE", "-o", str(tmp_path / "x.pdf")]
    )
    assert wrong.exit_code == 2 and "NOPE" in wrong.output
    both = runner.invoke(
        cli, ["report", "annual", "--year", "2026", *days, "-o", str(tmp_path / "y.csv")]
    )
    assert both.exit_code == 2
    odd = runner.invoke(cli, ["report", "annual", "-o", str(tmp_path / "z.docx")])
    assert odd.exit_code == 2


# ---- the API


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Api, report_dataset.Dataset]]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("report-api"), _env_file=None)
    with running_api(settings) as api:
        data = report_dataset.build(api.state.application)
        yield api, data


def get(api: Api, who: tuple[str, Role], expect: int = 200, **params: object) -> object:
    head = api.state.application.recorder.max_notification_id()
    return api.get("/reports/annual", who, expect, params={"min_position": head, **params})


def test_each_reader_gets_the_report_of_their_programs(
    api: tuple[Api, report_dataset.Dataset],
) -> None:
    client, data = api
    days = {
        "from": data.started.astimezone(AMSTERDAM).date().isoformat(),
        "to": data.ended.astimezone(AMSTERDAM).date().isoformat(),
    }
    for who, codes in (
        (("committee-1", Role.COMMITTEE), ["SD-AI"]),
        (("committee-5", Role.COMMITTEE), ["ZORG"]),
        (("quality-1", Role.QUALITY), ["SD-AI", "ZORG"]),
        (("inspector-1", Role.INSPECTOR), ["SD-AI", "ZORG"]),
        (("committee-9", Role.COMMITTEE), []),
    ):
        response = get(client, who, **days)
        body = response.json()  # type: ignore[attr-defined]
        assert [p["code"] for p in body["programs"]] == codes, who
        assert response.headers["X-Projection-Position"]  # type: ignore[attr-defined]
    quality = get(client, ("quality-1", Role.QUALITY), **days).json()  # type: ignore[attr-defined]
    assert quality["decisions"]["totals"]["ratified"] == 14
    # A committee member asks for another program's report: refused; an unknown one: not found.
    refused = get(client, ("committee-1", Role.COMMITTEE), 403, program="ZORG", **days)
    assert refused.json()["type"].endswith("/not-permitted")  # type: ignore[attr-defined]
    get(client, ("committee-1", Role.COMMITTEE), 404, program="NOPE", **days)
    for role in (Role.STUDENT, Role.COACH, Role.ASSESSOR, Role.ADMIN):
        get(client, ("someone-1", role), 403, **days)
    client.get("/reports/annual", None, 401)


def test_the_api_renders_each_format(api: tuple[Api, report_dataset.Dataset]) -> None:
    client, data = api
    who = ("quality-1", Role.QUALITY)
    day = data.started.astimezone(AMSTERDAM).date().isoformat()
    pdf = get(client, who, format="pdf", **{"from": day, "to": day})
    assert pdf.headers["content-type"] == "application/pdf"  # type: ignore[attr-defined]
    assert pdf.content.startswith(b"%PDF-")  # type: ignore[attr-defined]
    html = get(client, who, format="html", year=data.started.astimezone(AMSTERDAM).year)
    assert html.headers["content-type"].startswith("text/html")  # type: ignore[attr-defined]
    assert "Jaarverslag van de examencommissie" in html.text  # type: ignore[attr-defined]
    table = get(client, who, format="csv", program="ZORG")
    assert table.headers["content-type"].startswith("text/csv")  # type: ignore[attr-defined]
    assert "onderdeel;programma" in table.text  # type: ignore[attr-defined]
    # Two ways of naming the period at once, or half of one: a clear 422, nothing else.
    for params in ({"year": 2026, "from": day, "to": day}, {"from": day}):
        problem = get(client, who, 422, **params).json()  # type: ignore[attr-defined]
        assert problem["type"].endswith("/invalid-input")
    get(client, who, 422, year=1900)
    get(client, who, 422, format="docx")
