"""Settings from the environment and `.env`, and the suite's refusal to skip PostgreSQL."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from api.settings import Settings, reference


def test_embedded_sqlite_by_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BEWIJSKETEN_DATABASE_URL", raising=False)
    monkeypatch.setenv("BEWIJSKETEN_DATA_DIR", str(tmp_path / "store"))
    env = Settings(_env_file=None).store.event_store_env()
    assert env["PERSISTENCE_MODULE"] == "eventsourcing.sqlite"
    assert env["SQLITE_DBNAME"] == str(tmp_path / "store" / "bewijsketen.sqlite")


def test_postgres_from_a_dotenv_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BEWIJSKETEN_DATABASE_URL", raising=False)
    monkeypatch.delenv("BEWIJSKETEN_THREADS", raising=False)
    dotenv = tmp_path / ".env"
    dotenv.write_text(
        "BEWIJSKETEN_DATABASE_URL=postgresql://app:s%40cret@db.internal:6543/records\n"
        "BEWIJSKETEN_THREADS=6\n"
    )
    env = Settings(_env_file=dotenv).store.event_store_env()
    assert env["PERSISTENCE_MODULE"] == "domain.persistence.recorder:Factory"
    assert (env["POSTGRES_HOST"], env["POSTGRES_PORT"]) == ("db.internal", "6543")
    assert (env["POSTGRES_USER"], env["POSTGRES_PASSWORD"]) == ("app", "s@cret")
    assert env["POSTGRES_DBNAME"] == "records"
    # The pool never holds more connections than the process has worker threads.
    assert int(env["POSTGRES_POOL_SIZE"]) + int(env["POSTGRES_MAX_OVERFLOW"]) == 6


def test_unsupported_database_url_is_refused() -> None:
    with pytest.raises(ValueError, match="scheme"):
        Settings(database_url="mysql://x@y/z", _env_file=None).store.event_store_env()


def test_unreachable_postgres_fails_the_run_and_says_how_to_start_it(tmp_path: Path) -> None:
    env = os.environ | {"BEWIJSKETEN_TEST_SERVER_URL": "postgresql://postgres@127.0.0.1:1"}
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "tests/test_journey.py::test_start_to_ratified_pass",
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=Path(__file__).parent.parent,
        timeout=120,
    )
    assert run.returncode != 0
    assert "pg_ctlcluster" in run.stdout and "never skips" in run.stdout
    assert "skipped" not in run.stdout


def test_one_settings_class_reads_every_part(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BEWIJSKETEN_AUDIT_CHECKPOINT_EVERY", "7")
    monkeypatch.setenv("BEWIJSKETEN_PROJECTION_BATCH_SIZE", "33")
    monkeypatch.setenv("BEWIJSKETEN_DATABASE_SCHEMA", "school")
    settings = Settings(_env_file=None)
    assert settings.audit.checkpoint_every == 7
    assert settings.projections.batch_size == 33
    # The read models sit beside the events: their schema follows the event schema.
    assert settings.projections.read_schema == "school_read"
    assert settings.store.database_schema == "school"


def test_no_module_but_the_settings_reads_the_environment() -> None:
    # One settings class per process: nothing else in the code reads BEWIJSKETEN_* itself.
    root = Path(__file__).parent.parent
    readers = [
        str(path.relative_to(root))
        for folder in ("domain", "projections", "api")
        for path in (root / folder).rglob("*.py")
        if "BaseSettings" in path.read_text(encoding="utf-8")
    ]
    assert readers == ["api/settings.py"]


def test_the_configuration_reference_is_the_settings_class() -> None:
    undescribed = [name for name, f in Settings.model_fields.items() if not f.description]
    assert not undescribed, f"settings without a description: {undescribed}"
    doc = Path(__file__).resolve().parent.parent / "docs" / "configuration.md"
    assert reference() in doc.read_text(encoding="utf-8"), (
        "docs/configuration.md is out of date: run `python -m api.settings`"
    )
