"""`bewijsketen report annual`: the exam committee's annual report, as PDF, HTML, CSV or JSON.

The read models are brought up to the log's head first (in this process, safely beside any
worker), so the report reflects everything recorded when it was made.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from api.settings import Settings
from domain.application import Bewijsketen, build_application
from projections import log
from projections.models import all_models
from projections.reports.annual import MODELS, annual_report
from projections.reports.output import FORMATS, UnknownProgram, select_programs
from projections.reports.pdf import PdfUnavailable
from projections.reports.period import Period, PeriodError
from projections.runner import Runner
from projections.store import ReadStore, open_store

NAME = "report"
cli = typer.Typer(
    help="Reports from the record: the committee's annual report.", no_args_is_help=True
)
console = Console(stderr=True)


def _fail(message: str, code: int = 2) -> NoReturn:
    console.print(f"[red]{message}[/red]")
    raise typer.Exit(code)


def catch_up(app: Bewijsketen, store: ReadStore, settings: Settings) -> None:
    """Applies the log to the read models up to its head, with a progress bar."""
    config = settings.projections
    runner = Runner(app, store, all_models(), config)
    runner.ensure()
    head = log.head(app)
    start = min(store.position(m.name) or 0 for m in all_models())
    with Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), console=console
    ) as bar:
        task = bar.add_task("read models", total=max(head - start, 1))
        while True:
            result = runner.advance()
            done = min(store.position(m.name) or 0 for m in all_models())
            bar.update(task, completed=max(done - start, 0))
            if result.caught_up and not result.busy:
                break
        bar.update(task, completed=max(head - start, 1))
    failed = [name for name in MODELS if name in runner.failures]
    if failed:
        _fail(
            f"the read model(s) {', '.join(failed)} cannot apply an event: see `projections status`"
        )


def period_of(year: int | None, first: date | None, last: date | None) -> Period:
    try:
        if year is not None:
            if first or last:
                _fail("give either --year or --from/--to")
            return Period.of_year(year)
        if first or last:
            if not (first and last):
                _fail("give both --from and --to")
            return Period.of_days(first, last)
        return Period.current_year()
    except PeriodError as exc:
        _fail(str(exc))


@cli.command()
def annual(
    output: Annotated[
        Path, typer.Option("-o", "--output", help="verslag.pdf, .html, .csv or .json.")
    ],
    year: Annotated[int | None, typer.Option(help="The calendar year (Europe/Amsterdam).")] = None,
    first: Annotated[
        str | None, typer.Option("--from", help="First day of the period (YYYY-MM-DD).")
    ] = None,
    last: Annotated[
        str | None, typer.Option("--to", help="Last day of the period, included (YYYY-MM-DD).")
    ] = None,
    program: Annotated[
        list[str] | None, typer.Option(help="A program's code or id; repeat for more; all if none.")
    ] = None,
) -> None:
    """The annual report of the exam committee over a period and one or more programs."""
    kind = FORMATS.get(output.suffix.lower().lstrip("."))
    if kind is None:
        _fail(f"{output}: the extension must be one of {', '.join('.' + f for f in FORMATS)}")
    try:
        days = (
            date.fromisoformat(first) if first else None,
            date.fromisoformat(last) if last else None,
        )
    except ValueError as exc:
        _fail(f"not a date (YYYY-MM-DD): {exc}")
    period = period_of(year, *days)
    settings = Settings()
    app = build_application(settings.store)
    store = open_store(settings.projections)
    try:
        catch_up(app, store, settings)
        try:
            programs = select_programs(app.directory.programs(), program)
        except UnknownProgram as exc:
            _fail(str(exc))
        with console.status("computing the report"):
            report = annual_report(store, app, programs, period)
            try:
                data = kind.render(report)
            except PdfUnavailable as exc:
                _fail(str(exc))
    finally:
        store.close()
        app.close()
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_bytes(data)
    console.print(
        f"{output}: {report.document_id}, {report.decisions.totals.decisions} decisions in "
        f"{len(programs)} program(s)"
    )
