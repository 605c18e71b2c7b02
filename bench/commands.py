"""In-process command throughput on PostgreSQL, with and without encryption at rest, beside
raw locked single-row inserts.

    python -m bench.commands [--seconds 10] [--threads 1 4] [--trajectories 200] [--rounds 2]

The project figure: a realistic mix of commands (evidence, self and coach feedback, progress
checks) through the application service on many trajectories, every command a full
load-decide-save with rule checks. The baseline: single-row INSERT transactions into a table
shaped like the event table, each taking the same `LOCK TABLE … IN EXCLUSIVE MODE` the event
store takes. Both run in the same process against the same server, at the same concurrency.

With and without encryption: the same mix, once sealing every marked value under the student's
keys (as the application always does) and once with the mapper writing plaintext, as a release
before encryption did. The two alternate over the rounds (plain, sealed, sealed, plain, ...) so
that a slow stretch of a shared machine weighs on both alike; each figure is the mean. Beside
the rates, the CPU time the process spent per command (sealing is CPU work; the rest of a
command's time is mostly waiting for the database).
"""

from __future__ import annotations

import argparse
import itertools
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import psycopg
from psycopg import sql

from api.settings import Settings
from domain import commands as c
from domain.application import Bewijsketen, build_application
from domain.journey import Journey, content_hash, setup_program
from domain.values import Actor, EvidenceKind, FeedbackSource, Role, TrafficLight

SERVER_URL = os.environ.get("BEWIJSKETEN_BENCH_SERVER_URL", "postgresql://postgres@127.0.0.1:5432")
BENCH_DATABASE = "bewijsketen_bench_commands"


@contextmanager
def fresh_schema(database_url: str) -> Iterator[str]:
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
    try:
        yield schema
    finally:
        with psycopg.connect(database_url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))


@contextmanager
def fresh_database(name: str = BENCH_DATABASE) -> Iterator[str]:
    with psycopg.connect(f"{SERVER_URL}/postgres", autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield f"{SERVER_URL}/{name}"
    finally:
        with psycopg.connect(f"{SERVER_URL}/postgres", autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


def run_threads(threads: int, seconds: float, work: Callable[[int], Callable[[], None]]) -> float:
    """Runs `work(thread_no)()` in a loop on each thread for `seconds`; returns operations/s."""
    counts = [0] * threads
    stop = threading.Event()
    barrier = threading.Barrier(threads + 1)

    def loop(n: int) -> None:
        step = work(n)
        barrier.wait()
        while not stop.is_set():
            step()
            counts[n] += 1

    pool = [threading.Thread(target=loop, args=(n,)) for n in range(threads)]
    for t in pool:
        t.start()
    barrier.wait()
    started = time.perf_counter()
    time.sleep(seconds)
    stop.set()
    for t in pool:
        t.join()
    return sum(counts) / (time.perf_counter() - started)


@dataclass
class CommandMix:
    """Cycles through evidence, self feedback, coach feedback and progress checks."""

    app: Bewijsketen
    journeys: list[Journey]

    def worker(self, thread_no: int, threads: int) -> Callable[[], None]:
        mine = self.journeys[thread_no::threads]
        counter = itertools.count()

        def step() -> None:
            n = next(counter)
            journey = mine[n % len(mine)]
            kind = (n // len(mine)) % 4
            code = journey.outcomes[n % len(journey.outcomes)]
            key = f"t{thread_no}-{n}"
            if kind == 0:
                command: c.Command = c.SubmitEvidence(
                    trajectory_id=journey.id,
                    evidence_id=key,
                    title="Bench evidence",
                    kind=EvidenceKind.ASSIGNMENT,
                    uri=f"https://example.nl/{key}",
                    sha256=content_hash(key),
                    outcomes=[code],
                )
                actor = journey.student
            elif kind == 1:
                command = c.GiveFeedback(
                    trajectory_id=journey.id,
                    feedback_id=key,
                    source=FeedbackSource.SELF,
                    giver_id=journey.student.person_id,
                    outcomes=[code],
                    text="Reflection on the assignment",
                )
                actor = journey.student
            elif kind == 2:
                command = c.GiveFeedback(
                    trajectory_id=journey.id,
                    feedback_id=key,
                    source=FeedbackSource.COACH,
                    giver_id=journey.coach.person_id,
                    outcomes=[code],
                    text="Make the design choices explicit",
                )
                actor = journey.coach
            else:
                command = c.CheckProgress(
                    trajectory_id=journey.id,
                    light=TrafficLight.ORANGE,
                    notes="Plan the next assignment",
                )
                actor = Actor(journey.mentor.person_id, Role.MENTOR)
            self.app.execute(command, actor)

        return step


def prepare(app: Bewijsketen, trajectories: int) -> CommandMix:
    program_id = setup_program(app, code=f"BENCH-{uuid.uuid4().hex[:6]}")
    journeys = []
    for i in range(trajectories):
        journey = Journey(app, program_id, f"bench-student-{i}")
        journey.start()
        journeys.append(journey)
    return CommandMix(app, journeys)


@dataclass(frozen=True)
class Rate:
    """Commands per second, and the process's CPU time per command (all its threads): the
    second is steadier than the first on a machine shared with other work."""

    per_second: float
    cpu_us: float


def measure_mix(
    database_url: str,
    seconds: float,
    threads: int = 4,
    trajectories: int = 200,
    encrypted: bool = True,
) -> Rate:
    """The realistic mix through the application service, in a fresh schema; `encrypted=False`
    writes plaintext (the baseline of encryption at rest)."""
    with fresh_schema(database_url) as schema:
        settings = Settings(
            database_url=database_url,
            database_schema=schema,
            threads=max(threads, 2),
            _env_file=None,
        )
        app = build_application(settings.store)
        if not encrypted:
            # The mapper without its key store writes as a release before encryption did.
            app.sealing_mapper.keys = None
        try:
            mix = prepare(app, trajectories)
            cpu = time.process_time()
            started = time.perf_counter()
            rate = run_threads(threads, seconds, lambda n: mix.worker(n, threads))
            commands = rate * (time.perf_counter() - started)
            return Rate(rate, (time.process_time() - cpu) / max(commands, 1) * 1e6)
        finally:
            app.close()


def measure_in_process(
    database_url: str,
    seconds: float,
    threads: int = 4,
    trajectories: int = 200,
    encrypted: bool = True,
) -> float:
    """Commands/s of the realistic mix through the application service, in a fresh schema."""
    return measure_mix(database_url, seconds, threads, trajectories, encrypted).per_second


RAW_TABLE = """
CREATE TABLE raw_events (
    originator_id uuid NOT NULL,
    originator_version bigint NOT NULL,
    topic text,
    state bytea,
    notification_id bigserial,
    PRIMARY KEY (originator_id, originator_version)
);
CREATE UNIQUE INDEX raw_events_notification_id_idx ON raw_events (notification_id);
"""


def measure_raw_inserts(database_url: str, seconds: float, threads: int) -> float:
    """Single-row insert transactions, each taking the event store's table lock first."""
    state = b'{"actor":{"_type_":"actor","_data_":{"person_id":"x","role":"student"}}}' * 4
    with fresh_schema(database_url) as schema:
        with psycopg.connect(database_url, autocommit=True) as conn:
            conn.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(schema)))
            conn.execute(RAW_TABLE.encode())

        def work(n: int) -> Callable[[], None]:
            conn = psycopg.connect(database_url)
            conn.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(schema)))
            conn.commit()
            originator = uuid.uuid4()
            versions = itertools.count(1)

            def step() -> None:
                with conn.transaction():
                    conn.execute("LOCK TABLE raw_events IN EXCLUSIVE MODE")
                    conn.execute(
                        "INSERT INTO raw_events (originator_id, originator_version, topic, state) "
                        "VALUES (%s, %s, %s, %s)",
                        (originator, next(versions), "bench:Event", state),
                    )

            return step

        return run_threads(threads, seconds, work)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 4])
    parser.add_argument("--trajectories", type=int, default=200)
    parser.add_argument(
        "--rounds", type=int, default=2, help="measurements of each of plain and sealed"
    )
    args = parser.parse_args()
    with fresh_database() as url:
        print(
            f"{'threads':>7} {'plain cmd/s':>12} {'sealed cmd/s':>13} {'sealed/plain':>13} "
            f"{'plain CPU us':>13} {'sealed CPU us':>14} {'raw insert/s':>13} {'sealed/raw':>11}"
        )
        for threads in args.threads:
            figures: dict[bool, list[Rate]] = {False: [], True: []}
            for n in range(2 * args.rounds):
                encrypted = n % 4 in (1, 2)
                figures[encrypted].append(
                    measure_mix(url, args.seconds, threads, args.trajectories, encrypted)
                )
            plain, sealed = (
                Rate(
                    sum(r.per_second for r in figures[e]) / len(figures[e]),
                    sum(r.cpu_us for r in figures[e]) / len(figures[e]),
                )
                for e in (False, True)
            )
            raw = measure_raw_inserts(url, args.seconds, threads)
            print(
                f"{threads:>7} {plain.per_second:>12.0f} {sealed.per_second:>13.0f} "
                f"{sealed.per_second / plain.per_second:>13.2f} {plain.cpu_us:>13.0f} "
                f"{sealed.cpu_us:>14.0f} {raw:>13.0f} {sealed.per_second / raw:>11.2f}"
            )


if __name__ == "__main__":
    main()
