"""The web pages in a real browser: Debian's Chromium driven by Playwright, signing in through a
real OpenID Connect provider (oidc-provider-mock) on 127.0.0.1, against the app under uvicorn on
PostgreSQL.

Every page visited is checked with axe-core (no serious or critical violation of WCAG 2.1 AA)
and kept as a screenshot under var/screenshots/ (BEWIJSKETEN_SCREENSHOTS to put them elsewhere).
"""

from __future__ import annotations

import base64
import io
import json
import os
import re
import time
import uuid
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import httpx
import psycopg
import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright
from psycopg import sql
from pypdf import PdfReader

from api.oidc import own_tokens
from api.settings import Settings
from api.tokens import TokenStore
from api.web.session import COOKIE, Sessions, signed_in_as
from domain.values import Role
from projections.audit.checkpoint import from_note
from tests.api_support import Api, serving
from tests.web_support import CLIENT_ID, CLIENT_SECRET, NAMES, Class, oidc_provider, seed_class

pytestmark = pytest.mark.slow

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(os.environ.get("BEWIJSKETEN_SCREENSHOTS", "var/screenshots"))
SERIOUS = ("serious", "critical")


@pytest.fixture(scope="module")
def schema(pg_database: str) -> Iterator[str]:
    name = f"web_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(pg_database, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(name)))
    yield name
    with psycopg.connect(pg_database, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(name)))


@pytest.fixture(scope="module")
def issuer() -> Iterator[str]:
    with oidc_provider() as url:
        yield url


@pytest.fixture(scope="module")
def site(
    pg_database: str, schema: str, issuer: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Api, Class, Settings]]:
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("web") / "data",
        database_url=pg_database,
        database_schema=schema,
        oidc_issuer=issuer,
        oidc_client_id=CLIENT_ID,
        oidc_client_secret=CLIENT_SECRET,
        web_session_secret="a-test-key-that-signs-the-session-cookies",
        audit_checkpoint_seconds=0.3,
        # With PostgreSQL the signing key is given, never made on start (docs/operations.md).
        audit_private_key=base64.b64encode(os.urandom(32)).decode(),
        _env_file=None,
    )
    with serving(settings) as api:
        state = api.state
        state.persons.put_many(NAMES)
        made = seed_class(state.application)
        yield api, made, settings


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium (as root).")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield launched
        launched.close()


def base_of(api: Api) -> str:
    return str(api.client.base_url).rstrip("/")  # type: ignore[union-attr]


def opened_context(browser: Browser, api: Api) -> Iterator[BrowserContext]:
    """A Dutch browser context on the site that accepts downloads, for a fixture to yield."""
    made = browser.new_context(base_url=base_of(api), locale="nl-NL", accept_downloads=True)
    made.set_default_timeout(20_000)
    yield made
    made.close()


@pytest.fixture
def context(browser: Browser, site: tuple[Api, Class, Settings]) -> Iterator[BrowserContext]:
    yield from opened_context(browser, site[0])


def check(page: Page, name: str) -> None:
    """axe-core on the page as it is now (no serious or critical violation), and a
    screenshot of it."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
    results = Axe().run(page)
    serious = [v for v in results.response["violations"] if v["impact"] in SERIOUS]
    assert not serious, f"{name}: " + json.dumps(
        [
            {"id": v["id"], "impact": v["impact"], "nodes": [n["html"] for n in v["nodes"][:3]]}
            for v in serious
        ],
        indent=1,
        ensure_ascii=False,
    )
    assert page.locator("html").get_attribute("lang") == "nl"


def sign_in(page: Page, person: str, target: str = "/werk", screenshot: str | None = None) -> None:
    """From a page that needs a session, through the provider's authorization page, back."""
    page.goto(target)
    expect(page).to_have_url(re.compile(r"/aanmelden\?terug="))
    if screenshot:
        check(page, screenshot)
    page.get_by_role("link", name="Aanmelden met uw schoolaccount").click()
    # oidc-provider-mock's own page: authorize one of its predefined users.
    page.locator(f'button[name="sub"][value="{person}"]').click()
    page.wait_for_url(re.compile(r"/(werk|rol|trajecten|zoeken|borging|logboek)"))


def events(api: Api, trajectory_id: uuid.UUID) -> int:
    return api.event_count(trajectory_id)


def api_token(api: Api, person: str, role: Role) -> str:
    store = own_tokens(api.state.authenticator)
    assert isinstance(store, TokenStore)
    return store.create(person, role)


def test_committee_finds_votes_and_sees_the_decision_ratified(
    site: tuple[Api, Class, Settings], context: BrowserContext
) -> None:
    api, made, _settings = site
    tid = made.trajectories["awaiting-vote"]
    page = context.new_page()
    sign_in(page, "committee-1", screenshot="aanmelden")
    expect(page.get_by_role("heading", name="Mijn werk")).to_be_visible()
    expect(page.locator("header .who")).to_contain_text(NAMES["committee-1"])
    check(page, "werk-examencommissie")

    # The decision waiting for this member's vote, and its dossier.
    row = page.get_by_role("row").filter(has_text="student-01")
    expect(row).to_contain_text("1 van 2")
    row.get_by_role("link", name=re.compile("Dossier van")).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Besluitdossier Sanne de Vries")
    expect(page.locator(".dossier")).to_contain_text("nog geen besluit over poging 1")
    # Every step proven against the signed checkpoint (the sealer runs in the server).
    deadline = time.monotonic() + 20
    while "stappen bewezen" not in page.locator(".verification").inner_text():
        assert time.monotonic() < deadline, page.locator(".verification").inner_text()
        page.wait_for_timeout(300)
        page.reload()
    expect(page.locator(".verification")).to_contain_text("stappen bewezen")
    check(page, "dossier")

    # A vote without a rationale: refused with the rule and the API's Dutch sentence.
    before = events(api, tid)
    page.get_by_role("link", name="Stemmen over poging 1").click()
    check(page, "stemmen")
    page.get_by_label("Toelichting (verplicht, regel R1)").fill("")
    page.get_by_role("button", name="Stem vastleggen").click()
    refusal = page.locator("#weigering")
    expect(refusal).to_contain_text("Regel R1 Wie en wanneer")
    sentence = refusal.locator(".sentence").inner_text()
    answer = httpx.post(
        f"{base_of(api)}/trajectories/{tid}/high-stakes/1/votes",
        json={"vote": "ratify", "rationale": ""},
        headers={"Authorization": f"Bearer {api_token(api, 'committee-1', Role.COMMITTEE)}"},
    )
    assert answer.status_code == 422
    assert answer.json()["rule"] == "R1"
    assert (
        sentence == answer.json()["detail_nl"] == "De toelichting bij de stem mag niet leeg zijn."
    )
    assert events(api, tid) == before
    check(page, "stemmen-geweigerd")

    # The vote that completes the quorum.
    page.get_by_label("Toelichting (verplicht, regel R1)").fill(
        "Procedure gevolgd, het oordeel is goed onderbouwd"
    )
    page.get_by_label("Bekrachtigen").check()
    page.get_by_role("button", name="Stem vastleggen").click()
    expect(page.get_by_role("status").first).to_contain_text("Het besluit is bekrachtigd")
    expect(page.locator(".dossier")).to_contain_text("poging 1: geslaagd (bekrachtigd op")
    expect(page.locator(".dossier")).to_contain_text("2 stemmen voor bekrachtigen")
    assert events(api, tid) == before + 2  # the vote and the decision
    check(page, "dossier-bekrachtigd")

    # The PDF: A4 pages, each with its page number and the dossier's id.
    with page.expect_download() as download:
        page.get_by_role("link", name="Download als PDF").click()
    pdf = PdfReader(io.BytesIO(Path(download.value.path()).read_bytes()))
    dossier_id = page.locator(".dossier dd.hash").nth(1).inner_text().strip()
    assert dossier_id.startswith(str(tid))
    total = len(pdf.pages)
    assert total >= 3
    for number, sheet in enumerate(pdf.pages, start=1):
        assert (round(float(sheet.mediabox.width)), round(float(sheet.mediabox.height))) == (
            595,
            842,
        )
        text = sheet.extract_text()
        assert f"Pagina {number} van {total}" in text
        assert dossier_id in text.replace("\n", "")
    first = pdf.pages[0].extract_text()
    assert "Besluitdossier Sanne de Vries" in first
    assert "bekrachtigd" in first

    # The decision is no longer waiting in Mijn werk.
    page.get_by_role("link", name="Mijn werk").click()
    expect(page.get_by_text("Er wacht geen besluit op uw stem.")).to_be_visible()

    # Signing out ends the session.
    page.get_by_role("button", name="Afmelden").click()
    expect(page.get_by_text("U bent afgemeld.")).to_be_visible()
    page.goto("/werk")
    expect(page).to_have_url(re.compile(r"/aanmelden\?terug="))


def test_an_assessor_sees_only_their_own_levels_until_all_have_judged(
    site: tuple[Api, Class, Settings], context: BrowserContext
) -> None:
    api, made, _settings = site
    tid = made.trajectories["judging"]
    page = context.new_page()
    sign_in(page, "assessor-2")
    check(page, "werk-beoordelaar")
    row = page.get_by_role("row").filter(has_text="student-02")
    expect(row).to_contain_text("oordeel geven")
    page.goto(f"/trajecten/{tid}")
    outcomes = page.locator("table").first
    expect(outcomes).to_contain_text("verzegeld")
    # assessor-1 judged every outcome "professional": nowhere to be seen yet.
    expect(outcomes).not_to_contain_text("professional")
    expect(page.locator("body")).not_to_contain_text("Portfolio shows professional")
    check(page, "traject-beoordelaar-verzegeld")

    page.get_by_role("link", name="Oordeel geven").click()
    check(page, "oordeel")
    expect(page.locator("main")).not_to_contain_text("professional (")
    for code in ("LO1", "LO2", "LO3", "LO4", "LO5"):
        page.get_by_label("Niveau", exact=True).nth(int(code[2]) - 1).select_option("bekwaam")
        page.get_by_label(f"Toelichting bij {code}").fill(f"Het portfolio laat {code} zien")
    page.get_by_label("geslaagd", exact=True).check()
    page.get_by_label("Toelichting bij het eindoordeel").fill("Holistisch oordeel")
    before = events(api, tid)
    page.get_by_role("button", name="Oordeel vastleggen").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Traject van Daan Jansen")
    assert events(api, tid) == before + 1
    # Now everyone has judged: the other assessor's levels are open.
    expect(page.locator("table").first).to_contain_text("professional")
    expect(page.locator("table").first).not_to_contain_text("verzegeld")
    check(page, "traject-beoordelaar-open")


def test_a_student_sees_their_own_page_and_not_a_classmates(
    site: tuple[Api, Class, Settings], context: BrowserContext
) -> None:
    _api, made, _settings = site
    own = made.trajectories["awaiting-vote"]
    classmate = made.trajectories["judging"]
    page = context.new_page()
    sign_in(page, "student-01")
    check(page, "werk-student")
    page.get_by_role("link", name="Sanne de Vries").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Traject van Sanne de Vries")
    check(page, "traject-student")

    hidden = page.goto(f"/trajecten/{classmate}")
    assert hidden is not None and hidden.status == 404
    shown = page.locator("main").inner_html()
    check(page, "niet-gevonden")
    missing = page.goto(f"/trajecten/{uuid.uuid4()}")
    assert missing is not None and missing.status == 404
    assert page.locator("main").inner_html() == shown
    for path in (f"/trajecten/{classmate}/dossier", f"/trajecten/{classmate}/dossier.pdf"):
        answer = page.goto(path)
        assert answer is not None and answer.status == 404
    assert own != classmate


def test_a_coach_gives_the_green_light_from_mijn_werk(
    site: tuple[Api, Class, Settings], context: BrowserContext
) -> None:
    api, made, _settings = site
    tid = made.trajectories["green-light-due"]
    page = context.new_page()
    sign_in(page, "coach-1")
    row = page.get_by_role("row").filter(has_text="student-03")
    expect(row).to_contain_text("groen licht")
    check(page, "werk-coach")
    row.get_by_role("link").first.click()
    check(page, "traject-coach")
    page.get_by_role("link", name="Groen licht geven of onthouden").click()
    check(page, "groen-licht")
    page.get_by_label("Groen licht geven voor de high-stake").check()
    page.get_by_label("Toelichting").fill("Genoeg leerbewijs op elke leeropbrengst")
    before = events(api, tid)
    page.get_by_role("button", name="Vastleggen").click()
    expect(page.locator("dl.facts")).to_contain_text("gegeven")
    assert events(api, tid) == before + 1
    # Time travel: the trajectory as it stood one version earlier, before the green light.
    page.get_by_label("Of bij versie").fill(str(before))
    page.get_by_role("button", name="Tonen").nth(1).click()
    expect(page.get_by_role("status").first).to_contain_text(f"versie {before}")
    expect(page.locator("dl.facts")).to_contain_text("nog niet")
    check(page, "traject-terug-in-de-tijd")
    page.goto(f"/trajecten/{tid}/medium-stake")
    check(page, "medium-stake")


def test_a_quality_officer_reads_borging_search_and_the_log(
    site: tuple[Api, Class, Settings], context: BrowserContext
) -> None:
    _api, _made, settings = site
    page = context.new_page()
    sign_in(page, "quality-1")
    check(page, "werk-kwaliteitszorg")
    page.get_by_role("link", name="Borging", exact=True).click()
    deadline = time.monotonic() + 20
    while page.locator("table.checklist tbody tr").count() < 1 or "Geen afgeronde" in (
        page.locator("table.checklist").inner_text()
    ):
        assert time.monotonic() < deadline
        page.wait_for_timeout(300)
        page.reload()
    expect(page.locator("svg[role=img]").first).to_be_visible()
    expect(page.locator("main")).to_contain_text("Gewogen kappa")
    check(page, "borging")
    page.get_by_role("link", name="Zoeken", exact=True).click()
    page.get_by_label("Naam of studentnummer").fill("daan")
    page.get_by_role("button", name="Zoeken").click()
    expect(page.locator("main table")).to_contain_text("Daan Jansen")
    expect(page.locator("main table")).not_to_contain_text("Sanne de Vries")
    check(page, "zoeken")
    page.get_by_role("link", name="Logboek", exact=True).click()
    expect(page.locator("main table")).not_to_contain_text("Nog geen controlepunt")
    check(page, "logboek")
    page.get_by_role("link", name="Controleer het hele logboek nu").click()
    expect(page.locator(".verification")).to_contain_text("In orde")
    check(page, "logboek-gecontroleerd")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download het laatste controlepunt").click()
    # The signed note itself, which `audit verify --against` and any C2SP tool read.
    kept = from_note(Path(download.value.path()).read_text())
    assert kept.tree_size >= 1 and kept.origin == settings.audit.origin


def test_someone_with_two_roles_chooses_the_one_they_act_in(
    site: tuple[Api, Class, Settings], context: BrowserContext
) -> None:
    page = context.new_page()
    sign_in(page, "assessor-3")
    expect(page).to_have_url(re.compile(r"/rol"))
    check(page, "rol-kiezen")
    page.get_by_label("coach", exact=True).check()
    page.get_by_role("button", name="Verder").click()
    expect(page.locator("header .who")).to_contain_text("(coach)")


def test_a_form_without_its_csrf_token_is_refused(
    site: tuple[Api, Class, Settings], context: BrowserContext
) -> None:
    api, made, _settings = site
    tid = made.trajectories["green-light-due"]
    page = context.new_page()
    sign_in(page, "committee-2")
    before = events(api, tid)
    answer = page.request.post(
        f"/trajecten/{tid}/pogingen/1/stem",
        form={"vote": "ratify", "rationale": "Geen token meegestuurd"},
    )
    assert answer.status == 403
    assert "Formulier geweigerd" in answer.text()
    forged = page.request.post(
        f"/trajecten/{tid}/pogingen/1/stem",
        form={"vote": "ratify", "rationale": "Een verzonnen token", "csrf": "not-the-token"},
    )
    assert forged.status == 403
    assert events(api, tid) == before


def test_an_expired_session_is_sent_to_sign_in(
    site: tuple[Api, Class, Settings], context: BrowserContext
) -> None:
    _api, _made, settings = site
    session = signed_in_as("committee-1", NAMES["committee-1"], [Role.COMMITTEE], 60)
    expired = Sessions(settings.web).encode(replace(session, expires_at=time.time() - 1))
    context.add_cookies([{"name": COOKIE, "value": expired, "domain": "127.0.0.1", "path": "/"}])
    page = context.new_page()
    page.goto("/werk")
    expect(page).to_have_url(re.compile(r"/aanmelden\?terug=%2Fwerk&verlopen=1"))
    expect(page.get_by_text("Uw sessie is verlopen")).to_be_visible()
    check(page, "sessie-verlopen")
