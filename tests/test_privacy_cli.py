"""`bewijsketen privacy …` on both stores: what is due, the retention job (dry run and applied),
erasure and export refused for a student of whom nothing is stored (writing nothing), and the
privacy officer named on every record."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from api.settings import Settings
from domain.application import Bewijsketen, build_application
from domain.journey import Journey, setup_program
from domain.privacy import retention
from domain.privacy.envelope import PLACEHOLDER
from domain.privacy.erasure import Eraser
from domain.privacy.ledger import PrivacyRecord
from domain.values import Actor, FeedbackSource, Role
from tests.test_privacy_shred import run


@pytest.fixture
def application(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[Bewijsketen]:
    monkeypatch.setenv("BEWIJSKETEN_DATA_DIR", str(settings.data_dir))
    if settings.database_url:
        monkeypatch.setenv("BEWIJSKETEN_DATABASE_URL", settings.database_url)
        monkeypatch.setenv("BEWIJSKETEN_DATABASE_SCHEMA", str(settings.database_schema))
    else:
        monkeypatch.delenv("BEWIJSKETEN_DATABASE_URL", raising=False)
    monkeypatch.delenv("BEWIJSKETEN_PRIVACY_OFFICER", raising=False)
    app = build_application(settings.store)
    try:
        yield app
    finally:
        app.close()


def head(app: Bewijsketen) -> int:
    return int(app.recorder.max_notification_id() or 0)


def test_due_and_the_retention_job(application: Bewijsketen, tmp_path: Path) -> None:
    app = application
    assert "Er is niets te verwijderen." in run("privacy", "due")
    journey = Journey(app, setup_program(app), "student-1")
    journey.start()
    journey.feedback(FeedbackSource.COACH, "coach-1", ["LO1"], text="Tekst over de student")
    Eraser(app).request(Actor("student-1", Role.STUDENT), "student-1", "formative", "Verzoek")
    due = run("privacy", "due")
    assert "Te verwijderen (1)" in due and "student-1" in due and "formatief" in due
    before = head(app)
    assert "student-1" in run("privacy", "retention", "--dry-run", "--by", "privacy-1")
    assert head(app) == before  # a dry run writes nothing
    run("privacy", "retention", "--apply", code=2)  # who does it must be named
    applied = run("privacy", "retention", "--apply", "--by", "privacy-1")
    assert "student-1: formatief vernietigd" in applied and "1 studenten verwerkt" in applied
    # The shred was another process's: this one sees it at its next poll of the key store.
    app.keys.refresh(force=True)
    assert app.get_trajectory(journey.id).feedback[0].text == PLACEHOLDER
    requested, shred = retention.read_ledger(app)["student-1"].records
    assert isinstance(shred, PrivacyRecord.DataShredded) and shred.key_ids
    assert shred.actor == Actor("privacy-1", Role.PRIVACY)
    assert shred.request_id == requested.originator_id
    assert "niets te verwijderen" in run("privacy", "due")


def test_nothing_is_erased_or_exported_of_an_unknown_student(
    application: Bewijsketen, tmp_path: Path
) -> None:
    app = application
    Journey(app, setup_program(app), "student-1").start()
    before = head(app)
    erased = run(
        "privacy",
        "erase",
        "--student",
        "student-404",
        "--class",
        "all",
        "--reason",
        "x",
        "--by",
        "privacy-1",
        code=2,
    )
    assert "Niet gevonden" in erased
    zipped = tmp_path / "x.zip"
    exported = run(
        "privacy",
        "export",
        "--student",
        "student-404",
        "-o",
        str(zipped),
        "--by",
        "privacy-1",
        code=2,
    )
    assert "Niet gevonden" in exported and not zipped.exists()
    run(
        "privacy",
        "erase",
        "--student",
        "student-1",
        "--class",
        "some",
        "--reason",
        "x",
        "--by",
        "privacy-1",
        code=2,
    )
    assert head(app) == before
