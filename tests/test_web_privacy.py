"""The Privacy page: the privacy officer's due list and waiting erasure requests in the site, the
same as `GET /privacy/due` answers, with each student's access export to download (the API's
zip, recorded in the privacy ledger); for everyone else the one 404 page.

Server-side on SQLite and PostgreSQL (the app in a TestClient, a record whose days lie in the
past so that retention periods have ended); and in a real browser (Chromium, axe-core, a
screenshot), signed in through the OpenID Connect provider as the other browser tests are.
"""

from __future__ import annotations

import hashlib
import html
import io
import json
import re
import zipfile
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, expect

from api.privacy_export import CLASSES
from api.settings import Settings
from api.web import dutch as nl
from api.web.session import COOKIE, Sessions, signed_in_as
from domain import commands as c
from domain import moments, policy
from domain.journey import Journey, Staff, setup_program
from domain.privacy import retention
from domain.privacy.ledger import PrivacyRecord
from domain.values import Actor, Role
from tests import test_web_browser as browser_tests
from tests.api_support import Api, running_api
from tests.test_projections_support import fresh_store
from tests.test_reports_output import ENGLISH, IDS
from tests.web_support import NAMES, Class

OFFICER = ("privacy-1", Role.PRIVACY)
READERS = frozenset(
    role for relation in policy.READS["privacy_due"].readers for role in relation.roles
)
STUDENTS = {
    "stud-oud": "Bram Willems",  # passed 20 months ago: both classes due by period
    "stud-half": "Fleur Mulder",  # passed 7 months ago: formative due by period, exam held
    "stud-vraagt": "Yara Haddou",  # running, asked for erasure: formative due, exam waiting
    "stud-stil": "Joris Smit",  # running: nothing due
}
# The words of the code and the API that must not reach a Dutch reader, and this page's own
# ("export" is Dutch too: an inzage-export).
NOT_DUTCH = ENGLISH | {
    "due",
    "waiting",
    "request",
    "formative",
    "exam",
    "hold",
    "erase",
    "erasure",
    "download",
    "student_id",
    "retention",
}


def months_ago(months: int) -> date:
    return retention.add_months(moments.today(), -months)


def seed(api: Api) -> None:
    """The record: four students of one program, their names in the person registry."""
    app = api.state.application
    program = setup_program(app, staff=Staff(), occurred_on=months_ago(24))
    Journey(app, program, "stud-oud").at(months_ago(20)).to_ratified_pass()
    Journey(app, program, "stud-half").at(months_ago(7)).to_ratified_pass()
    Journey(app, program, "stud-vraagt").to_green_light()
    Journey(app, program, "stud-stil").start()
    app.execute(
        c.RequestErasure(student_id="stud-vraagt", classes="all", reason="Verzoek per e-mail"),
        Actor("stud-vraagt", Role.STUDENT),
    )
    api.state.persons.put_many(STUDENTS)


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def site(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Api, Settings]]:
    tmp = tmp_path_factory.mktemp(f"web-privacy-{request.param}")
    pg = request.getfixturevalue("pg_database") if request.param == "postgres" else None
    with fresh_store(request.param, tmp, pg) as store:
        settings = Settings(
            **store.model_dump(exclude_unset=True),
            web_session_secret="the-key-of-this-test",
            audit_enabled=False,
            _env_file=None,
        )
        with running_api(settings) as api:
            seed(api)
            yield api, settings


def as_(api: Api, settings: Settings, person: str, role: Role) -> None:
    """The client's session from now on: signed in as `person`, acting as `role`."""
    session = signed_in_as(person, None, [role], 600)
    api.client.cookies.set(COOKIE, Sessions(settings.web).encode(session))


def main(text: str) -> str:
    return text.split('<main id="inhoud">', 1)[1].split("</main>", 1)[0]


def cells(page: str, table: str) -> list[list[str]]:
    """The body rows of a table of the page, each cell as its text."""
    body = page.split(f'<table class="{table}">', 1)[1].split("</table>", 1)[0]
    body = body.split("<tbody>", 1)[1]
    return [
        [
            html.unescape(re.sub(r"<[^>]+>", "", cell)).strip()
            for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        ]
        for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)
    ]


def who(student: str) -> str:
    return f"{STUDENTS[student]} ({student})"


def download(student: str) -> str:
    return f"Inzage-export van {student} downloaden"


def ledger_exports(api: Api, student: str) -> list[Any]:
    found = retention.read_ledger(api.state.application).get(student)
    records = found.records if found else []
    return [r for r in records if isinstance(r, PrivacyRecord.AccessExported)]


def test_the_page_shows_what_the_api_says_is_due(site: tuple[Api, Settings]) -> None:
    api, settings = site
    as_(api, settings, *OFFICER)
    answer = api.get("/privacy", None)
    assert answer.headers["content-type"].startswith("text/html")
    assert answer.headers["cache-control"] == "no-store"
    page = main(answer.text)
    want = api.get("/privacy/due", OFFICER).json()
    # The record's known content, as the API answers it.
    assert [(d["student_id"], d["retention"], d["because"]) for d in want["due"]] == [
        ("stud-oud", "formative", "period"),
        ("stud-oud", "exam", "period"),
        ("stud-half", "formative", "period"),
        ("stud-vraagt", "formative", "request"),
    ]
    assert [w["student_id"] for w in want["waiting"]] == ["stud-vraagt"]
    # Every row of the API's list, in its order, in Dutch.
    assert cells(page, "privacy-due") == [
        [
            who(d["student_id"]),
            CLASSES[d["retention"]],
            nl.day(d["since"]),
            nl.DUE_BECAUSE[d["because"]],
            download(d["student_id"]),
        ]
        for d in want["due"]
    ]
    assert cells(page, "privacy-waiting") == [
        [who(w["student_id"]), nl.day(w["hold_ends"]), download(w["student_id"])]
        for w in want["waiting"]
    ]
    assert cells(page, "privacy-due")[3][1:4] == [
        "formatief",
        nl.day(moments.today()),
        "verzoek om verwijdering",
    ]
    assert re.fullmatch(r"\d{1,2} [a-z]+ \d{4}", cells(page, "privacy-waiting")[0][1])
    assert f"Stand van {nl.day(want['today'])}." in page
    assert "stud-stil" not in page
    # Dutch only.
    text = re.sub(r"<[^>]+>", " ", page)
    words = set(re.findall(r"[A-Za-z_]+", IDS.sub(" ", text).lower()))
    assert not words & NOT_DUTCH, words & NOT_DUTCH
    # In the menu, as the page it is; the role named in Dutch.
    assert '<a href="/privacy" aria-current="page">Privacy</a>' in answer.text
    assert "(privacyfunctionaris)" in answer.text
    # Mijn werk shows the privacy officer the same list, and the way to the page.
    work = main(api.get("/werk", None).text)
    assert cells(work, "privacy-due") == cells(page, "privacy-due")
    assert cells(work, "privacy-waiting") == cells(page, "privacy-waiting")
    assert '<a href="/privacy">Naar de privacypagina</a>' in work


def test_the_download_is_the_apis_export_and_is_recorded(site: tuple[Api, Settings]) -> None:
    api, settings = site
    as_(api, settings, *OFFICER)
    link = "/privacy/studenten/stud-oud/inzage.zip"
    assert f'href="{link}"' in main(api.get("/privacy", None).text)
    before = len(ledger_exports(api, "stud-oud"))
    answer = api.get(link, None)
    assert answer.headers["content-type"] == "application/zip"
    assert re.fullmatch(
        r'attachment; filename="inzage-[0-9a-f]{12}\.zip"', answer.headers["content-disposition"]
    )
    assert answer.headers["cache-control"] == "no-store"
    with zipfile.ZipFile(io.BytesIO(answer.content)) as archive:
        assert sorted(archive.namelist()) == ["export.html", "export.json"]
        data = json.loads(archive.read("export.json"))
    (trajectory,) = data["trajectories"]
    assert len(trajectory["events"]) == api.event_count(trajectory["trajectory_id"])
    # Recorded in the privacy ledger, as the API's export is: by the officer, this very zip.
    exports = ledger_exports(api, "stud-oud")
    assert len(exports) == before + 1
    assert exports[-1].sha256 == hashlib.sha256(answer.content).hexdigest()
    # The student downloads their own, from Mijn werk; another student's is not there for them.
    as_(api, settings, "stud-half", Role.STUDENT)
    work = main(api.get("/werk", None).text)
    own = "/privacy/studenten/stud-half/inzage.zip"
    assert f'<a href="{own}" download>Mijn gegevens downloaden</a>' in work
    assert "privacy-due" not in work
    mine = api.get(own, None)
    with zipfile.ZipFile(io.BytesIO(mine.content)) as archive:
        assert json.loads(archive.read("export.json"))["trajectories"]
    unknown = api.get("/trajecten/00000000-0000-4000-8000-000000000000", None, 404)
    count = api.state.application.recorder.max_notification_id()
    hidden = api.get(link, None, 404)
    assert main(hidden.text) == main(unknown.text)
    assert api.state.application.recorder.max_notification_id() == count
    # A link on another site makes no export, for the officer either.
    as_(api, settings, *OFFICER)
    for site_of_link in ("cross-site", "same-site"):
        away = api.client.get(link, headers={"Sec-Fetch-Site": site_of_link})
        assert away.status_code == 404 and main(away.text) == main(unknown.text)
    assert api.state.application.recorder.max_notification_id() == count
    assert api.get(link, None, headers={"Sec-Fetch-Site": "same-origin"}).content[:2] == b"PK"
    assert len(ledger_exports(api, "stud-oud")) == before + 2
    # A student of whom nothing is stored: the same page, for the officer too.
    count = api.state.application.recorder.max_notification_id()
    missing = api.get("/privacy/studenten/stud-niemand/inzage.zip", None, 404)
    assert main(missing.text) == main(unknown.text)
    assert api.state.application.recorder.max_notification_id() == count


def test_whoever_may_not_read_the_due_list_gets_the_unknown_page(
    site: tuple[Api, Settings],
) -> None:
    api, settings = site
    assert {Role.PRIVACY} == READERS
    for role in Role:
        if role in READERS:
            continue
        as_(api, settings, f"someone-{role.value}", role)
        count = api.state.application.recorder.max_notification_id()
        unknown = api.get("/trajecten/00000000-0000-4000-8000-000000000000", None, 404)
        for path in ("/privacy", "/privacy/studenten/stud-oud/inzage.zip"):
            answer = api.get(path, None, 404)
            assert main(answer.text) == main(unknown.text), (role, path)
        work = api.get("/werk", None).text
        assert 'href="/privacy"' not in work and "privacy-due" not in work, role
        assert api.state.application.recorder.max_notification_id() == count
    as_(api, settings, *OFFICER)
    assert 'href="/privacy"' in api.get("/werk", None).text
    # Not signed in: to the sign-in page, and back here after it.
    api.client.cookies.clear()
    away = api.client.get("/privacy", follow_redirects=False)
    assert away.status_code == 303
    assert away.headers["location"] == "/aanmelden?terug=%2Fprivacy"


# ---- in a real browser

schema = browser_tests.schema
issuer = browser_tests.issuer
browser_site = browser_tests.site
browser = browser_tests.browser


@pytest.fixture
def context(browser: Any, browser_site: tuple[Api, Class, Settings]) -> Iterator[BrowserContext]:
    yield from browser_tests.opened_context(browser, browser_site[0])


@pytest.mark.slow
def test_the_privacy_page_in_a_browser(
    browser_site: tuple[Api, Class, Settings], context: BrowserContext
) -> None:
    api = browser_site[0]
    app = api.state.application
    # student-02 of the seeded class asks for erasure: formative due now, the exam record waits.
    app.execute(
        c.RequestErasure(student_id="student-02", classes="all", reason="Verzoek per e-mail"),
        Actor("student-02", Role.STUDENT),
    )
    page = context.new_page()
    browser_tests.sign_in(page, "privacy-1")
    expect(page.locator("header .who")).to_contain_text(NAMES["privacy-1"])
    expect(page.get_by_role("heading", name="Nu te verwijderen")).to_be_visible()
    browser_tests.check(page, "werk-privacy")
    page.get_by_role("link", name="Privacy", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Privacy")
    due = page.locator("table.privacy-due tbody tr")
    expect(due).to_have_count(1)
    expect(due).to_contain_text(f"{NAMES['student-02']} (student-02)")
    expect(due).to_contain_text("formatief")
    expect(due).to_contain_text("verzoek om verwijdering")
    expect(due).to_contain_text(nl.day(moments.today()))
    waiting = page.locator("table.privacy-waiting tbody tr")
    expect(waiting).to_have_count(1)
    (held,) = retention.schedule(app).waiting()
    expect(waiting).to_contain_text(nl.day(held.hold_ends))
    browser_tests.check(page, "privacy")

    before = len(ledger_exports(api, "student-02"))
    with page.expect_download() as download:
        due.get_by_role("link", name="Inzage-export van student-02 downloaden").click()
    assert re.fullmatch(r"inzage-[0-9a-f]{12}\.zip", download.value.suggested_filename)
    with zipfile.ZipFile(Path(download.value.path())) as archive:
        data = json.loads(archive.read("export.json"))
    assert data["student_id"] == "student-02" and len(data["trajectories"]) == 1
    assert len(ledger_exports(api, "student-02")) == before + 1

    # A coach has no such page: no menu entry, and the one 404 page.
    coach = context.browser.new_context(  # type: ignore[union-attr]
        base_url=browser_tests.base_of(api), locale="nl-NL"
    )
    try:
        other = coach.new_page()
        browser_tests.sign_in(other, "coach-1")
        expect(other.get_by_role("link", name="Privacy", exact=True)).to_have_count(0)
        other.goto("/privacy")
        expect(other.get_by_role("heading", level=1)).to_have_text("Niet gevonden")
    finally:
        coach.close()
