"""Projections on PostgreSQL with a million events, beside raw baselines measured in the same run.

    python -m bench.projections [--events 1000000] [--small 10000] [--seconds 20] [--clients 8]
                                [--rebuild-only]

1. Rebuild: every read model from position 0 (`projections rebuild`), in events/s, beside the
   raw rate of reading and decoding the same events (the same query, the same decoder, the same
   batches). Target: at least 0.5x the raw rate. Measured twice in the same run: on a store
   written in plaintext (as before encryption at rest) and on the same classes sealed per
   student (the read models keep envelopes and open the few texts they derive facts from);
   the sealed rebuild is also compared with the plaintext store's raw rate.
2. Lag under load: uvicorn serves the API benchmark's feedback command load (bench/load.py, real
   HTTP clients) and a separate `bewijsketen project` worker applies the log, as docker-compose
   runs it. An event's lag is the time from its timestamp until the slowest projection's
   position covers it (positions sampled every 5 ms). Target: p99 below 500 ms.
3. GET latency of every read-model endpoint at `--events` beside the same at `--small` events
   (uvicorn, one client, sequential requests). Target: flat.

The event stores come from bench/dataset.py (generated through the domain, cached). The read
models are built in a schema of their own (bench_projections_read), dropped at the end.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from bisect import bisect_left
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import psycopg
from psycopg import sql
from rich.console import Console
from rich.progress import Progress

from api.settings import Settings
from api.tokens import TokenStore
from bench.commands import fresh_database
from bench.dataset import ensure_dataset
from bench.load import api_server, feedback_load, seed
from domain.application import Bewijsketen, build_application
from domain.values import Role
from projections import log
from projections.config import ProjectionConfig
from projections.models import all_models
from projections.rebuild import rebuild, without_cycle_collection
from projections.store import open_store

console = Console()
READ_SCHEMA = "bench_projections_read"
# Pages of the same size at both store sizes (a small store has fewer rows per coach or program),
# so that the comparison is about the store's size, not the page's.
PAGE = 10
LAG_DATABASE = "bewijsketen_bench_projections"
BEWIJSKETEN = str(Path(sys.executable).with_name("bewijsketen"))


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


def drop_schemas(url: str, *schemas: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        for schema in schemas:
            conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))


def settings_for(url: str) -> Settings:
    return Settings(database_url=url, threads=4, _env_file=None)


# ---------------------------------------------------------------- 1. rebuild vs raw decode


@dataclass
class RebuildResult:
    events: int
    raw_seconds: float
    prefetched_seconds: float
    fold_seconds: float
    rebuild_seconds: float
    trajectories: int

    @property
    def raw_rate(self) -> float:
        """The stricter (faster) of the two baselines."""
        return self.events / min(self.raw_seconds, self.prefetched_seconds)

    @property
    def rebuild_rate(self) -> float:
        return self.events / self.rebuild_seconds


def raw_read_and_decode(app: Bewijsketen, upto: int, tuned: bool) -> tuple[int, float]:
    """The baseline: read the same events with the same query and decode each one. `tuned`
    gives it the rebuild's own two tricks: the next batch is read in a thread meanwhile, and
    the cyclic garbage collector is off."""
    started = time.perf_counter()
    count = 0
    with without_cycle_collection() if tuned else nullcontext():
        for batch in log.batches(app, 0, upto, 10_000, prefetch=tuned):
            log.decode(app, batch)
            count += len(batch)
    return count, time.perf_counter() - started


def warm(url: str) -> None:
    """Reads every event once, so that no measurement pays for a cold disk cache."""
    with psycopg.connect(url) as conn:
        conn.execute("SELECT count(*), sum(length(state)) FROM bewijsketen_events").fetchone()


def measure_rebuild(url: str) -> RebuildResult:
    settings = settings_for(url)
    config = ProjectionConfig.build(settings.store, read_schema=READ_SCHEMA)
    drop_schemas(url, READ_SCHEMA, config.build_schema)
    app = build_application(settings.store)
    store = open_store(config)
    try:
        head = log.head(app)
        console.print(f"  reading and decoding the log (raw baselines), head {head:,}")
        warm(url)
        events, raw_seconds = raw_read_and_decode(app, head, tuned=False)
        _, prefetched_seconds = raw_read_and_decode(app, head, tuned=True)
        marks: dict[str, float] = {}
        with Progress(transient=True, console=console, refresh_per_second=2) as bar:
            task = bar.add_task("  rebuilding every read model", total=head)

            def progress(position: int, top: int) -> None:
                bar.update(task, completed=position)

            def stage(text: str) -> None:
                marks.setdefault("folded", time.perf_counter())
                bar.update(task, description=f"  {text}")

            started = time.perf_counter()
            rebuild(app, store, all_models(), progress=progress, stage=stage)
            elapsed = time.perf_counter() - started
        # The tuned baseline once more, after the rebuild: other load on the machine comes and
        # goes, and the faster of the two runs makes the stricter comparison.
        _, again = raw_read_and_decode(app, head, tuned=True)
        prefetched_seconds = min(prefetched_seconds, again)
        trajectories = store.query(
            f"SELECT count(*) AS n FROM {store.live.q('progress_trajectories')}"
        )[0]["n"]
        return RebuildResult(
            events,
            raw_seconds,
            prefetched_seconds,
            marks["folded"] - started,
            elapsed,
            int(trajectories),
        )
    finally:
        store.close()
        app.close()


# ---------------------------------------------------------------- 2. lag under command load


@contextmanager
def worker(url: str) -> Iterator[subprocess.Popen[bytes]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BEWIJSKETEN_")}
    with tempfile.TemporaryDirectory(prefix="bewijsketen-worker-") as data_dir:
        env |= {"BEWIJSKETEN_DATABASE_URL": url, "BEWIJSKETEN_DATA_DIR": data_dir}
        # The store's key-encryption key: without it the worker refuses to start.
        env["BEWIJSKETEN_KEK"] = os.environ["BEWIJSKETEN_KEK"]
        process = subprocess.Popen(
            [BEWIJSKETEN, "project"], env=env, cwd=data_dir, stderr=subprocess.DEVNULL
        )
        try:
            yield process
        finally:
            process.terminate()
            process.wait(timeout=30)


class LagSampler:
    """Samples, every 5 ms, the log head and the slowest projection's position, and times each
    event the position covers: from its own timestamp (end to end: includes the command's wait
    for the event store), and from the first sample where the log showed it (from its commit)."""

    def __init__(self, app: Bewijsketen, url: str, schema: str) -> None:
        self.app = app
        self.url = url
        self.query = sql.SQL(
            "SELECT (SELECT max(notification_id) FROM public.bewijsketen_events), "
            "(SELECT min(position) FROM {}.projection_tracking)"
        ).format(sql.Identifier(schema))
        self.end_to_end: list[float] = []
        self.after_commit: list[float] = []
        self.heads: list[int] = []
        self.head_seen: list[float] = []
        self.stop = threading.Event()
        self.position = 0
        self.thread = threading.Thread(target=self._run, daemon=True)

    def sample(self, conn: psycopg.Connection[Any]) -> tuple[int, int]:
        row = conn.execute(self.query).fetchone()
        return (int(row[0] or 0), int(row[1] or 0)) if row else (0, 0)

    def start(self) -> None:
        with psycopg.connect(self.url, autocommit=True) as conn:
            self.position = self.sample(conn)[1]
        self.thread.start()

    def _run(self) -> None:
        with psycopg.connect(self.url, autocommit=True) as conn:
            while not self.stop.is_set():
                head, position = self.sample(conn)
                now, wall = time.monotonic(), datetime.now(UTC)
                if not self.heads or head > self.heads[-1]:
                    self.heads.append(head)
                    self.head_seen.append(now)
                while position > self.position:
                    batch = log.read(self.app, self.position, position, 5_000)
                    for note, event in zip(batch, log.decode(self.app, batch), strict=True):
                        self.end_to_end.append((wall - event.timestamp).total_seconds())
                        first = bisect_left(self.heads, note.id)
                        if first < len(self.heads):
                            self.after_commit.append(now - self.head_seen[first])
                    self.position = batch[-1].id if len(batch) == 5_000 else position
                time.sleep(0.005)

    def finish(self, head: int, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while self.position < head and time.monotonic() < deadline:
            time.sleep(0.01)
        self.stop.set()
        self.thread.join()


def wait_caught_up(app: Bewijsketen, url: str, schema: str, timeout: float = 120) -> None:
    query = sql.SQL("SELECT min(position) FROM {}.projection_tracking").format(
        sql.Identifier(schema)
    )
    deadline = time.monotonic() + timeout
    with psycopg.connect(url, autocommit=True) as conn:
        while time.monotonic() < deadline:
            try:
                row = conn.execute(query).fetchone()
                if row and row[0] is not None and int(row[0]) >= log.head(app):
                    return
            except psycopg.errors.UndefinedTable:
                pass
            time.sleep(0.05)
    raise RuntimeError("the projection worker did not catch up")


@dataclass
class LagResult:
    commands: int
    command_rate: float
    end_to_end: list[float]
    after_commit: list[float]


def measure_lag(seconds: float, clients: int) -> LagResult:
    schema = "bewijsketen_read"
    with fresh_database(LAG_DATABASE) as url:
        app = build_application(settings_for(url).store)
        try:
            targets = seed(url, trajectories=64)
            with api_server(url) as base_url, worker(url):
                wait_caught_up(app, url, schema)
                sampler = LagSampler(app, url, schema)
                sampler.start()
                load = feedback_load(base_url, targets, clients, seconds)
                sampler.finish(log.head(app))
            if load.failures:
                console.print(f"[red]{len(load.failures)} commands failed: {load.failures[0]}")
            return LagResult(
                len(load.latencies), load.rate, sampler.end_to_end, sampler.after_commit
            )
        finally:
            app.close()


# ---------------------------------------------------------------- 3. GET latency


def endpoint_requests(url: str) -> list[tuple[str, Callable[[int], tuple[str, dict[str, Any]]]]]:
    """The requests to time, with parameters drawn from the data set's own read models."""
    store = open_store(ProjectionConfig.build(settings_for(url).store, read_schema=READ_SCHEMA))
    try:
        rng = random.Random(5)
        q = store.live.q
        ids = [
            str(r["trajectory_id"])
            for r in store.query(
                f"SELECT trajectory_id FROM {q('progress_trajectories')} ORDER BY trajectory_id"
            )
        ]
        trajectories = rng.sample(ids, min(200, len(ids)))
        coaches = sorted(
            {
                str(r["coach_id"])
                for r in store.query(f"SELECT DISTINCT coach_id FROM {q('progress_trajectories')}")
            }
        )
        cohorts = store.query(
            f"SELECT DISTINCT program_id, program_version, cohort FROM {q('cohort_counts')}"
        )
        program_id = str(cohorts[0]["program_id"])
        assessors = sorted(
            {
                str(r["assessor_id"])
                for r in store.query(f"SELECT assessor_id FROM {q('calibration_assessors')}")
            }
        ) or ["assessor-1"]
        recent = store.query(
            f"SELECT concluded_at FROM {q('borging_checks')} ORDER BY concluded_at DESC LIMIT 1 "
            "OFFSET 20"
        )
        since = recent[0]["concluded_at"].isoformat() if recent else "2000-01-01T00:00:00Z"
    finally:
        store.close()

    def cohort(i: int) -> dict[str, Any]:
        c = cohorts[(i * 7919) % len(cohorts)]
        return {
            "program_id": str(c["program_id"]),
            "program_version": c["program_version"],
            "cohort": c["cohort"],
        }

    return [
        (
            "progress/{id}",
            lambda i: (f"/read-models/progress/{trajectories[i % len(trajectories)]}", {}),
        ),
        (
            "progress?coach_id",
            lambda i: (
                "/read-models/progress",
                {"coach_id": coaches[i % len(coaches)], "limit": PAGE},
            ),
        ),
        (
            "cohorts?program_id",
            lambda i: ("/read-models/cohorts", {"program_id": program_id, "limit": PAGE}),
        ),
        ("cohorts?cohort", lambda i: ("/read-models/cohorts", cohort(i))),
        (
            "cohort-members?at_risk",
            lambda i: ("/read-models/cohort-members", {**cohort(i), "at_risk": "true"}),
        ),
        ("workload", lambda i: ("/read-models/workload", {})),
        ("workload?cohort", lambda i: ("/read-models/workload", cohort(i))),
        (
            "calibration/assessors",
            lambda i: ("/read-models/calibration/assessors", {"program_id": program_id}),
        ),
        (
            "calibration/pairs",
            lambda i: (
                "/read-models/calibration/pairs",
                {"assessor_id": assessors[i % len(assessors)]},
            ),
        ),
        (
            "borging/checks?from",
            lambda i: ("/read-models/borging/checks", {"program_id": program_id, "from": since}),
        ),
        (
            "borging/exceptions",
            lambda i: ("/read-models/borging/exceptions", {"program_id": program_id}),
        ),
    ]


def measure_gets(url: str, requests: int) -> dict[str, tuple[float, float]]:
    settings = settings_for(url)
    plan = endpoint_requests(url)
    tokens = TokenStore(settings)
    token = tokens.create("quality-bench", Role.QUALITY)
    tokens.close()
    results: dict[str, tuple[float, float]] = {}
    env = {"BEWIJSKETEN_READ_SCHEMA": READ_SCHEMA}
    with (
        api_server(url, env=env) as base_url,
        httpx.Client(
            base_url=base_url, timeout=30, headers={"Authorization": f"Bearer {token}"}
        ) as http,
    ):
        for name, make in plan:
            timings = []
            for i in range(requests + 20):
                path, params = make(i)
                started = time.perf_counter()
                response = http.get(path, params=params)
                took = time.perf_counter() - started
                if response.status_code != 200:
                    raise RuntimeError(f"{name}: {response.status_code} {response.text[:300]}")
                if i >= 20:  # the first requests warm the connection and the caches
                    timings.append(took * 1000)
            results[name] = (statistics.median(timings), percentile(timings, 99))
    return results


# ---------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument(
        "--rebuild-only", action="store_true", help="measure the rebuilds (1.) and nothing else"
    )
    args = parser.parse_args()

    plain = ensure_dataset(args.events, sealed=False)
    big, small = ensure_dataset(args.events), ensure_dataset(args.small)
    try:
        console.print(f"[bold]1. Rebuild at {args.events:,} events, without encryption at rest")
        plain_result = measure_rebuild(plain)
        console.print("[bold]   and with: the same classes, sealed per student")
        result = measure_rebuild(big)
        console.print(f"  building the read models of the {args.small:,}-event store")
        small_result = measure_rebuild(small)
        if not args.rebuild_only:
            console.print("[bold]2. Lag under the API's feedback command load")
            lag = measure_lag(args.seconds, args.clients)
            console.print("[bold]3. GET latency")
            at_big = measure_gets(big, args.requests)
            at_small = measure_gets(small, args.requests)
    finally:
        for url in (plain, big, small):
            drop_schemas(url, READ_SCHEMA, f"{READ_SCHEMA}__rebuild")

    lines = [
        f"Rebuild of every read model, {result.events:,} events "
        f"({result.trajectories:,} trajectories), PostgreSQL, one process, without and with "
        "encryption at rest (the same classes; sealed: every marked value an envelope):",
        "",
        "| what | plaintext events/s | seconds | sealed events/s | seconds |",
        "|---|---|---|---|---|",
        *(
            f"| {label} | {plain_result.events / getattr(plain_result, name):,.0f} | "
            f"{getattr(plain_result, name):.1f} | {result.events / getattr(result, name):,.0f} | "
            f"{getattr(result, name):.1f} |"
            for label, name in (
                ("raw: read + decode the same events, one batch after the other", "raw_seconds"),
                (
                    "raw, tuned: the same, next batch read in a thread meanwhile, cyclic GC off "
                    "(faster of two runs, before and after the rebuild)",
                    "prefetched_seconds",
                ),
                ("rebuild: read + decode + fold (phase 1 of 3)", "fold_seconds"),
                (
                    "**rebuild, complete** (fold, bulk write with COPY, index, swap)",
                    "rebuild_seconds",
                ),
            )
        ),
        "| ratio rebuild / the same store's faster raw baseline (target >= 0.5) | "
        f"**{plain_result.rebuild_rate / plain_result.raw_rate:.2f}** | | "
        f"**{result.rebuild_rate / result.raw_rate:.2f}** | |",
        "| ratio sealed rebuild / the plaintext store's faster raw baseline (target >= 0.5) | | "
        f"| **{result.rebuild_rate / plain_result.raw_rate:.2f}** | |",
        "| ratio sealed rebuild / plaintext rebuild | | | "
        f"{result.rebuild_rate / plain_result.rebuild_rate:.2f} | |",
        f"| (the sealed {small_result.events:,}-event store: rebuild / raw) | | | "
        f"{small_result.rebuild_rate / small_result.raw_rate:.2f} | |",
        "",
    ]
    if args.rebuild_only:
        console.print()
        print("\n".join(lines))
        return
    lines += [
        f"Projection lag under load: {args.clients} HTTP clients sending feedback commands for "
        f"{args.seconds:.0f} s ({lag.commands:,} commands, {lag.command_rate:,.0f}/s), one "
        f"`bewijsketen project` worker:",
        "",
        "| until every read model has the event (ms) | p50 | p99 | max |",
        "|---|---|---|---|",
        *(
            f"| {label} | {percentile(lags, 50) * 1000:.0f} | "
            f"**{percentile(lags, 99) * 1000:.0f}** | {max(lags, default=0) * 1000:.0f} |"
            for label, lags in (
                ("from its commit (projection lag; target p99 < 500)", lag.after_commit),
                ("from the event's timestamp (end to end)", lag.end_to_end),
            )
        ),
        "",
        f"GET latency through uvicorn, one client, {args.requests} requests each (ms):",
        "",
        f"| endpoint | p50 at {args.small:,} | p99 at {args.small:,} | p50 at {args.events:,} | "
        f"p99 at {args.events:,} | p50 ratio |",
        "|---|---|---|---|---|---|",
    ]
    for name in at_big:
        s50, s99 = at_small[name]
        b50, b99 = at_big[name]
        lines.append(
            f"| `{name}` | {s50:.1f} | {s99:.1f} | {b50:.1f} | {b99:.1f} | {b50 / s50:.2f} |"
        )
    console.print()
    print("\n".join(lines))


if __name__ == "__main__":
    main()
