"""`bewijsketen token create` as a user runs it: a new process each time, beside a raw baseline.

    python -m bench.tokens [--runs 10]

The project figure: the wall time of `bewijsketen token create --person … --role coach`, from
process start to exit, on the embedded store and on PostgreSQL. Beside it, the same command with
every command module imported first, as the command line did before it loaded modules lazily;
and the raw baseline: a bare Python process that connects, inserts one digest row and exits.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.commands import fresh_database

EAGER = (
    "import api.cli.audit, api.cli.demo, api.cli.projections, api.cli.serve, api.cli.trajectory\n"
)
CREATE = (
    "from api.cli.main import app\n"
    "app(['token', 'create', '--person', 'bench-1', '--role', 'coach'])\n"
)
RAW_SQLITE = (
    "import hashlib, os, secrets, sqlite3\n"
    "c = sqlite3.connect(os.path.join(os.environ['BENCH_DIR'], 'raw.sqlite'))\n"
    "c.execute('CREATE TABLE IF NOT EXISTS t (digest TEXT PRIMARY KEY, person TEXT)')\n"
    "t = secrets.token_urlsafe(32)\n"
    "c.execute('INSERT INTO t VALUES (?, ?)', (hashlib.sha256(t.encode()).hexdigest(), 'b'))\n"
    "c.commit(); c.close(); print(t)\n"
)
RAW_POSTGRES = (
    "import hashlib, os, secrets, psycopg\n"
    "with psycopg.connect(os.environ['BEWIJSKETEN_DATABASE_URL'], autocommit=True) as c:\n"
    "    c.execute('CREATE TABLE IF NOT EXISTS raw_t (digest TEXT PRIMARY KEY, person TEXT)')\n"
    "    t = secrets.token_urlsafe(32)\n"
    "    c.execute('INSERT INTO raw_t VALUES (%s, %s)',\n"
    "              (hashlib.sha256(t.encode()).hexdigest(), 'b'))\n"
    "print(t)\n"
)


def median_seconds(program: str, env: dict[str, str], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-c", program], env=env, capture_output=True, text=True
        )
        times.append(time.perf_counter() - start)
        if done.returncode != 0:
            raise SystemExit(done.stderr)
    return statistics.median(times)


def measure(store: str, env: dict[str, str], runs: int) -> tuple[str, float, float, float]:
    raw = RAW_POSTGRES if store == "postgres" else RAW_SQLITE
    median_seconds(CREATE, env, 1)  # the store's table is made once, as on a real machine
    return (
        store,
        median_seconds(CREATE, env, runs),
        median_seconds(EAGER + CREATE, env, runs),
        median_seconds(raw, env, runs),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    base = {k: v for k, v in os.environ.items() if not k.startswith("BEWIJSKETEN_")}
    rows = []
    with tempfile.TemporaryDirectory() as directory:
        env = base | {"BEWIJSKETEN_DATA_DIR": str(Path(directory) / "var"), "BENCH_DIR": directory}
        rows.append(measure("sqlite", env, args.runs))
        with fresh_database("bewijsketen_bench_tokens") as url:
            rows.append(measure("postgres", env | {"BEWIJSKETEN_DATABASE_URL": url}, args.runs))
    print(f"median of {args.runs} runs, seconds per process (wall)")
    print("| store | token create | all modules loaded (before) | raw process | ratio |")
    print("|---|---:|---:|---:|---:|")
    for store, project, eager, raw in rows:
        print(f"| {store} | {project:.2f} | {eager:.2f} | {raw:.2f} | {project / raw:.1f} |")


if __name__ == "__main__":
    main()
