"""Reusable pieces of the API benchmark: a real server, seeded trajectories with tokens, and a
bounded load of real HTTP clients.

    with api_server(database_url, schema) as base_url:
        targets = seed(database_url, schema, trajectories=64)
        result = feedback_load(base_url, targets, clients=8, seconds=10)

Other benchmarks (projections, audit) drive "the API benchmark's load" with these same pieces,
passing `env` to turn their background services on in the server.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx

from api.settings import Settings
from api.tokens import TokenStore
from domain.application import build_application
from domain.journey import Journey, setup_program
from domain.values import Role

# The API process's own background services are off unless a benchmark asks for them.
QUIET_SERVICES = {
    "BEWIJSKETEN_EMBEDDED_PROJECTIONS": "false",
    "BEWIJSKETEN_AUDIT_ENABLED": "false",
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# The server process behind each base URL `api_server` yields, for `server_cpu_seconds`.
SERVER_PIDS: dict[str, int] = {}


def _cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rpartition(")")[2].split()
    # utime and stime (fields 14 and 15), in clock ticks, of all the process's threads.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def server_cpu_seconds(base_url: str) -> float:
    """CPU time used so far by the server behind `base_url` and its worker processes: the cost
    of its requests, whatever else the machine is doing (unlike a rate on a shared machine)."""
    root = SERVER_PIDS[base_url]
    total = _cpu_seconds(root)
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                parent = int(stat.read().rpartition(")")[2].split()[1])
            if parent == root:
                total += _cpu_seconds(int(entry))
        except (OSError, ValueError, IndexError):
            continue  # gone meanwhile
    return total


@contextmanager
def api_server(
    database_url: str,
    schema: str | None = None,
    threads: int = 16,
    env: dict[str, str] | None = None,
    workers: int = 1,
    startup_seconds: float = 60,
) -> Iterator[str]:
    """Runs `uvicorn --factory api.app:create_app` against a PostgreSQL database in a
    subprocess, on a free port; yields its base URL once /health answers."""
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="bewijsketen-bench-") as data_dir:
        child_env = {k: v for k, v in os.environ.items() if not k.startswith("BEWIJSKETEN_")}
        child_env |= {
            # The store's key-encryption key (bench/__init__.py): without it the server refuses.
            "BEWIJSKETEN_KEK": os.environ["BEWIJSKETEN_KEK"],
            "BEWIJSKETEN_DATABASE_URL": database_url,
            "BEWIJSKETEN_THREADS": str(threads),
            "BEWIJSKETEN_DATA_DIR": data_dir,
            **QUIET_SERVICES,
            **(env or {}),
        }
        if schema:
            child_env["BEWIJSKETEN_DATABASE_SCHEMA"] = schema
        command = [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            "api.app:create_app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--no-access-log",
            "--log-level",
            "warning",
            "--workers",
            str(workers),
        ]
        server = subprocess.Popen(command, env=child_env, cwd=data_dir)
        base_url = f"http://127.0.0.1:{port}"
        SERVER_PIDS[base_url] = server.pid
        try:
            _wait_until_healthy(base_url, server, startup_seconds)
            yield base_url
        finally:
            SERVER_PIDS.pop(base_url, None)
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


def _wait_until_healthy(base_url: str, server: subprocess.Popen[bytes], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while True:
        if server.poll() is not None:
            raise RuntimeError(f"the API server exited with {server.returncode}")
        try:
            if httpx.get(f"{base_url}/health", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError("the API server did not become healthy in time")
        time.sleep(0.1)


@dataclass(frozen=True)
class Target:
    """A trajectory and the token of its student."""

    trajectory_id: uuid.UUID
    student_id: str
    token: str


def seed(
    database_url: str,
    schema: str | None = None,
    trajectories: int = 64,
    code: str | None = None,
) -> list[Target]:
    """A program and started trajectories, each with a token for its student (in process: the
    seeding is not what is measured)."""
    settings = Settings(database_url=database_url, database_schema=schema, _env_file=None)
    app = build_application(settings.store)
    tokens = TokenStore(settings, cache_seconds=0)
    try:
        program_id = setup_program(app, code=code or f"BENCH-API-{uuid.uuid4().hex[:6]}")
        targets = []
        for i in range(trajectories):
            journey = Journey(app, program_id, f"api-student-{i}")
            journey.start()
            student = journey.student.person_id
            targets.append(Target(journey.id, student, tokens.create(student, Role.STUDENT)))
        return targets
    finally:
        tokens.close()
        app.close()


@dataclass
class LoadResult:
    """What a load run measured: one latency per successful request, and the failures."""

    clients: int
    elapsed: float
    latencies: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.elapsed if self.elapsed else 0.0

    def percentile(self, p: float) -> float:
        if not self.latencies:
            return float("nan")
        if len(self.latencies) == 1:
            return self.latencies[0]
        return statistics.quantiles(self.latencies, n=100, method="inclusive")[int(p) - 1]


class Http:
    """A keep-alive HTTP/1.1 client on one socket (the standard library's `http.client`).

    A real client over real sockets, but a lean one: on a 2-core machine the load generator
    shares the CPU with the server, and httpx spends about 1 ms of CPU per request, which the
    server then lacks. Not thread-safe: one per client thread.
    """

    def __init__(self, base_url: str, timeout: float = 30) -> None:
        parts = urlsplit(base_url)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 80
        self.timeout = timeout
        self.conn = http.client.HTTPConnection(self.host, self.port, timeout=timeout)

    def request(
        self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
    ) -> tuple[int, bytes]:
        all_headers = dict(headers or {})
        payload = None
        if body is not None:
            payload = json.dumps(body).encode()
            all_headers["Content-Type"] = "application/json"
        for attempt in (1, 2):
            try:
                self.conn.request(method, path, body=payload, headers=all_headers)
                response = self.conn.getresponse()
                return response.status, response.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # The server closed an idle keep-alive connection: reconnect once.
                self.conn.close()
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        self.conn.close()


Request = Callable[[Http, Target, int], tuple[int, bytes]]


def run_load(
    base_url: str,
    targets: list[Target],
    clients: int,
    seconds: float,
    request: Request,
    expect: int = 200,
) -> LoadResult:
    """`clients` threads, each with its own keep-alive connection and its own share of the
    targets, send requests back to back for `seconds`; every latency is kept."""
    if len(targets) < clients:
        raise ValueError("give every client at least one trajectory of its own")
    result = LoadResult(clients=clients, elapsed=0.0)
    lock = threading.Lock()
    stop = threading.Event()
    barrier = threading.Barrier(clients + 1)

    def client(n: int) -> None:
        mine = targets[n::clients]
        latencies: list[float] = []
        failures: list[str] = []
        http_client = Http(base_url)
        try:
            barrier.wait()
            i = 0
            while not stop.is_set():
                target = mine[i % len(mine)]
                started = time.perf_counter()
                status, body = request(http_client, target, i)
                took = time.perf_counter() - started
                if status == expect:
                    latencies.append(took)
                else:
                    failures.append(f"{status} {body[:200]!r}")
                i += 1
        finally:
            http_client.close()
        with lock:
            result.latencies.extend(latencies)
            result.failures.extend(failures)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    time.sleep(seconds)
    stop.set()
    for thread in threads:
        thread.join()
    result.elapsed = time.perf_counter() - started
    return result


def post_feedback(http_client: Http, target: Target, n: int) -> tuple[int, bytes]:
    body = {
        "feedback_id": f"fb-{uuid.uuid4().hex[:16]}",
        "source": "self",
        "giver_id": target.student_id,
        "outcomes": [f"LO{n % 5 + 1}"],
        "text": "What went well, and what I will do differently next time",
    }
    return http_client.request(
        "POST",
        f"/trajectories/{target.trajectory_id}/feedback",
        body,
        {"Authorization": f"Bearer {target.token}"},
    )


def get_trajectory(http_client: Http, target: Target, n: int) -> tuple[int, bytes]:
    return http_client.request(
        "GET",
        f"/trajectories/{target.trajectory_id}",
        headers={"Authorization": f"Bearer {target.token}"},
    )


def feedback_load(base_url: str, targets: list[Target], clients: int, seconds: float) -> LoadResult:
    """Self-feedback commands (POST …/feedback), each client on its own trajectories."""
    return run_load(base_url, targets, clients, seconds, post_feedback)


def read_load(base_url: str, targets: list[Target], clients: int, seconds: float) -> LoadResult:
    """GET /trajectories/{id}, each client reading its own trajectories."""
    return run_load(base_url, targets, clients, seconds, get_trajectory)
