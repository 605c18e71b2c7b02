"""A large event store for the benchmarks, generated through the domain and cached.

    python -m bench.dataset [--events 1000000] [--plain]

Classes of 25 students play the demo's scenarios (passes, a resit, the early route, doubt and a
CGI, red lights, ...) through the application service and every rule, in an in-memory store; the
stored events are then copied into PostgreSQL in notification order with the store's batch
insert. The database is kept (`bewijsketen_bench_<events>`) and reused by later runs.

The events are sealed as the application seals them, under data keys kept in the target
database's key store, wrapped by the dataset's own key-encryption key (var/bench/kek.key, made on
first use; `ensure_dataset` puts it in BEWIJSKETEN_KEK for the run and the processes it starts).
With `--plain` (`bewijsketen_bench_<events>_plain`) the same classes are written in plaintext, as
a release before encryption did: the baseline of encryption at rest.
"""

from __future__ import annotations

import argparse
import os
import random
from pathlib import Path

import psycopg
from psycopg import sql
from rich.progress import Progress

from api.settings import Settings
from domain.application import Bewijsketen, build_application
from domain.demo import seed_cohort
from domain.journey import Staff, setup_program
from domain.persistence.files import private_file
from domain.privacy.kek import generate_text
from domain.privacy.keys import KeyStore

SERVER_URL = os.environ.get("BEWIJSKETEN_BENCH_SERVER_URL", "postgresql://postgres@127.0.0.1:5432")
CLASS_SIZE = 25
# Batches small enough that the pipelined insert of sealed (larger) events never stalls.
COPY_BATCH = 1_000


KEK_FILE = Path(__file__).resolve().parent.parent / "var" / "bench" / "kek.key"


def database_url(events: int, sealed: bool = True) -> str:
    return f"{SERVER_URL}/bewijsketen_bench_{events}{'' if sealed else '_plain'}"


def dataset_kek() -> str:
    """The key-encryption key of the cached datasets (made once, kept beside them)."""
    if not KEK_FILE.exists():
        private_file(KEK_FILE).write_text(generate_text() + "\n")
    return KEK_FILE.read_text().strip()


def _is_complete(url: str) -> bool:
    try:
        with psycopg.connect(url, connect_timeout=5) as conn:
            row = conn.execute(
                "SELECT events FROM bench_dataset WHERE complete"  # written last
            ).fetchone()
            return row is not None
    except psycopg.Error:
        return False


def generate(events: int, seed: int = 11, keys: KeyStore | None = None) -> Bewijsketen:
    """Plays classes through the domain in memory until the log holds `events` events, sealed
    under `keys` (the target's key store), or in plaintext without."""
    app = Bewijsketen(
        env={"PERSISTENCE_MODULE": "eventsourcing.popo"}, cache_size=10_000, keys=keys
    )
    if keys is None:
        app.sealing_mapper.keys = None  # writes as a release before encryption did
    rng = random.Random(seed)
    staff = Staff(
        coaches=[f"coach-{i}" for i in range(1, 41)],
        mentors=["mentor-1"],
        assessors=[f"assessor-{i}" for i in range(1, 21)],
        committee=[f"committee-{i}" for i in range(1, 6)],
    )
    program_id = setup_program(app, code="BENCH", staff=staff)
    cohort = 0
    with Progress(transient=True) as progress:
        task = progress.add_task("Playing classes through the domain", total=events)
        head = 0
        while head < events:
            cohort += 1
            students = [f"c{cohort}-student-{i:02d}" for i in range(1, CLASS_SIZE + 1)]
            coaches = rng.sample(staff.coaches, 2)
            seed_cohort(app, program_id, f"cohort-{cohort}", students, rng, coaches)
            new_head = app.recorder.max_notification_id() or 0
            progress.advance(task, new_head - head)
            head = new_head
    return app


def target_app(url: str) -> Bewijsketen:
    return build_application(Settings(database_url=url, threads=2, _env_file=None).store)


def copy_into(source: Bewijsketen, target: Bewijsketen) -> int:
    """Copies every stored event, in order, into the PostgreSQL store of `target`."""
    total = source.recorder.max_notification_id() or 0
    copied = 0
    with Progress(transient=True) as progress:
        task = progress.add_task("Copying into PostgreSQL", total=total)
        start = 1
        while True:
            batch = source.recorder.select_notifications(start, COPY_BATCH)
            if not batch:
                break
            target.recorder.insert_events(list(batch))
            copied += len(batch)
            progress.advance(task, len(batch))
            start = batch[-1].id + 1
    return copied


def ensure_dataset(events: int = 1_000_000, sealed: bool = True) -> str:
    """A PostgreSQL URL whose store holds at least `events` events generated through the domain
    (sealed, or in plaintext); BEWIJSKETEN_KEK is set to the datasets' key-encryption key."""
    os.environ["BEWIJSKETEN_KEK"] = dataset_kek()
    url = database_url(events, sealed)
    if _is_complete(url):
        return url
    name = url.rsplit("/", 1)[1]
    with psycopg.connect(f"{SERVER_URL}/postgres", autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    target = target_app(url)
    try:
        copied = copy_into(generate(events, keys=target.keys if sealed else None), target)
    finally:
        target.close()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE TABLE bench_dataset (events bigint NOT NULL, complete boolean)")
        conn.execute("INSERT INTO bench_dataset VALUES (%s, true)", (copied,))
        conn.execute("ANALYZE")
    return url


def main() -> None:
    parser = argparse.ArgumentParser(description="Generate (or find) the benchmark event store.")
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--plain", action="store_true", help="in plaintext, not sealed")
    args = parser.parse_args()
    url = ensure_dataset(args.events, sealed=not args.plain)
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT count(*) FROM bewijsketen_events").fetchone()
    print(f"{url}: {row[0] if row else 0} events")


if __name__ == "__main__":
    main()
