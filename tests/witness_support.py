"""Witness processes for the tests: `bewijsketen witness serve` on 127.0.0.1, each with its own
key and state file, started and stopped by the test that needs them."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from typer.testing import CliRunner

from api.cli.main import app as cli

BIN = Path(sys.executable).parent / "bewijsketen"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class WitnessProcess:
    name: str
    vkey: str
    url: str
    key_file: Path
    state_file: Path
    process: subprocess.Popen[bytes]

    def latest(self, origin_hash: str) -> httpx.Response:
        return httpx.get(f"{self.url}/{origin_hash}/checkpoint", timeout=5)

    def add_checkpoint(self, body: bytes) -> httpx.Response:
        return httpx.post(f"{self.url}/add-checkpoint", content=body, timeout=5)


def witness_keygen(name: str, key_file: Path) -> str:
    result = CliRunner().invoke(
        cli, ["witness", "keygen", "--name", name, "--key-file", str(key_file)]
    )
    assert result.exit_code == 0, result.output
    vkey = result.output.strip().splitlines()[-1]
    assert vkey.startswith(name + "+"), result.output
    return vkey


def _spawn(directory: Path, name: str, logs: list[str]) -> WitnessProcess:
    directory.mkdir(parents=True, exist_ok=True)
    key_file = directory / "key.pem"
    vkey = witness_keygen(name, key_file)
    port = free_port()
    state = directory / "state.sqlite"
    command = [
        str(BIN),
        "witness",
        "serve",
        "--name",
        name,
        "--key-file",
        str(key_file),
        "--state-file",
        str(state),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]
    for log in logs:
        command += ["--log", log]
    env = {k: v for k, v in os.environ.items() if not k.startswith("BEWIJSKETEN_")}
    env["BEWIJSKETEN_DATA_DIR"] = str(directory)
    process = subprocess.Popen(
        command, env=env, cwd=directory, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    return WitnessProcess(name, vkey, f"http://127.0.0.1:{port}", key_file, state, process)


def _wait(witness: WitnessProcess, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while True:
        if witness.process.poll() is not None:
            out = witness.process.stdout.read().decode() if witness.process.stdout else ""
            raise AssertionError(f"witness {witness.name} exited: {out}")
        try:
            if httpx.get(f"{witness.url}/{'0' * 64}/checkpoint", timeout=1).status_code == 404:
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise AssertionError(f"witness {witness.name} did not start")
        time.sleep(0.1)


def _stop(witness: WitnessProcess) -> None:
    witness.process.terminate()
    try:
        witness.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        witness.process.kill()
        witness.process.wait()
    if witness.process.stdout:
        witness.process.stdout.close()


@contextmanager
def witness_processes(
    directory: Path, logs: list[str], count: int
) -> Iterator[list[WitnessProcess]]:
    """`count` witnesses, started side by side (each import of the CLI takes a while)."""
    started: list[WitnessProcess] = []
    try:
        for n in range(1, count + 1):
            started.append(_spawn(directory / f"w{n}", f"witness{n}.test/w{n}", logs))
        for witness in started:
            _wait(witness)
        yield started
    finally:
        for witness in started:
            _stop(witness)


@contextmanager
def two_witnesses(directory: Path, logs: list[str]) -> Iterator[list[WitnessProcess]]:
    with witness_processes(directory, logs, 2) as started:
        yield started


def policy_text(log_vkey: str, witnesses: list[WitnessProcess], quorum: str = "both") -> str:
    lines = [f"log {log_vkey}"]
    lines += [f"witness {w.name.split('/')[-1]} {w.vkey} {w.url}" for w in witnesses]
    lines.append(f"group both all {' '.join(w.name.split('/')[-1] for w in witnesses)}")
    lines.append(f"quorum {quorum}")
    return "\n".join(lines) + "\n"
