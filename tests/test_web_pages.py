"""The web pages without a browser: the demo sign-in and when it exists, the session cookie's
attributes, CSRF and Origin checks, safe redirects after sign-in, and the dossier fixes."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from dataclasses import replace

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings
from api.web.session import COOKIE, Sessions, signed_in_as
from domain.application import build_application
from domain.journey import Journey, setup_program
from domain.values import Role
from projections.audit import render

PERSONAS = {"committee": "committee-1", "student": "student-01"}


def demo_settings(settings: Settings, **extra: object) -> Settings:
    return Settings(
        **settings.model_dump(exclude_unset=True),
        seed_demo=True,
        embedded_projections=False,
        audit_enabled=False,
        web_session_secret="the-key-of-this-test",
        _env_file=None,
        **extra,
    )


@pytest.fixture
def demo(settings: Settings) -> Iterator[Settings]:
    """A store that is not empty (so nothing is seeded on start) with demo personas."""
    app = build_application(settings.store)
    program_id = setup_program(app)
    Journey(app, program_id, "student-01").start()
    app.close()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    (settings.data_dir / "demo-personas.json").write_text(json.dumps(PERSONAS))
    yield demo_settings(settings)


def csrf_of(text: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', text)
    assert found, text
    return found.group(1)


def test_the_demo_personas_sign_in_for_make_run(demo: Settings) -> None:
    with TestClient(create_app(demo)) as client:
        page = client.get("/aanmelden")
        assert page.status_code == 200
        assert "Demo: meld u aan als" in page.text
        assert page.headers["content-security-policy"].startswith("default-src 'self'")
        token = csrf_of(page.text)
        # Without the form's token nothing happens.
        refused = client.post(
            "/aanmelden/demo", data={"role": "committee", "person": "committee-1"}
        )
        assert refused.status_code == 403
        # Only the personas of the demo, in their own role.
        forged = client.post(
            "/aanmelden/demo",
            data={"csrf": token, "role": "committee", "person": "student-01"},
        )
        assert forged.status_code == 404
        signed = client.post(
            "/aanmelden/demo",
            data={"csrf": token, "role": "committee", "person": "committee-1", "terug": "/zoeken"},
            follow_redirects=False,
        )
        assert signed.status_code == 303 and signed.headers["location"] == "/zoeken"
        cookie = signed.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" not in cookie
        work = client.get("/werk")
        assert work.status_code == 200 and "Mijn werk" in work.text


def test_no_demo_sign_in_beside_a_real_provider(demo: Settings) -> None:
    configured = replace_settings(
        demo, oidc_issuer="http://127.0.0.1:9", oidc_client_id="bewijsketen"
    )
    with TestClient(create_app(configured)) as client:
        page = client.get("/aanmelden")
        assert "Demo" not in page.text
        assert "Aanmelden met uw schoolaccount" in page.text
        answer = client.post(
            "/aanmelden/demo",
            data={"csrf": "none-on-this-page", "role": "committee", "person": "committee-1"},
        )
        assert answer.status_code == 404
        assert client.get("/werk", follow_redirects=False).status_code == 303


def replace_settings(settings: Settings, **changes: object) -> Settings:
    return Settings(**{**settings.model_dump(exclude_unset=True), **changes}, _env_file=None)


def test_cookies_are_secure_over_https_and_forms_from_elsewhere_are_refused(
    demo: Settings,
) -> None:
    with TestClient(create_app(demo), base_url="https://testserver") as client:
        page = client.get("/aanmelden")
        assert "Secure" in page.headers["set-cookie"]
        token = csrf_of(page.text)
        elsewhere = client.post(
            "/aanmelden/demo",
            data={"csrf": token, "role": "committee", "person": "committee-1"},
            headers={"Origin": "https://evil.example"},
        )
        assert elsewhere.status_code == 403
        signed = client.post(
            "/aanmelden/demo",
            data={"csrf": token, "role": "committee", "person": "committee-1", "terug": "//evil"},
            headers={"Origin": "https://testserver"},
            follow_redirects=False,
        )
        assert signed.headers["location"] == "/werk"
        assert "Secure" in signed.headers["set-cookie"]


def test_an_expired_or_forged_session_is_sent_to_sign_in(demo: Settings) -> None:
    sessions = Sessions(demo.web)
    session = signed_in_as("committee-1", None, [Role.COMMITTEE], 60)
    with TestClient(create_app(demo)) as client:
        client.cookies.set(COOKIE, sessions.encode(replace(session, expires_at=time.time() - 1)))
        answer = client.get("/werk", follow_redirects=False)
        assert answer.status_code == 303
        assert answer.headers["location"] == "/aanmelden?terug=%2Fwerk&verlopen=1"
        client.cookies.set(COOKIE, sessions.encode(session)[:-4] + "AAAA")
        assert client.get("/werk", follow_redirects=False).status_code == 303
        client.cookies.set(COOKIE, sessions.encode(session))
        assert client.get("/werk").status_code == 200


def test_pages_answer_404_alike_for_what_is_missing_and_what_is_hidden(demo: Settings) -> None:
    sessions = Sessions(demo.web)
    with TestClient(create_app(demo)) as client:
        client.cookies.set(
            COOKIE, sessions.encode(signed_in_as("student-02", None, [Role.STUDENT], 60))
        )
        application = client.app.state.bewijsketen.application  # type: ignore[attr-defined]
        # student-01's trajectory, seen by student-02.
        hidden = [f"/trajecten/{tid}" for tid in _trajectories(application)]
        assert hidden
        missing = client.get("/trajecten/00000000-0000-4000-8000-000000000000")
        bad = client.get("/trajecten/not-an-id")
        assert missing.status_code == bad.status_code == 404
        for path in hidden:
            answer = client.get(path)
            assert answer.status_code == 404
            assert _main(answer.text) == _main(missing.text)


def _trajectories(application: object) -> list[str]:
    rows = application.recorder.select_notifications(1, 1000)  # type: ignore[attr-defined]
    return sorted({str(r.originator_id) for r in rows if r.topic.endswith("Trajectory.Started")})


def _main(text: str) -> str:
    return text.split('<main id="inhoud">', 1)[1].split("</main>", 1)[0]


def test_the_dossier_names_the_decision_of_the_latest_attempt() -> None:
    first = {"number": 1, "decisions": [{"decision": "ratified", "passed": False, "at": None}]}
    second = {"number": 2, "decisions": []}
    line = render.decision_line({"attempts": [first, second]})
    assert line.startswith("nog geen besluit over poging 2")
    assert "poging 1: niet geslaagd" in line
    assert render.reason("2 ratify, 0 refer back (quorum 2)") == (
        "2 stemmen voor bekrachtigen, 0 voor terugverwijzen (quorum 2)"
    )
    assert "size: A4" in render.CSS
