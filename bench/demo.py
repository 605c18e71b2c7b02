"""Seeding the demo class into the embedded store (SQLite), beside raw SQLite inserts.

    python -m bench.demo [--students 25] [--classes 1] [--runs 3]

The project figure: `seed_demo` (every command through `execute`, on an in-memory application,
then the recorded events written to a fresh SQLite store) and, for comparison, the same class
played directly on the SQLite store, one transaction per command. The baselines, in the same
run and the same directory: the same number of rows of the same size inserted with the sqlite3
module into a table shaped like the event table, one transaction per row and all in one.
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from api.settings import Settings
from domain.application import build_application
from domain.demo import play_demo, seed_demo


def _store(directory: Path) -> Settings:
    shutil.rmtree(directory, ignore_errors=True)
    return Settings(data_dir=directory, database_url=None, _env_file=None)


def seeded(directory: Path, students: int, classes: int) -> tuple[float, int, int]:
    """Seconds to seed, events written, bytes of event state."""
    app = build_application(_store(directory).store)
    try:
        started = time.perf_counter()
        summary = seed_demo(app, students=students, classes=classes)
        took = time.perf_counter() - started
        rows = app.recorder.select_notifications(1, 10**7)
        return took, summary.events, sum(len(r.state) for r in rows)
    finally:
        app.close()


def played_directly(directory: Path, students: int, classes: int) -> float:
    app = build_application(_store(directory).store)
    try:
        started = time.perf_counter()
        play_demo(app, students=students, classes=classes)
        return time.perf_counter() - started
    finally:
        app.close()


def raw_inserts(directory: Path, rows: int, size: int, per_row: bool) -> float:
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    conn = sqlite3.connect(directory / "raw.sqlite", isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute(
            "CREATE TABLE stored_events (id INTEGER PRIMARY KEY, originator_id TEXT, "
            "originator_version INTEGER, topic TEXT, state BLOB, "
            "UNIQUE (originator_id, originator_version))"
        )
        state = b"x" * size
        started = time.perf_counter()
        if not per_row:
            conn.execute("BEGIN")
        for n in range(rows):
            if per_row:
                conn.execute("BEGIN")
            conn.execute(
                "INSERT INTO stored_events (originator_id, originator_version, topic, state) "
                "VALUES (?, ?, ?, ?)",
                (f"t-{n // 50}", n % 50 + 1, "domain.trajectory:Trajectory.FeedbackGiven", state),
            )
            if per_row:
                conn.execute("COMMIT")
        if not per_row:
            conn.execute("COMMIT")
        return time.perf_counter() - started
    finally:
        conn.close()


def median(runs: int, measure: Callable[[], float]) -> float:
    return statistics.median(measure() for _ in range(runs))


def main() -> None:
    parser = argparse.ArgumentParser(description="Demo seeding on the embedded store.")
    parser.add_argument("--students", type=int, default=25)
    parser.add_argument("--classes", type=int, default=1)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        results = [seeded(root / "seed", args.students, args.classes) for _ in range(args.runs)]
        seed = statistics.median(r[0] for r in results)
        events, size = results[0][1], results[0][2] // results[0][1]
        direct = median(
            args.runs, lambda: played_directly(root / "direct", args.students, args.classes)
        )
        per_row = median(args.runs, lambda: raw_inserts(root / "raw", events, size, True))
        bulk = median(args.runs, lambda: raw_inserts(root / "raw", events, size, False))
    print(f"demo: {args.classes} class(es) of {args.students}, {events} events, ~{size} B each")
    print(f"  seed_demo (in memory, then written in batches)   {seed:6.2f} s")
    print(f"  played on the store, a transaction per command   {direct:6.2f} s")
    print(f"  raw sqlite3, one transaction per row             {per_row:6.2f} s")
    print(f"  raw sqlite3, all rows in one transaction         {bulk:6.2f} s")
    print(f"  ratio seed_demo / raw per-row inserts            {seed / per_row:6.2f}")
    print(f"  ratio seed_demo / raw bulk insert                {seed / bulk:6.1f}")


if __name__ == "__main__":
    main()
