"""The web pages under load, each beside the API GET(s) that serve the same data, in one run.

    python -m bench.web [--events 1000000] [--seconds 10] [--clients 8]

On the cached benchmark store (`bench/dataset.py`: classes played through the domain), with the
read models rebuilt once into a schema of their own (kept for later runs), uvicorn serves
`api.app:create_app` in a subprocess. Eight real HTTP clients (`bench/load.py`: one keep-alive
connection each) request a page for `--seconds`, then, right after, the API request(s) a client
would make for the same data: a page that shows two API answers (the trajectory and its
history) is measured against both, one after the other, as one request. Every page's p50 and
p99 beside its API's, and the ratio; the target is a page at most 1.5× its API GET.
"""

from __future__ import annotations

import argparse
import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import psycopg
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from api.settings import Settings
from api.tokens import TokenStore
from api.web.session import COOKIE, Sessions, signed_in_as
from bench.dataset import ensure_dataset
from bench.load import Http, LoadResult, Target, api_server, run_load
from domain.application import build_application
from domain.values import Role
from projections import log
from projections.config import ProjectionConfig
from projections.models import all_models
from projections.rebuild import rebuild
from projections.store import open_store

console = Console()
READ_SCHEMA = "bench_web_read"
SECRET = "bench-web-session-key-not-a-secret"


def settings_for(url: str) -> Settings:
    return Settings(
        database_url=url, read_schema=READ_SCHEMA, web_session_secret=SECRET, _env_file=None
    )


def ensure_read_models(url: str) -> None:
    """The read models of the whole store, rebuilt once into READ_SCHEMA and kept."""
    settings = settings_for(url)
    config = ProjectionConfig.build(settings.store, read_schema=READ_SCHEMA)
    app = build_application(settings.store)
    store = open_store(config)
    try:
        head = log.head(app)
        try:
            behind = [m.name for m in all_models() if (store.position(m.name) or 0) < head]
        except psycopg.Error:  # not built yet
            behind = [m.name for m in all_models()]
        if behind:
            with Progress(transient=True, console=console, refresh_per_second=2) as bar:
                task = bar.add_task("rebuilding the read models (once)", total=head)
                rebuild(
                    app,
                    store,
                    all_models(),
                    progress=lambda position, top: bar.update(task, completed=position),
                )
    finally:
        store.close()
        app.close()


@dataclass(frozen=True)
class Case:
    """A page and the API request(s) that serve the same data, for one reader."""

    name: str
    page: Callable[[Target], str]
    api: Callable[[Target], list[str]]
    reader: str


def sample_trajectories(url: str, n: int) -> list[uuid.UUID]:
    """Trajectories with a decision dossier to show: concluded high-stakes, at random."""
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT originator_id FROM bewijsketen_events "
            "WHERE topic LIKE %s ORDER BY notification_id DESC LIMIT 2000",
            ("%Trajectory.DecisionRatified",),
        ).fetchall()
    ids = sorted({row[0] for row in rows}, key=str)
    random.Random(5).shuffle(ids)
    return [uuid.UUID(str(i)) for i in ids[:n]]


def cases(cohort: str) -> list[Case]:
    return [
        Case(
            "Mijn werk (examencommissie)",
            lambda t: "/werk",
            lambda t: ["/read-models/borging/checks?decision=pending&limit=200"],
            "committee",
        ),
        Case(
            "Mijn werk (kwaliteitszorg)",
            lambda t: "/werk",
            lambda t: ["/read-models/borging/exceptions?limit=50"],
            "quality",
        ),
        Case(
            "Zoeken (cohort)",
            lambda t: f"/zoeken?cohort={cohort}",
            lambda t: [f"/trajectories?cohort={cohort}&limit=50"],
            "quality",
        ),
        Case(
            "Traject",
            lambda t: f"/trajecten/{t.trajectory_id}",
            lambda t: [
                f"/trajectories/{t.trajectory_id}",
                f"/trajectories/{t.trajectory_id}/history",
            ],
            "quality",
        ),
        Case(
            "Traject, terug in de tijd (versie 20)",
            lambda t: f"/trajecten/{t.trajectory_id}?versie=20",
            lambda t: [
                f"/trajectories/{t.trajectory_id}?version=20",
                f"/trajectories/{t.trajectory_id}/history",
            ],
            "quality",
        ),
        Case(
            "Dossier",
            lambda t: f"/trajecten/{t.trajectory_id}/dossier",
            lambda t: [f"/trajectories/{t.trajectory_id}/dossier"],
            "quality",
        ),
        Case(
            "Borging",
            lambda t: "/borging",
            lambda t: [
                "/read-models/borging/checks?limit=50",
                "/read-models/borging/exceptions?limit=100",
                "/read-models/calibration/assessors?limit=100",
                "/read-models/calibration/pairs?limit=100",
            ],
            "quality",
        ),
        Case(
            "Logboek", lambda t: "/logboek", lambda t: ["/audit/checkpoints?limit=1000"], "quality"
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--threads", type=int, default=16)
    args = parser.parse_args()

    url = ensure_dataset(args.events)
    ensure_read_models(url)
    settings = settings_for(url)
    personas = {
        "committee": ("committee-1", Role.COMMITTEE),
        "quality": ("quality-1", Role.QUALITY),
    }
    tokens = TokenStore(settings, cache_seconds=0)
    bearer = {k: tokens.create(p, r) for k, (p, r) in personas.items()}
    tokens.close()
    sessions = Sessions(settings.web)
    cookie = {
        k: f"{COOKIE}={sessions.encode(signed_in_as(p, None, [r], 8 * 3600))}"
        for k, (p, r) in personas.items()
    }
    trajectories = sample_trajectories(url, 64)
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT count(*) FROM bewijsketen_events").fetchone()
    events = row[0] if row else 0
    cohort = "cohort-7"
    env = {
        "BEWIJSKETEN_READ_SCHEMA": READ_SCHEMA,
        "BEWIJSKETEN_WEB_SESSION_SECRET": SECRET,
        # The read models are up to date (rebuilt above); the runner follows the (idle) log.
        "BEWIJSKETEN_EMBEDDED_PROJECTIONS": "true",
        # A dossier of the million-event store takes over a second (API and page alike): with
        # 8 clients, requests wait for a connection rather than answer 503 after 1 s.
        "BEWIJSKETEN_POOL_TIMEOUT": "30",
    }
    results: list[tuple[Case, LoadResult, LoadResult]] = []
    with api_server(url, threads=args.threads, env=env) as base_url:
        console.print(f"Server at {base_url}, {events:,} events; warming up…")
        for case in cases(cohort):
            targets = [Target(t, "", bearer[case.reader]) for t in trajectories]

            def page(http: Http, target: Target, n: int, case: Case = case) -> tuple[int, bytes]:
                return http.request(
                    "GET", case.page(target), headers={"Cookie": cookie[case.reader]}
                )

            def api(http: Http, target: Target, n: int, case: Case = case) -> tuple[int, bytes]:
                status, body = 200, b""
                for path in case.api(target):
                    status, body = http.request(
                        "GET", path, headers={"Authorization": f"Bearer {target.token}"}
                    )
                    if status != 200:
                        break
                return status, body

            run_load(base_url, targets, 2, 1.0, page)
            run_load(base_url, targets, 2, 1.0, api)
            console.print(f"{case.name}…")
            shown = run_load(base_url, targets, args.clients, args.seconds, page)
            served = run_load(base_url, targets, args.clients, args.seconds, api)
            results.append((case, shown, served))

    table = Table(
        title=f"Web pages beside their API GETs ({events:,} events, {args.clients} clients, "
        f"{args.seconds:g} s each)"
    )
    for column in (
        "page",
        "page/s",
        "p50 ms",
        "p99 ms",
        "API/s",
        "p50 ms",
        "p99 ms",
        "p50 ratio",
        "p99 ratio",
        "failures",
    ):
        table.add_column(column, justify="right" if column != "page" else "left")
    for case, shown, served in results:
        table.add_row(
            case.name,
            f"{shown.rate:,.0f}",
            f"{shown.percentile(50) * 1000:.1f}",
            f"{shown.percentile(99) * 1000:.1f}",
            f"{served.rate:,.0f}",
            f"{served.percentile(50) * 1000:.1f}",
            f"{served.percentile(99) * 1000:.1f}",
            f"{shown.percentile(50) / served.percentile(50):.2f}",
            f"{shown.percentile(99) / served.percentile(99):.2f}",
            str(len(shown.failures) + len(served.failures)),
        )
    console.print(table)
    for case, shown, served in results:
        for failure in (shown.failures + served.failures)[:2]:
            console.print(f"[red]{case.name}[/red]: {failure}")
    console.print(f"run {uuid.uuid4().hex[:8]} done")


if __name__ == "__main__":
    main()
