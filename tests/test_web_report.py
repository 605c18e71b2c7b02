"""The Jaarverslag page: the annual report in the site, for its readers only, with its figures
those of `GET /reports/annual` for the same year and programs, and the PDF and CSV to download.

Server-side on SQLite and PostgreSQL (the app in a TestClient, the generated record of
tests/report_dataset.py); and in a real browser (Chromium, axe-core, a screenshot), signed in
through the OpenID Connect provider as the other browser tests are.
"""

from __future__ import annotations

import html
import io
import re
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import BrowserContext, expect
from pypdf import PdfReader

from api.settings import Settings
from api.web.session import COOKIE, Sessions, signed_in_as
from domain import policy
from domain.values import Role
from projections.reports import dutch
from projections.reports.figures import AnnualReport
from projections.reports.period import AMSTERDAM
from projections.reports.render import render_html
from tests import report_dataset
from tests import test_web_browser as browser_tests
from tests.api_support import Api, running_api
from tests.test_projections_support import fresh_store
from tests.test_reports_output import english_words
from tests.web_support import NAMES, Class

QUALITY = ("quality-1", Role.QUALITY)
COMMITTEE_A = ("committee-1", Role.COMMITTEE)  # sits on the committee of SD-AI only
READERS = frozenset(
    role for relation in policy.READS["annual_report"].readers for role in relation.roles
)
OPGESTELD = re.compile(r"<dt>Opgesteld</dt><dd>[^<]*</dd>")


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def site(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Api, Settings, int]]:
    tmp = tmp_path_factory.mktemp(f"web-report-{request.param}")
    pg = request.getfixturevalue("pg_database") if request.param == "postgres" else None
    with fresh_store(request.param, tmp, pg) as store:
        settings = Settings(
            **store.model_dump(exclude_unset=True),
            web_session_secret="the-key-of-this-test",
            audit_enabled=False,
            _env_file=None,
        )
        with running_api(settings) as api:
            data = report_dataset.build(api.state.application)
            # Both readers' answers wait until the read models hold the whole record.
            head = api.state.application.recorder.max_notification_id()
            api.get("/reports/annual", QUALITY, params={"min_position": head})
            yield api, settings, data.started.astimezone(AMSTERDAM).year


def as_(api: Api, settings: Settings, person: str, role: Role) -> None:
    """The client's session from now on: signed in as `person`, acting as `role`."""
    session = signed_in_as(person, None, [role], 600)
    api.client.cookies.set(COOKIE, Sessions(settings.web).encode(session))


def main(text: str) -> str:
    return text.split('<main id="inhoud">', 1)[1].split("</main>", 1)[0]


def api_report(api: Api, who: tuple[str, Role], **params: Any) -> AnnualReport:
    answer = api.get("/reports/annual", who, params=params)
    return AnnualReport.model_validate_json(answer.content)


def shown(page: str) -> str:
    """The report's sections as the page shows them, without the moment drawn up."""
    inner = page.split('<div class="report">', 1)[1].rsplit("</div>", 1)[0]
    return OPGESTELD.sub("", inner).strip()


def rendered(report: AnnualReport) -> str:
    """The report's sections as its own Dutch page writes them, without the moment drawn up."""
    inner = render_html(report).split("</h1>", 1)[1].rsplit("</body>", 1)[0]
    return OPGESTELD.sub("", inner).strip()


def test_the_page_shows_the_figures_the_api_answers(site: tuple[Api, Settings, int]) -> None:
    api, settings, year = site
    as_(api, settings, *QUALITY)
    answer = api.get("/jaarverslag", None, params={"jaar": year})
    assert answer.headers["content-type"].startswith("text/html")
    assert answer.headers["content-security-policy"].startswith("default-src 'self'")
    want = api_report(api, QUALITY, year=year)
    page = main(answer.text)
    assert want.decisions.totals.ratified == 14  # the record's known content
    # Every figure as the report's own Dutch rendering of the API's figures writes it.
    assert shown(page) == rendered(want)
    assert f"<h1>Jaarverslag van de examencommissie {year}</h1>" in page
    assert want.document_id in page
    t = want.decisions.totals
    assert f"In deze periode nam de examencommissie {dutch.number(t.decisions)} besluiten:" in page
    assert f"{dutch.number(t.ratified)} uitslagen bekrachtigd" in page
    assert f"{dutch.number(want.committee.votes)} stemmen uitgebracht" in page
    assert "Leerprogramma's: SD-AI (" in html.unescape(page) and ", ZORG (" in html.unescape(page)
    # Dutch only.
    text = re.sub(r"<[^>]+>", " ", page)
    assert not english_words(text), english_words(text)
    # In the menu, as the page it is.
    assert '<a href="/jaarverslag" aria-current="page">Jaarverslag</a>' in answer.text
    # The year chosen, and the downloads of that same report.
    assert f'value="{year}"' in page
    assert f'href="/jaarverslag.pdf?jaar={year}"' in page
    assert f'href="/jaarverslag.csv?jaar={year}"' in page


def test_a_committee_member_chooses_among_their_own_programs(
    site: tuple[Api, Settings, int],
) -> None:
    api, settings, year = site
    as_(api, settings, *COMMITTEE_A)
    whole = main(api.get("/jaarverslag", None, params={"jaar": year}).text)
    options = re.findall(r'<option value="([^"]*)"', whole)
    assert options == ["", "SD-AI"]
    assert "Leerprogramma: SD-AI" in whole
    one = main(api.get("/jaarverslag", None, params={"jaar": year, "programma": "SD-AI"}).text)
    want = api_report(api, COMMITTEE_A, year=year, program="SD-AI")
    assert [p.code for p in want.programs] == ["SD-AI"]
    assert shown(one) == rendered(want)
    assert 'value="SD-AI" selected' in one
    # Another committee's program, or one that does not exist: the one 404 page.
    unknown = api.get("/trajecten/00000000-0000-4000-8000-000000000000", None, 404)
    for program in ("ZORG", "NOPE"):
        for path in ("/jaarverslag", "/jaarverslag.pdf", "/jaarverslag.csv"):
            hidden = api.get(path, None, 404, params={"jaar": year, "programma": program})
            assert main(hidden.text) == main(unknown.text), (path, program)
    # A year of nothing: the same page, every figure naught.
    empty = main(api.get("/jaarverslag", None, params={"jaar": 2001}).text)
    assert "nam de examencommissie 0 besluiten" in empty


def test_the_downloads_are_the_apis_pdf_and_csv(site: tuple[Api, Settings, int]) -> None:
    api, settings, year = site
    as_(api, settings, *QUALITY)
    pdf = api.get("/jaarverslag.pdf", None, params={"jaar": year, "programma": "ZORG"})
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["content-disposition"] == (
        f'attachment; filename="jaarverslag-{year}-ZORG.pdf"'
    )
    assert pdf.headers["cache-control"] == "no-store"
    first = PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text()
    assert f"Jaarverslag van de examencommissie {year}" in first
    assert "ZORG" in first and "SD-AI" not in first
    csv = api.get("/jaarverslag.csv", None, params={"jaar": year})
    assert csv.headers["content-type"] == "text/csv; charset=utf-8"
    assert csv.headers["content-disposition"] == f'attachment; filename="jaarverslag-{year}.csv"'
    from_api = api.get("/reports/annual", QUALITY, params={"year": year, "format": "csv"})
    # The same file, byte for byte: the same figures, and no moment in it.
    assert csv.content == from_api.content
    assert "besluiten;alle;;;bekrachtigd;14" in csv.text.splitlines()


def test_whoever_may_not_read_the_report_gets_the_unknown_page(
    site: tuple[Api, Settings, int],
) -> None:
    api, settings, year = site
    for role in Role:
        if role in READERS:
            continue
        as_(api, settings, f"someone-{role.value}", role)
        unknown = api.get("/trajecten/00000000-0000-4000-8000-000000000000", None, 404)
        for path in ("/jaarverslag", "/jaarverslag.pdf", "/jaarverslag.csv"):
            answer = api.get(path, None, 404, params={"jaar": year})
            assert main(answer.text) == main(unknown.text), (role, path)
        assert 'href="/jaarverslag"' not in api.get("/werk", None).text, role
    for role in READERS:
        as_(api, settings, f"someone-{role.value}", role)
        assert 'href="/jaarverslag"' in api.get("/werk", None).text, role
    # Not signed in: to the sign-in page, and back here after it.
    api.client.cookies.clear()
    away = api.client.get("/jaarverslag", params={"jaar": year}, follow_redirects=False)
    assert away.status_code == 303
    assert away.headers["location"] == f"/aanmelden?terug=%2Fjaarverslag%3Fjaar%3D{year}"


def test_a_year_that_is_not_one_is_said_in_dutch(site: tuple[Api, Settings, int]) -> None:
    api, settings, _year = site
    as_(api, settings, *QUALITY)
    for year in ("1900", "3000", "twee", "-1"):
        answer = api.get("/jaarverslag", None, 422, params={"jaar": year})
        assert "Kies een jaar van 2000 tot en met 2999." in answer.text
        assert "Genomen besluiten" not in answer.text
    api.get("/jaarverslag.csv", None, 404, params={"jaar": "1900"})
    # No year: the current Dutch one.
    now = main(api.get("/jaarverslag", None).text)
    assert f"Jaarverslag van de examencommissie {datetime.now(AMSTERDAM).year}" in now


# ---- in a real browser

schema = browser_tests.schema
issuer = browser_tests.issuer
browser_site = browser_tests.site
browser = browser_tests.browser


@pytest.fixture
def context(browser: Any, browser_site: tuple[Api, Class, Settings]) -> Iterator[BrowserContext]:
    yield from browser_tests.opened_context(browser, browser_site[0])


@pytest.mark.slow
def test_the_report_page_in_a_browser(
    browser_site: tuple[Api, Class, Settings], context: BrowserContext
) -> None:
    api = browser_site[0]
    year = datetime.now(AMSTERDAM).year
    page = context.new_page()
    browser_tests.sign_in(page, "quality-1")
    expect(page.locator("header .who")).to_contain_text(NAMES["quality-1"])
    page.get_by_role("link", name="Jaarverslag", exact=True).click()
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_text(f"Jaarverslag van de examencommissie {year}")
    # The read models catch up with the seeded class in the server's own runner.
    deadline = time.monotonic() + 20
    while "1 uitslag bekrachtigd" not in page.locator("main").inner_text():
        assert time.monotonic() < deadline, page.locator("main").inner_text()
        page.wait_for_timeout(300)
        page.reload()
    browser_tests.check(page, "jaarverslag")

    page.get_by_label("Programma").select_option("SD-AI")
    page.get_by_label("Jaar").fill(str(year))
    page.get_by_role("button", name="Tonen").click()
    expect(page).to_have_url(re.compile(rf"/jaarverslag\?jaar={year}&programma=SD-AI"))
    expect(page.locator("main")).to_contain_text("Leerprogramma: SD-AI")
    browser_tests.check(page, "jaarverslag-programma")
    with page.expect_download() as download:
        page.get_by_role("link", name="als PDF (A4)").click()
    pdf = PdfReader(io.BytesIO(Path(download.value.path()).read_bytes()))
    assert f"Jaarverslag van de examencommissie {year}" in pdf.pages[0].extract_text()
    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile("als CSV-bestand")).click()
    assert download.value.suggested_filename == f"jaarverslag-{year}-SD-AI.csv"
    csv = Path(download.value.path()).read_bytes()
    token = browser_tests.api_token(api, "quality-1", Role.QUALITY)
    from_api = httpx.get(
        f"{browser_tests.base_of(api)}/reports/annual",
        params={"year": year, "program": "SD-AI", "format": "csv"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert csv == from_api.content
    assert "besluiten;alle;;;bekrachtigd;1" in csv.decode("utf-8-sig").splitlines()

    # A year out of range, said on the page.
    page.goto("/jaarverslag?jaar=1900")
    expect(page.get_by_role("alert")).to_contain_text("Kies een jaar van 2000 tot en met 2999.")
    browser_tests.check(page, "jaarverslag-geen-jaar")

    # A coach has no such page: no menu entry, and the one 404 page.
    coach = context.browser.new_context(  # type: ignore[union-attr]
        base_url=browser_tests.base_of(api), locale="nl-NL"
    )
    try:
        other = coach.new_page()
        browser_tests.sign_in(other, "coach-1")
        expect(other.get_by_role("link", name="Jaarverslag", exact=True)).to_have_count(0)
        other.goto("/jaarverslag")
        expect(other.get_by_role("heading", level=1)).to_have_text("Niet gevonden")
    finally:
        coach.close()
