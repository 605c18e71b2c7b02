"""How long `make run` takes a newcomer until the API answers, cold and warm.

    python -m bench.setup [--port 8911]

Works on a fresh clone of the committed HEAD in a temporary directory:
- cold: a fresh clone, empty uv and pip caches: `make run` until `/health` answers 200, split
  into the install (until make starts the server) and the rest (start-up, seeding the demo);
- warm: `make run` again in the same clone (installed, demo seeded);
- fresh clone, warm caches: another clone, with the caches the cold run filled;
- test tools: `make .venv/.installed` after the cold run (what `make test` adds);
- the raw baseline: plain pip installing the same lock file into a fresh venv with no cache
  (`pip install --require-hashes -r requirements/run.txt`, then `-e . --no-deps`), beside uv's
  install of the cold run.
"""

from __future__ import annotations

import argparse
import os
import queue
import signal
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
SERVE_LINE = "bewijsketen serve --demo"


def clone(target: Path) -> None:
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(target)], check=True)


def make_run(directory: Path, env: dict[str, str], port: int) -> tuple[float, float]:
    """Runs `make run` until /health answers; (seconds until the server starts, total)."""
    start = time.perf_counter()
    process = subprocess.Popen(
        ["make", "run"],
        cwd=directory,
        env=env | {"BEWIJSKETEN_PORT": str(port)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    lines: queue.Queue[tuple[float, str]] = queue.Queue()
    stdout = process.stdout
    assert stdout is not None

    def read() -> None:
        for line in stdout:
            lines.put((time.perf_counter(), line))

    threading.Thread(target=read, daemon=True).start()
    installed = None
    output: list[str] = []
    deadline = start + 900
    try:
        while True:
            while not lines.empty():
                moment, line = lines.get()
                output.append(line)
                if installed is None and SERVE_LINE in line:
                    installed = moment
            if process.poll() is not None:
                raise SystemExit("make run stopped:\n" + "".join(output[-30:]))
            if time.perf_counter() > deadline:
                raise SystemExit("make run did not come up:\n" + "".join(output[-30:]))
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        up = time.perf_counter()
    finally:
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    return (installed or start) - start, up - start


def timed(command: list[str], directory: Path, env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, cwd=directory, env=env, check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8911)
    args = parser.parse_args()
    base = {k: v for k, v in os.environ.items() if not k.startswith(("BEWIJSKETEN_", "UV_"))}
    base.pop("VIRTUAL_ENV", None)
    with tempfile.TemporaryDirectory() as directory:
        work = Path(directory)
        env = base | {
            "UV_CACHE_DIR": str(work / "uv-cache"),
            "PIP_CACHE_DIR": str(work / "pip-cache"),
        }
        clone(work / "cold")
        cold_install, cold_total = make_run(work / "cold", env, args.port)
        _, warm_total = make_run(work / "cold", env, args.port)
        test_tools = timed(["make", ".venv/.installed"], work / "cold", env)
        clone(work / "cached")
        cached_install, cached_total = make_run(work / "cached", env, args.port)

        clone(work / "pip")
        venv = work / "pip" / ".venv"
        pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "--no-cache-dir"]
        raw = timed(["python3", "-m", "venv", str(venv)], work / "pip", env)
        raw += timed([*pip, "--require-hashes", "-r", "requirements/run.txt"], work / "pip", env)
        raw += timed([*pip, "--no-deps", "--no-build-isolation", "-e", "."], work / "pip", env)

    print("seconds, from `make run` until GET /health answers 200")
    print("| case | install | total |")
    print("|---|---:|---:|")
    print(f"| cold: fresh clone, empty caches | {cold_install:.1f} | {cold_total:.1f} |")
    print(f"| warm: same clone again | – | {warm_total:.1f} |")
    print(f"| fresh clone, warm caches | {cached_install:.1f} | {cached_total:.1f} |")
    print(f"test tools added by `make test` (cold cache): {test_tools:.1f} s")
    print(
        f"install of requirements/run.txt: uv (cold) {cold_install:.1f} s, plain pip (no cache) "
        f"{raw:.1f} s, ratio {cold_install / raw:.2f}"
    )


if __name__ == "__main__":
    main()
