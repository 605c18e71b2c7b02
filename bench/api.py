"""The HTTP API under load on PostgreSQL, beside the in-process rates of the same work.

    python -m bench.api [--seconds 10] [--clients 1 8 32] [--trajectories 64]

uvicorn serves `api.app:create_app` in a subprocess (real sockets); the load generator is a real
HTTP client (httpx, one keep-alive connection per client thread). It measures a command
(POST …/feedback, self-reflection) and a query (GET /trajectories/{id}) at each number of
concurrent clients: requests/s, p50/p99 latency and the server's CPU time per request (robust on a
shared machine, where rates are not). Beside them, in the same run and against the
same server: the in-process command rate of bench/commands.py (the application service, no HTTP)
and the in-process rate of the same read (load the trajectory and build its view).
"""

from __future__ import annotations

import argparse
import threading
import time
import uuid

from rich.console import Console
from rich.table import Table

from api.settings import Settings
from bench.commands import fresh_database, fresh_schema, measure_in_process
from bench.load import (
    LoadResult,
    Target,
    api_server,
    feedback_load,
    read_load,
    seed,
    server_cpu_seconds,
)
from domain.application import build_application
from domain.values import Actor, Role
from domain.views import trajectory_view

console = Console()
DATABASE = "bewijsketen_bench_api"


def measure_in_process_reads(
    database_url: str, schema: str, targets: list[Target], threads: int, seconds: float
) -> float:
    """Reads/s of what GET /trajectories/{id} does, without HTTP: load the trajectory and build
    its view, from `threads` threads."""
    app = build_application(
        Settings(
            database_url=database_url, database_schema=schema, threads=threads, _env_file=None
        ).store
    )
    counts = [0] * threads
    stop = threading.Event()

    def loop(n: int) -> None:
        mine = targets[n::threads]
        i = 0
        while not stop.is_set():
            target = mine[i % len(mine)]
            trajectory_view(
                app.get_trajectory(target.trajectory_id), Actor(target.student_id, Role.STUDENT)
            )
            counts[n] += 1
            i += 1

    pool = [threading.Thread(target=loop, args=(n,)) for n in range(threads)]
    started = time.perf_counter()
    for thread in pool:
        thread.start()
    time.sleep(seconds)
    stop.set()
    for thread in pool:
        thread.join()
    elapsed = time.perf_counter() - started
    app.close()
    return sum(counts) / elapsed


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f}"


def per_request(cpu_seconds: float, result: LoadResult) -> str:
    """The server's CPU time per request answered, in ms."""
    return f"{cpu_seconds * 1000 / len(result.latencies):.2f}" if result.latencies else "-"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--seconds", type=float, default=10.0, help="Per measurement.")
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 8, 32])
    parser.add_argument("--trajectories", type=int, default=64)
    parser.add_argument("--threads", type=int, default=16, help="Threads per server process.")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes.")
    args = parser.parse_args()
    if args.trajectories < max(args.clients):
        parser.error("--trajectories must be at least the largest --clients")

    with fresh_database(DATABASE) as database_url:
        console.print("In process (no HTTP), for the baseline…")
        in_process = {
            c: measure_in_process(database_url, args.seconds, threads=c)
            for c in sorted(set(args.clients) | {8})
        }
        with fresh_schema(database_url) as schema:
            targets = seed(database_url, schema, args.trajectories)
            commands: dict[int, LoadResult] = {}
            reads: dict[int, LoadResult] = {}
            # Server CPU seconds per load, to give the cost of a request (ms of CPU).
            cost: dict[tuple[str, int], float] = {}
            with api_server(
                database_url, schema, threads=args.threads, workers=args.workers
            ) as base_url:
                console.print(f"API at {base_url}; warming up…")
                feedback_load(base_url, targets, 4, 2)
                read_load(base_url, targets, 4, 2)
                # All commands first, then all reads: every read run (and the in-process reads
                # after them) sees the trajectories as the commands left them.
                for clients in args.clients:
                    console.print(f"POST feedback, {clients} client(s)…")
                    before = server_cpu_seconds(base_url)
                    commands[clients] = feedback_load(base_url, targets, clients, args.seconds)
                    cost[("POST", clients)] = server_cpu_seconds(base_url) - before
                for clients in args.clients:
                    console.print(f"GET trajectory, {clients} client(s)…")
                    before = server_cpu_seconds(base_url)
                    reads[clients] = read_load(base_url, targets, clients, args.seconds)
                    cost[("GET", clients)] = server_cpu_seconds(base_url) - before
            console.print("In-process reads of the same trajectories…")
            reads_in_process = {
                c: measure_in_process_reads(database_url, schema, targets, c, args.seconds)
                for c in sorted(set(args.clients) | {8})
            }

    table = Table(
        title=f"HTTP API on PostgreSQL ({args.seconds:g} s per cell, "
        f"{args.trajectories} trajectories, {args.workers} server process(es) × "
        f"{args.threads} threads)"
    )
    for column in (
        "clients",
        "POST feedback/s",
        "p50 ms",
        "p99 ms",
        "CPU ms/POST",
        "in-process commands/s",
        "ratio",
        "GET trajectory/s",
        "p50 ms",
        "p99 ms",
        "CPU ms/GET",
        "in-process reads/s",
        "ratio",
        "failures",
    ):
        table.add_column(column, justify="right")
    for clients in args.clients:
        c, r = commands[clients], reads[clients]
        table.add_row(
            str(clients),
            f"{c.rate:,.0f}",
            ms(c.percentile(50)),
            ms(c.percentile(99)),
            per_request(cost[("POST", clients)], c),
            f"{in_process[clients]:,.0f}",
            f"{c.rate / in_process[clients]:.2f}",
            f"{r.rate:,.0f}",
            ms(r.percentile(50)),
            ms(r.percentile(99)),
            per_request(cost[("GET", clients)], r),
            f"{reads_in_process[clients]:,.0f}",
            f"{r.rate / reads_in_process[clients]:.2f}",
            str(len(c.failures) + len(r.failures)),
        )
    console.print(table)
    failures = [
        f for clients in args.clients for f in commands[clients].failures + reads[clients].failures
    ]
    for failure in failures[:5]:
        console.print(f"[red]failure[/red] {failure}")
    if 8 in commands:
        c8, r8 = commands[8], reads[8]
        share = c8.rate / in_process[8]
        console.print(
            f"Targets at 8 clients: POST feedback {share:.2f}× in-process (≥ 0.5) and "
            f"p99 {ms(c8.percentile(99))} ms (< 100); GET p99 {ms(r8.percentile(99))} ms (< 20)."
        )
    console.print(f"run {uuid.uuid4().hex[:8]} done")


if __name__ == "__main__":
    main()
