"""`bewijsketen serve --demo` (what `make run` starts) and `uvicorn --factory`, as real
processes on a fresh data directory: seeded once, tokens printed, the same store either way."""

from __future__ import annotations

import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings
from domain import moments
from domain.demo import SchoolYear
from domain.program import Program
from domain.trajectory import Trajectory
from domain.values import Role

BIN = Path(sys.executable).parent
TOKEN_LINE = re.compile(r"^\s+(\w+)\s+(\S+)\s+(bwk_\S+)\s*$")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def process(args: list[str], data_dir: Path, until: str) -> Iterator[list[str]]:
    """Runs a server process until a line containing `until` appears; yields its output."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BEWIJSKETEN_")}
    env |= {
        "BEWIJSKETEN_DATA_DIR": str(data_dir),
        "PYTHONUNBUFFERED": "1",
    }
    proc = subprocess.Popen(
        args,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=data_dir.parent,
    )
    lines: queue.Queue[str] = queue.Queue()
    seen: list[str] = []
    stdout = proc.stdout
    assert stdout is not None

    def read() -> None:
        for line in stdout:
            lines.put(line)

    threading.Thread(target=read, daemon=True).start()
    deadline = time.monotonic() + 60
    try:
        while not any(until in line for line in seen):
            assert proc.poll() is None, "".join(seen)
            assert time.monotonic() < deadline, "".join(seen)
            with suppress(queue.Empty):
                seen.append(lines.get(timeout=0.5))
        yield seen
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def wait_healthy(base: str, token: str) -> dict[str, object]:
    """The health details (the log position among them): for a caller with a token."""
    deadline = time.monotonic() + 30
    while True:
        try:
            answer = httpx.get(
                f"{base}/health", headers={"Authorization": f"Bearer {token}"}, timeout=5
            )
            if answer.status_code == 200:
                health: dict[str, object] = answer.json()
                return health
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline, "the server did not become healthy"
        time.sleep(0.1)


def tokens_in(output: list[str]) -> dict[str, tuple[str, str]]:
    found = {}
    for line in output:
        match = TOKEN_LINE.match(line)
        if match:
            found[match.group(1)] = (match.group(2), match.group(3))
    return found


@pytest.mark.slow
def test_serve_demo_then_uvicorn_factory_on_the_same_store(tmp_path: Path) -> None:
    data_dir = tmp_path / "var"
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    serve = [str(BIN / "bewijsketen"), "serve", "--demo", "--port", str(port)]
    with process(serve, data_dir, "Uvicorn running") as output:
        text = "".join(output)
        assert f"API docs: http://127.0.0.1:{port}/docs" in text
        assert "Seeded the demo" in text
        tokens = tokens_in(output)
        # A persona for every role but those outside the school.
        assert set(tokens) == {r.value for r in Role} - {Role.EXTERNAL.value}
        health = wait_healthy(base, tokens["quality"][1])
        first_position = health["position"]
        assert isinstance(first_position, int) and first_position > 500
        student, student_token = tokens["student"]
        cohort = SchoolYear.ending_before(moments.today()).cohort("A")
        own = Trajectory.create_id(Program.create_id("SD-AI"), student, cohort)
        answer = httpx.get(
            f"{base}/trajectories/{own}", headers={"Authorization": f"Bearer {student_token}"}
        )
        assert answer.status_code == 200 and answer.json()["student_id"] == student
        assert httpx.get(f"{base}/docs").status_code == 200

    # A second start finds the demo in place: no second seeding, the same tokens again.
    with process(serve, data_dir, "Uvicorn running") as output:
        assert "Seeded the demo" not in "".join(output)
        assert tokens_in(output) == tokens
        assert wait_healthy(base, tokens["quality"][1])["position"] == first_position
    assert (data_dir / "demo-tokens.json").stat().st_mode & 0o777 == 0o600

    # uvicorn's factory reads the same settings from the environment: same store, same tokens.
    factory = [str(BIN / "uvicorn"), "--factory", "api.app:create_app", "--port", str(port)]
    with process(factory, data_dir, "Uvicorn running"):
        assert wait_healthy(base, tokens["quality"][1])["position"] == first_position
        inspector_token = tokens["inspector"][1]
        answer = httpx.get(
            f"{base}/trajectories/{own}/history",
            headers={"Authorization": f"Bearer {inspector_token}"},
        )
        assert answer.status_code == 200 and answer.json()["items"][0]["event_type"] == "Started"
        # The privacy officer's persona reads what is due for erasure.
        due = httpx.get(
            f"{base}/privacy/due", headers={"Authorization": f"Bearer {tokens['privacy'][1]}"}
        )
        assert due.status_code == 200, due.text


def test_api_processes_start_together_on_a_fresh_database(
    pg_database: str, pg_schema: str, tmp_path: Path
) -> None:
    """Several workers starting at once on an empty database all come up: start-up (which
    creates the tables) is serialised by an advisory lock."""
    settings = Settings(
        data_dir=tmp_path,
        database_url=pg_database,
        database_schema=pg_schema,
        embedded_projections=False,
        _env_file=None,
    )
    barrier = threading.Barrier(3)
    errors: list[BaseException] = []

    def start() -> None:
        try:
            barrier.wait()
            with TestClient(create_app(settings)) as client:
                assert client.get("/health").status_code == 200
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=start) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
