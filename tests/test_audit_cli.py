"""`bewijsketen audit …` end to end: keygen, checkpoint --export, verify, export, verify-export."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from api.cli.main import app as cli
from api.settings import Settings
from domain.application import Bewijsketen
from domain.journey import Journey, setup_program
from tests.test_audit_tamper import RawStore, flipped

runner = CliRunner()


@pytest.fixture
def env(settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("BEWIJSKETEN_DATA_DIR", str(settings.data_dir))
    if settings.database_url:
        monkeypatch.setenv("BEWIJSKETEN_DATABASE_URL", settings.database_url)
        monkeypatch.setenv("BEWIJSKETEN_DATABASE_SCHEMA", str(settings.database_schema))
    else:
        monkeypatch.delenv("BEWIJSKETEN_DATABASE_URL", raising=False)
    key = tmp_path / "keys" / "audit.pem"
    monkeypatch.setenv("BEWIJSKETEN_AUDIT_KEY_FILE", str(key))
    monkeypatch.setenv("BEWIJSKETEN_AUDIT_CHECKPOINT_EVERY", "10")
    return key


def run(*args: str, code: int = 0) -> str:
    result = runner.invoke(cli, list(args))
    assert result.exit_code == code, (args, result.exit_code, result.output, result.exception)
    return result.output


def test_the_audit_commands_end_to_end(
    app: Bewijsketen, settings: Settings, env: Path, tmp_path: Path
) -> None:
    journey = Journey(app, setup_program(app), "student-1")
    journey.to_ratified_pass()
    assert "key id" in run("audit", "keygen")
    assert env.stat().st_mode & 0o077 == 0  # readable by its owner only
    assert "exists" in run("audit", "keygen", code=2)
    anchor = tmp_path / "anchor.json"
    assert "tree size" in run("audit", "checkpoint", "--export", str(anchor))
    assert "OK" in run("audit", "verify", "--against", str(anchor))

    bundle = tmp_path / "dossier.zip"
    run("audit", "export", "--trajectory", str(journey.id), "-o", str(bundle))
    assert "OK" in run("audit", "verify-export", str(bundle))
    with zipfile.ZipFile(bundle) as archive:
        files = {n: archive.read(n) for n in archive.namelist()}
    files["dossier.html"] = files["dossier.html"].replace(b"geslaagd", b"cum laude", 1)
    broken = tmp_path / "broken.zip"
    with zipfile.ZipFile(broken, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    assert "dossier.html" in run("audit", "verify-export", str(broken), code=1)

    raw = RawStore(settings)
    position = raw.positions()[20]
    raw.set_state(position, flipped(raw.row(position).state))
    output = run("audit", "verify", "--against", str(anchor), code=1)
    assert f"ALTERED at position {position}" in output
