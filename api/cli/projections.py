"""`bewijsketen project` (the projection worker) and `bewijsketen projections status|rebuild`."""

from __future__ import annotations

import logging
import signal
import threading
from dataclasses import replace
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from api.settings import Settings
from domain.application import build_application
from domain.persistence.startup import startup_lock
from projections import log
from projections.audit.runtime import open_runtime
from projections.audit.sealer import SealerService
from projections.config import ProjectionConfig
from projections.models import all_models, by_name
from projections.rebuild import RebuildFailed
from projections.rebuild import rebuild as rebuild_models
from projections.runner import Runner
from projections.runner import status as projection_status
from projections.store import RebuildRunning, open_store

NAME = "projections"
cli = typer.Typer(help="Read models: their status, and rebuilding them.", no_args_is_help=True)
console = Console()


def _config(batch_size: int | None = None) -> ProjectionConfig:
    config = Settings().projections
    return config if batch_size is None else replace(config, batch_size=batch_size)


@cli.command()
def status() -> None:
    """Each projection's position, the log head and the lag."""
    config = _config()
    app = build_application(config.store)
    store = open_store(config)
    try:
        Runner(app, store, all_models(), config).ensure()
        report = projection_status(app, store, [m.name for m in all_models()])
    finally:
        store.close()
        app.close()
    table = Table(title=f"Projections (log head {report['head']})")
    columns = ("projection", "state", "position", "lag (events)", "lag (s)", "updated", "worker")
    for column in columns:
        # Names and states are never cut; times and workers give way on a narrow terminal.
        table.add_column(column, no_wrap=column in ("projection", "state"))
    for p in report["projections"]:
        table.add_row(
            p["name"],
            p["state"],
            str(p["position"]),
            f"{p['lag_events']}{'+' if p['lag_events_capped'] else ''}",
            f"{p['lag_seconds']:.3f}",
            p["updated_at"] or "-",
            p["worker"] or "-",
        )
    console.print(table)
    for p in report["projections"]:
        if p["failure"]:
            f = p["failure"]
            console.print(
                f"[red]{p['name']} cannot apply {f['event']}[/red] "
                f"({f['attempts']} attempts since {f['since']}): {escape(f['error'])}"
            )


@cli.command()
def rebuild(
    name: Annotated[
        str | None,
        typer.Argument(
            help="One projection (progress, cohorts, calibration, borging, reports); all if none."
        ),
    ] = None,
) -> None:
    """Rebuild from position 0 beside the live tables, which serve reads until the swap."""
    try:
        models = by_name([name] if name else None)
    except KeyError as exc:
        console.print(f"[red]{exc.args[0]}[/red]")
        raise typer.Exit(2) from None
    config = _config()
    app = build_application(config.store)
    store = open_store(config)
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed:,.0f}/{task.total:,.0f}"),
        TimeElapsedColumn(),
    )
    try:
        # A slow refresh: redrawing the bar takes the interpreter from the rebuild (~10% at 10/s).
        with Progress(*columns, console=console, refresh_per_second=2) as bar:
            task = bar.add_task("reading the event log", total=max(1, log.head(app)))

            def progress(position: int, head: int) -> None:
                bar.update(task, completed=position, total=head)

            def stage(text: str) -> None:
                bar.update(task, description=text)

            position = rebuild_models(
                app, store, models, config.batch_size, progress=progress, stage=stage
            )
    except RebuildRunning as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from None
    except RebuildFailed as exc:
        for poisoned in exc.poisoned:
            console.print(
                f"[red]{poisoned.name}: cannot apply {poisoned.event}[/red]: "
                f"{escape(poisoned.error)}"
            )
        if exc.rebuilt:
            console.print(
                f"Rebuilt {', '.join(exc.rebuilt)}; swapped in at log position {exc.position}.",
                soft_wrap=True,
            )
        raise typer.Exit(1) from None
    finally:
        store.close()
        app.close()
    names = ", ".join(m.name for m in models)
    # One line, however many projections: scripts and tests read it.
    console.print(f"Rebuilt {names}; swapped in at log position {position}.", soft_wrap=True)


def project(
    batch_size: Annotated[
        int | None,
        typer.Option(min=1, help="Events per transaction (BEWIJSKETEN_PROJECTION_BATCH_SIZE)."),
    ] = None,
    once: Annotated[
        bool, typer.Option("--once", help="Catch up to the head of the log, then exit.")
    ] = False,
    log_level: Annotated[str, typer.Option(help="DEBUG logs every batch applied.")] = "INFO",
    seal: Annotated[
        bool, typer.Option(help="Also run the audit sealer (BEWIJSKETEN_AUDIT_ENABLED).")
    ] = True,
) -> None:
    """Run the projection worker (and the audit sealer) until SIGTERM or Ctrl-C."""
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("bewijsketen").setLevel(log_level.upper())
    config = _config(batch_size)
    with startup_lock(config.store):
        app = build_application(config.store)
        store = open_store(config)
        runner = Runner(app, store, all_models(), config)
        runner.ensure()
        audit = open_runtime(app, config.store, Settings().audit) if seal else None
    stop = threading.Event()

    def request_stop(signum: int, frame: object) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    sealing = SealerService(audit.sealer) if audit is not None and audit.audit.enabled else None
    try:
        if once:
            events = runner.catch_up()
            console.print(f"Caught up: {events} events applied.")
            for failure in runner.failures.values():
                console.print(
                    f"[red]{failure.name} cannot apply {failure.event}[/red]: "
                    f"{escape(failure.error)}"
                )
            if audit is not None and audit.audit.enabled:
                sealed = audit.sealer.seal_all()
                audit.sealer.maybe_checkpoint()
                console.print(f"Sealed {sealed} events into the audit log.")
        else:
            if sealing is not None:
                # The sealer follows the same log on its own thread, exactly once.
                sealing.start()
            logging.getLogger("bewijsketen.projections").info(
                "projection worker %s started (batch %d)", runner.worker, config.batch_size
            )
            runner.run(stop)
    finally:
        if sealing is not None:
            sealing.stop()
        failed = bool(runner.failures)
        if audit is not None:
            audit.close()
        store.close()
        app.close()
    if once and failed:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command("project")(project)
