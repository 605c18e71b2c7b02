"""End to end, on SQLite and PostgreSQL, through the command line: one student shredded, then
every table of both databases (event store and read models), every file of the data directory
and every snapshot searched as raw bytes for each text that student submitted and that others
wrote about them, and for their data keys: not one is found. The audit log still verifies,
against a checkpoint exported before the shred too; another student's texts are untouched; the
access export made afterwards holds every event, with the placeholder where a text was."""

from __future__ import annotations

import base64
import json
import sqlite3
import zipfile
from collections.abc import Iterator
from contextlib import closing
from datetime import timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
from typer.testing import CliRunner

from api.cli.main import app as cli
from api.settings import Settings
from domain import commands as c
from domain import moments
from domain.application import Bewijsketen, build_application
from domain.journey import Journey, content_hash, setup_program
from domain.persons import PersonRegistry
from domain.privacy.envelope import PLACEHOLDER
from domain.values import EvidenceKind, FeedbackSource, TrafficLight

runner = CliRunner()
LONG_AGO = moments.today() - timedelta(days=800)


def run(*args: str, code: int = 0) -> str:
    result = runner.invoke(cli, list(args))
    assert result.exit_code == code, (args, result.exit_code, result.output, result.exception)
    return result.output


@pytest.fixture
def env(settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("BEWIJSKETEN_DATA_DIR", str(settings.data_dir))
    if settings.database_url:
        monkeypatch.setenv("BEWIJSKETEN_DATABASE_URL", settings.database_url)
        monkeypatch.setenv("BEWIJSKETEN_DATABASE_SCHEMA", str(settings.database_schema))
    else:
        monkeypatch.delenv("BEWIJSKETEN_DATABASE_URL", raising=False)
    monkeypatch.setenv("BEWIJSKETEN_SNAPSHOT_INTERVAL", "4")
    monkeypatch.setenv("BEWIJSKETEN_AUDIT_KEY_FILE", str(tmp_path / "keys" / "audit.pem"))
    monkeypatch.setenv("BEWIJSKETEN_AUDIT_ORIGIN", "bewijsketen.test/audit")
    monkeypatch.setenv("BEWIJSKETEN_PRIVACY_OFFICER", "privacy-1")
    return Settings(**settings.model_dump(exclude_unset=True), snapshot_interval=4, _env_file=None)


@pytest.fixture
def application(env: Settings) -> Iterator[Bewijsketen]:
    app = build_application(env.store)
    try:
        yield app
    finally:
        app.close()


class Texts:
    """Texts that occur nowhere else, numbered, so a find cannot be a coincidence."""

    def __init__(self, who: str) -> None:
        self.who = who
        self.made: list[str] = []

    def __call__(self, what: str) -> str:
        text = f"Zq{len(self.made):03d}x {what} over {self.who}"
        self.made.append(text)
        return text


def full_record(app: Bewijsketen, program: Any, student: str, t: Texts) -> Journey:
    """A trajectory to a ratified pass, every free text and content reference of it unique."""
    j = Journey(app, program, student).at(LONG_AGO)
    j.start()
    j.run(
        j.on(c.MeasureBaseline, outcome="LO1", level="beginnend", rationale=t("0-meting")),
        j.student,
    )
    for code in j.outcomes:
        for n in range(2):
            evidence_id = j._next("ev")
            j.run(
                j.on(
                    c.SubmitEvidence,
                    evidence_id=evidence_id,
                    title=t("titel van het bewijs"),
                    kind=EvidenceKind.PRODUCT,
                    uri=f"https://portfolio.example.nl/{t('uri').replace(' ', '-')}",
                    sha256=content_hash(f"{student}/{evidence_id}"),
                    outcomes=[code],
                    ai_use=n == 0,
                    declaration=t("verantwoording AI") if n == 0 else "",
                ),
                j.student,
            )
            j.evidence_ids.append(evidence_id)
        j.feedback(FeedbackSource.SELF, student, [code], text=t("zelfreflectie"))
        j.feedback(FeedbackSource.COACH, "coach-1", [code], text=t("feedback van de coach"))
    j.request_feedback(FeedbackSource.PRACTICE, "supervisor-1", ["LO1"], question=t("vraag"))
    j.progress_check(TrafficLight.ORANGE, t("aantekening tussenevaluatie"))
    j.exhibit(t("expositie"), j.evidence_ids[:1])
    j.medium_stake("vakkundig", feedback=t("feedback medium-stake"), rationale=t("waarom 50"))
    j.medium_stake("bekwaam", feedback=t("feedback tweede"), rationale=t("waarom 70"))
    j.green_light(t("groen licht"))
    attempt = j.request_high_stake(ai_explanation=t("uitleg AI-gebruik"))
    j.assign(attempt)
    for assessor in ("assessor-1", "assessor-2"):
        j.judge(
            attempt,
            assessor,
            "bekwaam",
            level_rationales={code: t(f"oordeel {assessor} {code}") for code in j.outcomes},
            rationale=t(f"eindoordeel {assessor}"),
        )
    j.conclude(attempt, rationale=t("conclusie"))
    j.votes(attempt, rationales=(t("stem 1"), t("stem 2")))
    return j


def raw_values(settings: Settings) -> Iterator[tuple[str, bytes]]:
    """Every value of every table of the store's database(s), as bytes."""
    if settings.database_url:
        with psycopg.connect(str(settings.database_url), autocommit=True) as conn:
            tables = conn.execute(
                "SELECT table_schema, table_name FROM information_schema.tables "
                "WHERE table_schema NOT IN ('pg_catalog', 'information_schema') "
                "AND table_type = 'BASE TABLE'"
            ).fetchall()
            for schema, table in tables:
                rows = conn.execute(f'SELECT * FROM "{schema}"."{table}"').fetchall()
                for row in rows:
                    for value in row:
                        yield f"{schema}.{table}", _bytes(value)
        return
    for path in sorted(settings.data_dir.rglob("*.sqlite")):
        with closing(sqlite3.connect(path)) as db:
            names = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
            for table in names:
                for row in db.execute(f'SELECT * FROM "{table}"'):
                    for value in row:
                        yield f"{path.name}:{table}", _bytes(value)


def _bytes(value: Any) -> bytes:
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False).encode()
    return str(value).encode()


def found_anywhere(settings: Settings, needles: list[bytes]) -> list[tuple[str, bytes]]:
    """Where any needle occurs: a table's values, or a file of the data directory (raw)."""
    hits = []
    for where, value in raw_values(settings):
        hits += [(where, n) for n in needles if n in value]
    for path in sorted(p for p in settings.data_dir.rglob("*") if p.is_file()):
        content = path.read_bytes()
        hits += [(str(path), n) for n in needles if n in content]
    return hits


def forms(key: bytes) -> list[bytes]:
    return [key, key.hex().encode(), base64.b64encode(key), base64.urlsafe_b64encode(key)]


def test_one_student_shredded_leaves_nothing_readable(
    application: Bewijsketen, env: Settings, tmp_path: Path
) -> None:
    app = application
    program = setup_program(app, occurred_on=LONG_AGO - timedelta(days=30))
    mine, theirs = Texts("student-1"), Texts("student-2")
    journey = full_record(app, program, "student-1", mine)
    other = Journey(app, program, "student-2")
    other.start()
    other.feedback(FeedbackSource.COACH, "coach-1", ["LO1"], text=theirs("feedback"))
    registry = PersonRegistry.in_data_dir(env.data_dir)
    entry = {"name": "Zqnaam Ilse", "student_number": "Zqnr-7712", "email": "zqmail@school.nl"}
    registry.put_many({"student-1": entry, "student-2": "Sem Bakker"})
    run("projections", "rebuild")
    vkey = run("audit", "keygen").strip().splitlines()[-1]
    anchor = tmp_path / "anchor.checkpoint"
    run("audit", "checkpoint", "--export", str(anchor))

    # Before: readable through the application, stored only sealed, snapshots taken.
    trajectory = app.get_trajectory(journey.id)
    assert {f.text for f in trajectory.feedback} <= set(mine.made)
    assert snapshots(env) > 0
    keys = {k.key_id: app.keys.lookup(k.key_id) for k in app.keys.keys_of("student-1")}
    assert len(keys) == 2 and all(keys.values())
    person = [b"Zqnaam", b"Zqnr-7712", b"zqmail@school.nl"]
    needles = [t.encode() for t in mine.made] + person
    needles += [f for key in keys.values() if key for f in forms(key)]
    assert [n for n in needles if n.startswith(b"Zq")] and len(mine.made) > 30
    before = found_anywhere(env, needles)
    # Only the registry holds them in the clear (persons.json), before the shred.
    assert sorted({n for _, n in before}) == sorted(person)
    assert {where for where, _ in before} == {str(registry.path)}
    assert found_anywhere(env, [b"student-2"])  # the search does read the stores

    output = run(
        "privacy", "erase", "--student", "student-1", "--class", "all", "--reason", "Verzoek"
    )
    assert "Vernietigd" in output and "personenregister gewist" in output

    # After: not one text, name or key of the student anywhere, as raw bytes.
    assert found_anywhere(env, needles) == []
    fresh = build_application(env.store)
    try:
        shredded = fresh.get_trajectory(journey.id)
        assert {f.text for f in shredded.feedback} == {PLACEHOLDER}
        assert shredded.attempts[0].judgments["assessor-1"].rationale == PLACEHOLDER
        # Another student is unchanged.
        assert [f.text for f in fresh.get_trajectory(other.id).feedback] == theirs.made
    finally:
        fresh.close()
    # The audit log verifies, also against the checkpoint exported before the shred.
    policy = tmp_path / "policy.txt"
    policy.write_text(f"log {vkey}\nquorum none\n")
    assert "OK" in run("audit", "verify", "--policy", str(policy), "--against", str(anchor))
    # A dossier exported now shows the placeholder, holds none of it, and verifies offline.
    bundle = tmp_path / "dossier.zip"
    run("audit", "export", "--trajectory", str(journey.id), "-o", str(bundle))
    assert "OK" in run("audit", "verify-export", "--policy", str(policy), str(bundle))
    with zipfile.ZipFile(bundle) as archive:
        dossier = archive.read("dossier.html")
        everything = b"".join(archive.read(n) for n in archive.namelist())
    assert PLACEHOLDER.encode() in dossier
    assert [n for n in needles if n in everything] == []
    # The access export made now holds every event, with the placeholder for every text.
    zipped = tmp_path / "inzage.zip"
    run("privacy", "export", "--student", "student-1", "-o", str(zipped))
    with zipfile.ZipFile(zipped) as archive:
        data = json.loads(archive.read("export.json"))
        page = archive.read("export.html")
    (exported,) = data["trajectories"]
    assert len(exported["events"]) == len(list(app.events.get(journey.id)))
    assert not [n for n in needles if n in page or n in json.dumps(data).encode()]
    assert PLACEHOLDER in json.dumps(data, ensure_ascii=False)
    assert data["person"] is None and all(k["shredded_at"] for k in data["keys"])
    assert [r["event"] for r in data["privacy_records"]] == ["ErasureRequested", "DataShredded"]


def snapshots(settings: Settings) -> int:
    """How many values the snapshot tables hold."""
    return sum(1 for where, _ in raw_values(settings) if "snapshot" in where)


def test_a_formative_erasure_under_the_hold_keeps_the_exam_record(
    application: Bewijsketen, env: Settings
) -> None:
    app = application
    program = setup_program(app)
    journey = Journey(app, program, "student-1")
    journey.to_ratified_pass()
    t = app.get_trajectory(journey.id)
    exam_texts = [j.rationale for j in t.attempts[0].judgments.values()]
    output = run(
        "privacy", "erase", "--student", "student-1", "--class", "all", "--reason", "Verzoek"
    )
    assert "wettelijke bewaarplicht" in output and "formatief" in output
    fresh = build_application(env.store)
    try:
        after = fresh.get_trajectory(journey.id)
        assert {f.text for f in after.feedback} == {PLACEHOLDER}
        assert [j.rationale for j in after.attempts[0].judgments.values()] == exam_texts
        assert after.attempts[0].decision == t.attempts[0].decision
        assert after.medium_stakes[0].rationale == t.medium_stakes[0].rationale
    finally:
        fresh.close()
    due = run("privacy", "due")
    assert "bewaarplicht" in due and "student-1" in due
    refused = run("privacy", "retention", "--by", "privacy-1", code=2)
    assert "--dry-run" in refused
    assert "niets te verwijderen" in run("privacy", "retention", "--dry-run")
    assert "0 studenten verwerkt" in run("privacy", "retention", "--apply")
