"""The projection worker also seals the audit log, so docker-compose needs no extra service."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from api.cli.main import app as cli


def test_project_once_applies_and_seals(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BEWIJSKETEN_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.delenv("BEWIJSKETEN_DATABASE_URL", raising=False)
    runner = CliRunner()
    assert runner.invoke(cli, ["demo", "--students", "4"]).exit_code == 0
    assert runner.invoke(cli, ["audit", "keygen"]).exit_code == 0
    unsealed = runner.invoke(cli, ["audit", "verify"])
    worked = runner.invoke(cli, ["project", "--once"])
    assert worked.exit_code == 0, worked.output
    assert "Sealed" in worked.output and "Sealed 0 " not in worked.output
    verified = runner.invoke(cli, ["audit", "verify"])
    assert verified.exit_code == 0, verified.output
    assert "OK" in verified.output and verified.output != unsealed.output
    skipped = runner.invoke(cli, ["project", "--once", "--no-seal"])
    assert skipped.exit_code == 0 and "Sealed" not in skipped.output
