"""The demo class, its determinism, and the CLI that seeds and shows it."""

from __future__ import annotations

import json
import uuid
from collections import Counter
from pathlib import Path

import pytest
from typer.testing import CliRunner

from api.cli.main import app as cli
from api.settings import Settings
from domain.application import Bewijsketen, build_application
from domain.demo import seed_demo
from domain.history import history
from domain.persons import PersonRegistry
from domain.values import Phase


def fingerprint(app: Bewijsketen) -> list[tuple[str, int, str, dict[str, object]]]:
    """Everything stored except the moment each event was written."""
    rows = []
    for n in app.recorder.select_notifications(start=1, limit=10**9):
        state = json.loads(n.state)
        state.pop("timestamp", None)
        rows.append((str(n.originator_id), n.originator_version, n.topic, state))
    return rows


def test_demo_covers_every_phase(app: Bewijsketen) -> None:
    summary = seed_demo(app, students=25, seed=7)
    assert len(summary.trajectories) == 25
    trajectories = {s: app.get_trajectory(t) for s, t in summary.trajectories.items()}
    phases = Counter(t.phase for t in trajectories.values())
    assert {
        Phase.ORIENTATION,
        Phase.LOW_STAKES,
        Phase.MEDIUM_STAKES,
        Phase.HIGH_STAKE,
        Phase.CLOSED,
    } <= set(phases)
    by_scenario = {summary.scenarios[s]: t for s, t in trajectories.items()}
    resit = by_scenario["failed_resit"]
    assert resit.attempts[0].passed is False and resit.attempts[0].development_plan
    assert len(resit.attempts) == 2 and resit.phase is Phase.HIGH_STAKE
    assert by_scenario["early_route"].attempts[0].early is True
    assert by_scenario["doubt_cgi"].attempts[0].interview_held and by_scenario["doubt_cgi"].closed
    assert by_scenario["red_light"].progress_checks[-1].light.value == "red"
    ai = by_scenario["passed_ai"]
    assert any(e.ai_use for e in ai.evidence.values())
    assert ai.attempts[0].reading_guide["ai_explanation"]
    assert sum(1 for t in trajectories.values() if t.closed) >= 3


def test_same_seed_same_data(tmp_path: Path) -> None:
    def seeded(name: str, seed: int) -> list[tuple[str, int, str, dict[str, object]]]:
        app = build_application(Settings(data_dir=tmp_path / name, _env_file=None).store)
        seed_demo(app, students=12, seed=seed)
        rows = fingerprint(app)
        app.close()
        return rows

    first, again, other = seeded("a", 7), seeded("b", 7), seeded("c", 8)
    assert first == again
    assert first != other


def test_history_keeps_judgments_sealed(app: Bewijsketen) -> None:
    summary = seed_demo(app, students=12, seed=7)
    student = next(s for s, kind in summary.scenarios.items() if kind == "high_stake_judging")
    rows = history(app.trajectory_events(summary.trajectories[student]))
    assert [r.version for r in rows] == list(range(1, len(rows) + 1))
    judged = [r for r in rows if r.event_type == "JudgmentSubmitted"]
    assert judged and all("sealed" in r.summary and "bekwaam" not in r.summary for r in judged)
    assert all(r.actor_id and r.actor_role for r in rows)


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("BEWIJSKETEN_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.delenv("BEWIJSKETEN_DATABASE_URL", raising=False)
    monkeypatch.setenv("COLUMNS", "200")
    return tmp_path / "var"


def test_cli_demo_and_trajectory_show(cli_env: Path) -> None:
    runner = CliRunner()
    seeded = runner.invoke(cli, ["demo", "--students", "12"])
    assert seeded.exit_code == 0, seeded.output
    assert "failed_resit" in seeded.output and "closed" in seeded.output
    names = PersonRegistry.in_data_dir(cli_env).all()
    assert names["student-01"] and names["student-01"] != "student-01"

    app = build_application(Settings(data_dir=cli_env, _env_file=None).store)
    summary_ids = {
        str(n.originator_id)
        for n in app.recorder.select_notifications(start=1, limit=10**6)
        if n.topic.endswith("Trajectory.Started")
    }
    trajectory_id = sorted(summary_ids)[0]
    version = app.get_trajectory(uuid.UUID(trajectory_id)).version
    app.close()
    shown = runner.invoke(cli, ["trajectory", "show", trajectory_id])
    assert shown.exit_code == 0, shown.output
    assert "History" in shown.output and "Started" in shown.output
    past = runner.invoke(cli, ["trajectory", "show", trajectory_id, "--version", "1"])
    assert past.exit_code == 0 and "(version 1)" in past.output
    head = runner.invoke(cli, ["trajectory", "show", trajectory_id])
    assert f"(version {version})" in head.output
    again = runner.invoke(cli, ["demo", "--students", "12"])
    assert again.exit_code == 1 and "already holds" in again.output
    missing = runner.invoke(cli, ["trajectory", "show", "00000000-0000-0000-0000-000000000000"])
    assert missing.exit_code == 1 and "not found" in missing.output
