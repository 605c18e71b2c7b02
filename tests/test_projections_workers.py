"""Real worker processes (`bewijsketen project`) under a stream of commands.

- Crash: the worker is killed with SIGKILL while it is inside a batch transaction, again and
  again; after a restart the read models equal a rebuild (no event missed, none applied twice).
- Two workers on the same projections at once: still equal to a rebuild.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from api.settings import Settings
from domain.application import Bewijsketen, build_application
from projections import log
from projections.config import ProjectionConfig
from projections.models import all_models
from projections.store import APPLICATION_NAME, ReadStore, open_store
from tests.conftest import TEST_KEK
from tests.test_projections_support import (
    Driver,
    assert_equal_dumps,
    assert_progress_matches_aggregates,
    dump,
    read_config,
    rebuilt,
)

BEWIJSKETEN = str(Path(sys.executable).with_name("bewijsketen"))
NAMES = [m.name for m in all_models()]


def worker_env(settings: Settings, config: ProjectionConfig) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BEWIJSKETEN_")}
    env.update(
        # The store's key-encryption key (every process sharing a store is given the same).
        BEWIJSKETEN_KEK=TEST_KEK,
        BEWIJSKETEN_DATA_DIR=str(settings.data_dir),
        BEWIJSKETEN_READ_SCHEMA=config.read_schema,
        BEWIJSKETEN_READ_DATABASE=str(config.read_path),
        BEWIJSKETEN_PROJECTION_BATCH_SIZE="5",
        BEWIJSKETEN_PROJECTION_POLL_INTERVAL="0.05",
    )
    if settings.database_url:
        env["BEWIJSKETEN_DATABASE_URL"] = settings.database_url
        env["BEWIJSKETEN_DATABASE_SCHEMA"] = settings.database_schema or "public"
    return env


def spawn(
    settings: Settings, config: ProjectionConfig, *args: str, log: Path | None = None
) -> subprocess.Popen[bytes]:
    """A worker process; its log (stderr) goes to `log`, or to a file beside the data."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    log = log or settings.data_dir / f"worker-{time.monotonic_ns()}.log"
    with open(log, "wb") as sink:
        return subprocess.Popen(
            [BEWIJSKETEN, "project", "--log-level", "DEBUG", *args],
            env=worker_env(settings, config),
            cwd=settings.data_dir,
            stdout=subprocess.DEVNULL,
            stderr=sink,
        )


class CommandStream:
    """Random valid commands from a thread, until stopped (or `moves` were made)."""

    def __init__(
        self, app: Bewijsketen, seed: int, trajectories: int, moves: int, pace: float = 0.0
    ) -> None:
        rng = random.Random(seed)
        self.pace = pace
        self.driver = Driver(app, rng.randrange, trajectories)
        self.moves = moves
        self.stop = threading.Event()
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        try:
            for _ in range(self.moves):
                if self.stop.wait(self.pace):
                    return
                self.driver.move()
        except BaseException as exc:  # surfaced by join()
            self.error = exc

    def __enter__(self) -> CommandStream:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.join()

    def join(self) -> None:
        self.thread.join(timeout=120)
        if self.error is not None:
            raise self.error


def wait_caught_up(app: Bewijsketen, store: ReadStore, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    head = log.head(app)
    while time.monotonic() < deadline:
        if all((store.position(n) or 0) >= head for n in NAMES):
            return
        time.sleep(0.05)
    raise AssertionError(f"the workers did not reach position {head} in {timeout} s")


@pytest.fixture
def pg_app(
    pg_database: str, pg_schema: str, tmp_path: Path
) -> Iterator[tuple[Settings, Bewijsketen]]:
    settings = Settings(
        data_dir=tmp_path,
        database_url=pg_database,
        database_schema=pg_schema,
        _env_file=None,
    )
    app = build_application(settings.store)
    yield settings, app
    app.close()


def inside_a_batch(conn: psycopg.Connection[tuple[object, ...]]) -> bool:
    """A worker holds an open transaction that has locked or written rows (it has an xid)."""
    row = conn.execute(
        "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s "
        "AND datname = current_database() AND backend_xid IS NOT NULL",
        (APPLICATION_NAME,),
    ).fetchone()
    return bool(row and row[0])


@pytest.mark.slow
def test_a_worker_killed_mid_batch_resumes_exactly_once(
    pg_database: str, pg_app: tuple[Settings, Bewijsketen]
) -> None:
    settings, app = pg_app
    config = read_config(settings)
    kills_in_batch = 0
    with (
        psycopg.connect(pg_database, autocommit=True) as watch,
        CommandStream(app, seed=7, trajectories=10, moves=100_000) as stream,
    ):
        worker = spawn(settings, config)
        try:
            for _ in range(6):
                deadline = time.monotonic() + 20
                while not inside_a_batch(watch) and time.monotonic() < deadline:
                    time.sleep(0.001)
                caught = inside_a_batch(watch)
                worker.send_signal(signal.SIGKILL)
                assert worker.wait(timeout=10) == -signal.SIGKILL
                kills_in_batch += int(caught)
                worker = spawn(settings, config)
        finally:
            worker.send_signal(signal.SIGKILL)
            worker.wait(timeout=10)
        stream.stop.set()
    assert kills_in_batch >= 4, "the worker was rarely caught inside a batch"
    assert stream.driver.written > 100
    final_log = settings.data_dir / "final.log"
    final = spawn(settings, config, "--once", log=final_log)
    assert final.wait(timeout=120) == 0, final_log.read_text()
    store = open_store(config)
    try:
        assert all((store.position(n) or 0) == log.head(app) for n in NAMES)
        assert_equal_dumps(dump(store), rebuilt(app, settings))
        assert assert_progress_matches_aggregates(app, store) == 10
    finally:
        store.close()


@pytest.mark.slow
def test_two_workers_at_once_apply_every_event_once(settings: Settings) -> None:
    app = build_application(settings.store)
    config = read_config(settings)
    store = open_store(config)
    logs = [settings.data_dir / "worker-a.log", settings.data_dir / "worker-b.log"]
    workers = [spawn(settings, config, log=logs[0]), spawn(settings, config, log=logs[1])]
    try:
        deadline = time.monotonic() + 60
        while not all(p.exists() and "started" in p.read_text() for p in logs):
            assert time.monotonic() < deadline, [p.read_text() for p in logs]
            time.sleep(0.05)
        # A paced stream, so that both workers find work while the other one waits.
        with CommandStream(app, seed=3, trajectories=8, moves=350, pace=0.005) as stream:
            stream.join()
        wait_caught_up(app, store)
        for worker in workers:
            worker.send_signal(signal.SIGTERM)
        for worker, worker_log in zip(workers, logs, strict=True):
            assert worker.wait(timeout=30) == 0, worker_log.read_text()
        batches = [worker_log.read_text().count(" applied ") for worker_log in logs]
        assert all(batches), f"both workers should have applied batches: {batches}"
        assert_equal_dumps(dump(store), rebuilt(app, settings))
        assert assert_progress_matches_aggregates(app, store) == 8
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
                worker.wait()
        store.close()
        app.close()
