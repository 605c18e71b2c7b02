"""The runner and the rebuild: NOTIFY wake-ups, rebuilding beside live tables, the CLI, and
refusing to go on when the log and the read models disagree."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from api.cli.main import app as cli
from api.settings import Settings
from domain.application import Bewijsketen, build_application
from domain.journey import Journey, setup_program
from domain.values import TrafficLight
from projections import log
from projections.config import ProjectionConfig
from projections.models import all_models, by_name
from projections.rebuild import rebuild
from projections.runner import Runner, wait_for_position
from projections.state import ProjectionIntegrityError
from projections.store import ReadStore, RebuildRunning, open_store
from tests.test_projections_support import assert_equal_dumps, dump, read_config, rebuilt


@pytest.fixture
def config(settings: Settings) -> ProjectionConfig:
    return read_config(settings)


@pytest.fixture
def read_store(config: ProjectionConfig) -> Iterator[ReadStore]:
    store = open_store(config)
    yield store
    store.close()


def students(app: Bewijsketen, n: int, prefix: str = "student") -> list[Journey]:
    program_id = setup_program(app, code=f"P-{prefix}")
    journeys = []
    for i in range(n):
        journey = Journey(app, program_id, f"{prefix}-{i}")
        journey.to_green_light()
        journeys.append(journey)
    return journeys


def test_postgres_runner_wakes_on_notify(pg_database: str, pg_schema: str, tmp_path: Path) -> None:
    """SQLite has no notifications: there the runner polls (the API tests run on that)."""
    settings = Settings(
        data_dir=tmp_path,
        database_url=pg_database,
        database_schema=pg_schema,
        _env_file=None,
    )
    # With an hour between polls, only a notification can wake the runner in time.
    slow = ProjectionConfig.build(settings.store, poll_interval=3600.0)
    app = build_application(settings.store)
    store = open_store(slow)
    runner = Runner(app, store, all_models(), slow)
    runner.ensure()
    stop = threading.Event()
    thread = threading.Thread(target=runner.run, args=(stop,), daemon=True)
    thread.start()
    try:
        (journey,) = students(app, 1)
        position = log.head(app)
        reached = wait_for_position(store, "progress", position, 30, runner.committed)
        assert reached >= position
        journey.progress_check(TrafficLight.RED, "Late")
        reached = wait_for_position(store, "progress", log.head(app), 30, runner.committed)
        assert reached == log.head(app)
    finally:
        stop.set()
        thread.join(timeout=10)
        store.close()
        app.close()
    assert not thread.is_alive()


def test_rebuild_builds_beside_and_swaps_without_going_back(
    app: Bewijsketen, read_store: ReadStore, config: ProjectionConfig, settings: Settings
) -> None:
    store = read_store
    journeys = students(app, 3)
    runner = Runner(app, store, all_models(), config)
    runner.ensure()
    runner.catch_up()
    # Mark the live table so that old rows can be told from rebuilt ones.
    table = store.live.q("progress_trajectories")
    with store.transaction() as tx:
        tx.execute(f"UPDATE {table} SET next_step = 'old'")
    seen: list[tuple[str, set[str]]] = []
    extra = Journey(app, journeys[0].program_id, "student-late")

    def stage(text: str) -> None:
        steps = {str(r["next_step"]) for r in store.query(f"SELECT next_step FROM {table}")}
        seen.append((text, steps))
        if text.startswith("writing"):
            extra.start()  # a command while the rebuild runs

    position = rebuild(app, store, by_name(["progress"]), stage=stage)
    # Until the swap, readers saw the old tables, complete.
    assert [steps for _text, steps in seen] == [{"old"}, {"old"}]
    assert position == log.head(app)
    assert store.position("progress") == position
    after = store.query(f"SELECT student_id, next_step FROM {table}")
    assert sorted(r["student_id"] for r in after) == sorted(
        [*(j.student.person_id for j in journeys), "student-late"]
    )
    assert "old" not in {r["next_step"] for r in after}
    runner.catch_up()
    assert_equal_dumps(dump(store), rebuilt(app, settings))
    tracked = {t.name: t for t in store.tracking()}
    assert tracked["progress"].rebuilt_at is not None and tracked["cohorts"].rebuilt_at is None


def test_one_rebuild_at_a_time(app: Bewijsketen, read_store: ReadStore) -> None:
    store = read_store
    students(app, 1)
    with store.rebuild_lock(), pytest.raises(RebuildRunning):
        rebuild(app, store, all_models())


def test_cli_rebuild_and_status(
    app: Bewijsketen, config: ProjectionConfig, settings: Settings, tmp_path: Path
) -> None:
    students(app, 2)
    env = {
        "BEWIJSKETEN_DATA_DIR": str(settings.data_dir),
        "BEWIJSKETEN_READ_SCHEMA": config.read_schema,
        "BEWIJSKETEN_READ_DATABASE": str(config.read_path),
        "BEWIJSKETEN_DATABASE_URL": settings.database_url or "",
        "BEWIJSKETEN_DATABASE_SCHEMA": settings.database_schema or "",
    }
    runner = CliRunner()
    result = runner.invoke(cli, ["projections", "rebuild"], env=env)
    assert result.exit_code == 0, result.output
    assert f"swapped in at log position {log.head(app)}" in result.output
    assert runner.invoke(cli, ["projections", "rebuild", "nonsense"], env=env).exit_code == 2
    status = runner.invoke(cli, ["projections", "status"], env=env)
    assert status.exit_code == 0 and "calibration" in status.output
    store = open_store(config)
    try:
        assert_equal_dumps(dump(store), rebuilt(app, settings))
    finally:
        store.close()


def test_a_changed_table_layout_starts_that_projection_again(
    app: Bewijsketen, read_store: ReadStore, config: ProjectionConfig, settings: Settings
) -> None:
    store = read_store
    students(app, 2)
    runner = Runner(app, store, all_models(), config)
    runner.ensure()
    runner.catch_up()
    with store.transaction() as tx:
        tx.execute(
            f"UPDATE {store.live.q('projection_tracking')} SET fingerprint = 'older' "
            f"WHERE name = 'borging'"
        )
    runner.ensure()
    positions = {t.name: t.position for t in store.tracking()}
    assert positions["borging"] == 0 and positions["progress"] == log.head(app)
    assert store.query(f"SELECT * FROM {store.live.q('borging_state')}") == []
    runner.catch_up()
    assert_equal_dumps(dump(store), rebuilt(app, settings))


def test_events_applied_twice_are_refused_not_absorbed(
    app: Bewijsketen, read_store: ReadStore, config: ProjectionConfig
) -> None:
    store = read_store
    students(app, 1)
    runner = Runner(app, store, all_models(), config)
    runner.ensure()
    runner.catch_up()
    head = log.head(app)
    with store.transaction() as tx:
        tx.execute(f"UPDATE {store.live.q('projection_tracking')} SET position = {head - 3}")
    with pytest.raises(ProjectionIntegrityError):
        runner.step()
    assert {t.position for t in store.tracking()} == {head - 3}
