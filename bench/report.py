"""The annual report over a store of a million events, beside a raw baseline in the same run.

    python -m bench.report [--events 1000000] [--runs 5]

The event store comes from bench/dataset.py (generated through the domain, cached); the two
read models the report reads (`borging`, `reports`) are rebuilt from it into a schema of their
own (bench_report_read, dropped at the end). Then, alternately, `--runs` times each:

- the report: `projections.reports.annual.annual_report` for the calendar year of the data and
  every program, as the API and the command line compute it (its JSON figures);
- the baseline: plain psycopg queries that read, for the same year, the read-model rows the
  report uses (every column it reads, every row of the period), fetched, nothing computed.

Target: the report takes at most 2x the baseline (the faster run of each is compared). Rendering
the figures as HTML and PDF is timed once beside them, for information.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from datetime import date

import psycopg
from psycopg import sql
from rich.console import Console
from rich.progress import Progress

from api.settings import Settings
from bench.dataset import ensure_dataset
from domain.application import build_application
from projections.config import ProjectionConfig
from projections.models import by_name
from projections.rebuild import rebuild
from projections.reports.annual import annual_report
from projections.reports.pdf import html_to_pdf
from projections.reports.period import Period
from projections.reports.render import render_html
from projections.store import open_store

console = Console()
READ_SCHEMA = "bench_report_read"

# What the report reads: per table, the columns and the day column of the period.
READS: tuple[tuple[str, str, str], ...] = (
    (
        "report_decisions",
        "program_id, cohort, decision, passed, attempt, requested_at, requested_on, decided_at, "
        "decided_on",
        "decided_on",
    ),
    ("report_early_route", "program_id, cohort, step", "occurred_on"),
    (
        "report_assessments",
        "program_id, interview_needed, interview_held, doubt, disagreement, coach_assessor, "
        "independent",
        "judged_on",
    ),
    (
        "report_agreement",
        "program_id, trajectory_id, attempt, assessor_a, assessor_b, level_a, level_b, n",
        "judged_on",
    ),
    ("report_votes", "program_id, member_id, vote", "voted_on"),
    ("report_corrections", "program_id, committee, reason", "occurred_on"),
    ("borging_checks", "*", "concluded_on"),
    ("borging_exceptions", "*", "concluded_on"),
    ("report_follow_ups", "*", ""),
)


def drop_schemas(url: str, *schemas: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        for schema in schemas:
            conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))


def baseline(url: str, period: Period) -> tuple[float, int]:
    """Reads the rows the report uses with plain queries; (seconds, rows)."""
    started = time.perf_counter()
    rows = 0
    with psycopg.connect(url) as conn, conn.cursor() as cur:
        for table, columns, day in READS:
            query = f'SELECT {columns} FROM "{READ_SCHEMA}"."{table}"'
            if day:
                cur.execute(
                    f"{query} WHERE {day} >= %s AND {day} <= %s",
                    (period.first_day, period.last_day),
                )
            else:
                cur.execute(query)
            rows += len(cur.fetchall())
    return time.perf_counter() - started, rows


def best_of(runs: int, *measures: Callable[[], float]) -> list[list[float]]:
    """Each measure `runs` times, interleaved, so that load on the machine hits both alike."""
    timings: list[list[float]] = [[] for _ in measures]
    for _ in range(runs):
        for i, measure in enumerate(measures):
            timings[i].append(measure())
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    url = ensure_dataset(args.events)
    settings = Settings(database_url=url, threads=4, _env_file=None)
    config = ProjectionConfig.build(settings.store, read_schema=READ_SCHEMA)
    drop_schemas(url, READ_SCHEMA, config.build_schema)
    app = build_application(settings.store)
    store = open_store(config)
    try:
        head = int(app.recorder.max_notification_id() or 0)
        console.print(f"rebuilding the borging and reports read models over {head:,} events")
        started = time.perf_counter()
        with Progress(transient=True, console=console, refresh_per_second=2) as bar:
            task = bar.add_task("  rebuilding", total=head)

            def progress(position: int, top: int) -> None:
                bar.update(task, completed=position)

            rebuild(app, store, by_name(["borging", "reports"]), progress=progress)
        rebuild_seconds = time.perf_counter() - started
        found = store.query(
            f"SELECT max(decided_on) AS last FROM {store.live.q('report_decisions')}"
        )[0]["last"]
        last: date = found
        period = Period.of_year(last.year)
        programs = list(app.directory.programs())
        counts = {
            table: int(store.query(f"SELECT count(*) AS n FROM {store.live.q(table)}")[0]["n"])
            for table, _, _ in READS
        }
        rows = [0]

        def report_run() -> float:
            t = time.perf_counter()
            annual_report(store, app, programs, period)
            return time.perf_counter() - t

        def baseline_run() -> float:
            seconds, rows[0] = baseline(url, period)
            return seconds

        report_run()  # warm the caches once, for both alike
        baseline_run()
        report_times, baseline_times = best_of(args.runs, report_run, baseline_run)
        report = annual_report(store, app, programs, period)
        t = time.perf_counter()
        page = render_html(report)
        html_seconds = time.perf_counter() - t
        t = time.perf_counter()
        pdf = html_to_pdf(page, report.document_id)
        pdf_seconds = time.perf_counter() - t
    finally:
        store.close()
        app.close()
        drop_schemas(url, READ_SCHEMA, config.build_schema)

    fastest_report, fastest_baseline = min(report_times), min(baseline_times)
    ratio = fastest_report / fastest_baseline
    lines = [
        f"Annual report for {period.year}, {len(programs)} program(s), over {head:,} events "
        f"(PostgreSQL; read models rebuilt in {rebuild_seconds:.0f} s):",
        "",
        "| read-model table | rows |",
        "|---|---:|",
        *(f"| `{table}` | {n:,} |" for table, n in counts.items()),
        "",
        f"| what ({args.runs} runs, interleaved) | fastest s | median s |",
        "|---|---:|---:|",
        f"| baseline: plain queries reading the {rows[0]:,} rows of the year the report uses | "
        f"{fastest_baseline:.3f} | {statistics.median(baseline_times):.3f} |",
        f"| **the report** (every figure, as JSON data) | **{fastest_report:.3f}** | "
        f"{statistics.median(report_times):.3f} |",
        f"| ratio report / baseline (target <= 2) | **{ratio:.2f}** | |",
        f"| rendering it as HTML (once) | {html_seconds:.3f} | |",
        f"| rendering it as PDF (once; {len(pdf):,} bytes) | {pdf_seconds:.3f} | |",
        "",
        f"Figures: {report.decisions.totals.decisions:,} decisions, "
        f"{report.assessment.interviews.assessments:,} assessments, "
        f"{len(report.assessment.pairs)} assessor pairs, {report.borging.checks:,} checklists, "
        f"{report.borging.exceptions:,} exceptions.",
    ]
    console.print()
    print("\n".join(lines))


if __name__ == "__main__":
    main()
