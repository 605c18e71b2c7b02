"""`bewijsketen privacy due|retention|erase|export`: the privacy officer's work.

Every command acts as the privacy officer named by `--by` (or BEWIJSKETEN_PRIVACY_OFFICER);
every erasure request, shred and export is recorded in the privacy ledger under that name. What
is printed is Dutch: the privacy officer reads it, times in Europe/Amsterdam.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any, Literal

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from api.privacy_export import CLASSES, make_export
from api.refusals import dutch
from api.settings import Settings
from domain.application import Bewijsketen, build_application
from domain.errors import NotFound, RuleViolation
from domain.persons import PersonRegistry
from domain.privacy import retention as r
from domain.privacy.erasure import Eraser
from domain.values import Actor, Role
from projections.audit.render import day

NAME = "privacy"
cli = typer.Typer(
    help="Privacy: what is due, the retention job, erasure and access exports.",
    no_args_is_help=True,
)
console = Console(soft_wrap=True)
err = Console(stderr=True)

By = Annotated[
    str,
    typer.Option(
        "--by",
        envvar="BEWIJSKETEN_PRIVACY_OFFICER",
        help="The privacy officer's person id: who is recorded as doing it.",
    ),
]


def _open() -> tuple[Settings, Bewijsketen]:
    settings = Settings()
    return settings, build_application(settings.store)


def _eraser(settings: Settings, app: Bewijsketen) -> Eraser:
    def rebuild_read_models(student_id: str, trajectory_ids: Sequence[Any]) -> object:
        # The read side rebuilds the student's rows from the events, now showing placeholders.
        from projections.purge import purge_student

        return purge_student(app, settings.projections, student_id)

    return Eraser(app, PersonRegistry.in_data_dir(settings.data_dir), rebuild_read_models)


def _refused(exc: RuleViolation | NotFound) -> typer.Exit:
    if isinstance(exc, RuleViolation):
        err.print(f"[red]{escape(dutch(exc.rule, exc.message))}[/red] ({exc.rule})")
    else:
        err.print(f"[red]Niet gevonden: {escape(str(exc))}[/red]")
    return typer.Exit(2)


def _classes(names: Sequence[str]) -> str:
    return ", ".join(CLASSES.get(n, n) for n in names)


@cli.command()
def due() -> None:
    """Print what may be erased now, and the requests that wait for a legal hold to end."""
    settings, app = _open()
    try:
        schedule = _eraser(settings, app).schedule()
    finally:
        app.close()
    _print_due(schedule.due())
    waiting = schedule.waiting()
    if waiting:
        table = Table(title="Wachten op het einde van de bewaarplicht")
        for column in ("student", "verzoek", "bewaarplicht tot"):
            table.add_column(column)
        for w in waiting:
            table.add_row(w.student_id, str(w.request_id), day(w.hold_ends.isoformat()))
        console.print(table)


def _print_due(items: Sequence[r.Due]) -> None:
    if not items:
        console.print("Er is niets te verwijderen.")
        return
    table = Table(title=f"Te verwijderen ({len(items)})")
    for column in ("student", "klasse", "waarom", "sinds", "trajecten"):
        table.add_column(column)
    for d in items:
        why = "bewaartermijn verstreken" if d.because == "period" else f"verzoek {d.request_id}"
        table.add_row(
            d.student_id,
            CLASSES[d.retention],
            why,
            day(d.since.isoformat()),
            str(len(d.trajectory_ids)),
        )
    console.print(table)


@cli.command(name="retention")
def retention_job(
    by: By,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Only show what would be erased.")
    ] = False,
    apply: Annotated[bool, typer.Option("--apply", help="Erase what is due.")] = False,
) -> None:
    """The retention job: erase what is due (--apply), or show it (--dry-run)."""
    if dry_run == apply:
        err.print("[red]Kies --dry-run of --apply.[/red]")
        raise typer.Exit(2)
    settings, app = _open()
    actor = _actor(by)
    try:
        eraser = _eraser(settings, app)
        if dry_run:
            _print_due(eraser.retention(actor, apply=False).due)
            return
        total = len(eraser.schedule().due())
        columns = (
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
        )
        with Progress(*columns, console=err) as bar:
            task = bar.add_task("verwijderen", total=total)
            run = eraser.retention(actor, apply=True, progress=lambda n: bar.advance(task, n))
    except RuleViolation as exc:
        raise _refused(exc) from None
    finally:
        app.close()
    for shred in run.shreds:
        console.print(
            f"{shred.student_id}: {_classes(shred.classes)} vernietigd "
            f"({len(shred.key_ids)} sleutels, {len(shred.trajectory_ids)} trajecten"
            + (", personenregister gewist" if shred.registry_forgotten else "")
            + ")"
        )
    console.print(f"{len(run.shreds)} studenten verwerkt.")


@cli.command()
def erase(
    by: By,
    student: Annotated[str, typer.Option("--student", help="The student's id.")],
    classes: Annotated[
        Literal["formative", "all"],
        typer.Option("--class", help="formative, or all (the exam record too)."),
    ],
    reason: Annotated[str, typer.Option("--reason", help="Why (kept as proof; no names).")],
) -> None:
    """Erase a student's data on request; what a legal hold keeps waits for the hold to end."""
    settings, app = _open()
    try:
        done = _eraser(settings, app).erase(_actor(by), student, classes, reason)
    except (RuleViolation, NotFound) as exc:
        raise _refused(exc) from None
    finally:
        app.close()
    console.print(f"Verzoek vastgelegd: {done.request_id}")
    if done.shred is not None:
        s = done.shred
        console.print(
            f"Vernietigd: {_classes(s.classes)} ({len(s.key_ids)} sleutels, "
            f"{len(s.trajectory_ids)} trajecten"
            + (", personenregister gewist" if s.registry_forgotten else "")
            + ")."
        )
        if s.unreachable_events:
            console.print(
                f"[yellow]{s.unreachable_events} gebeurtenissen zijn opgeslagen voordat "
                "versleuteling begon; die bereikt het vernietigen niet.[/yellow]"
            )
    if done.waiting_until is not None:
        console.print(
            "Het examendossier valt onder de wettelijke bewaarplicht tot "
            f"{day(done.waiting_until.isoformat())}; de bewaartaak verwijdert het vanaf die dag."
        )


@cli.command(name="export")
def export_command(
    by: By,
    student: Annotated[str, typer.Option("--student", help="The student's id.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Where to write the zip.")],
) -> None:
    """Write everything stored about a student (JSON and a Dutch page) into a zip."""
    settings, app = _open()
    try:
        made = make_export(app, PersonRegistry.in_data_dir(settings.data_dir), _actor(by), student)
    except (RuleViolation, NotFound) as exc:
        raise _refused(exc) from None
    finally:
        app.close()
    output.write_bytes(made.content)
    console.print(f"{output}: {made.events} gebeurtenissen, sha256 {made.sha256}")


def _actor(by: str) -> Actor:
    return Actor(by, Role.PRIVACY)
