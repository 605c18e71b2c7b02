"""The command line loads a command's module only when it runs, yet lists and finds them all."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from api.cli.main import app as cli

COMMANDS = ("audit", "demo", "project", "projections", "serve", "token", "trajectory")


def test_help_lists_every_command(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    shown = CliRunner().invoke(cli, ["--help"])
    assert shown.exit_code == 0, shown.output
    listed = [line.split()[1] for line in shown.output.splitlines() if line.startswith("│ ")]
    assert set(COMMANDS) <= set(listed), listed


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_is_found(command: str) -> None:
    shown = CliRunner().invoke(cli, [command, "--help"])
    assert shown.exit_code == 0, shown.output
    assert f" {command} [OPTIONS]" in shown.output


def test_a_typo_gets_a_suggestion() -> None:
    refused = CliRunner().invoke(cli, ["tokn", "list"])
    assert refused.exit_code == 2
    assert "Did you mean 'token'?" in refused.output
