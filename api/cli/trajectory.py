"""`bewijsketen trajectory show ID`: state and history as readable tables."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from api.settings import Settings
from domain.application import build_application
from domain.errors import NotFound
from domain.history import history
from domain.persons import PersonRegistry
from domain.views import trajectory_view

NAME = "trajectory"
cli = typer.Typer(help="Inspect trajectories.", no_args_is_help=True)
console = Console()


@cli.command()
def show(
    trajectory_id: Annotated[uuid.UUID, typer.Argument(help="The trajectory id.")],
    version: Annotated[int | None, typer.Option(help="Show it as of this version.")] = None,
    as_of: Annotated[
        datetime | None,
        typer.Option(
            help="Show it as it was recorded at this ISO time (UTC), whatever day the events "
            "say their happenings took place."
        ),
    ] = None,
) -> None:
    """Print a trajectory's state and its history."""
    settings = Settings()
    app = build_application(settings.store)
    persons = PersonRegistry.in_data_dir(settings.data_dir)
    try:
        if as_of is not None:
            moment = as_of if as_of.tzinfo else as_of.astimezone()
            t = app.trajectory_as_of(trajectory_id, moment)
        else:
            t = app.get_trajectory(trajectory_id, version)
        events = [
            e for e in app.trajectory_events(trajectory_id) if e.originator_version <= t.version
        ]
    except NotFound as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from None
    view = trajectory_view(t)
    state = Table(title=f"Trajectory {t.id} (version {t.version})", show_header=False)
    state.add_row("student", f"{t.student_id} ({persons.name(t.student_id)})")
    state.add_row("program", f"{t.program_id} version {t.program_version}")
    state.add_row("started on", t.start_day.isoformat())
    state.add_row("coach / mentor", f"{t.coach_id} / {t.mentor_id}")
    state.add_row("phase", view["phase"])
    state.add_row("green light", str(view["green_light"] or "-"))
    state.add_row("next step", view["next_step"]["step"])
    state.add_row("missing", "\n".join(view["next_step"]["missing"]) or "-")
    console.print(state)

    outcomes = Table(title="Per outcome")
    for column in ("outcome", "evidence", "feedback", "medium-stake levels", "final level"):
        outcomes.add_column(column)
    last_attempt = t.attempts[-1] if t.attempts else None
    for code in t.definition.outcome_codes:
        outcomes.add_row(
            code,
            str(view["evidence_per_outcome"].get(code, 0)),
            str(sum(1 for f in t.feedback if code in f.outcomes)),
            " → ".join(m.levels.get(code, "-") for m in t.medium_stakes) or "-",
            (last_attempt.concluded_levels or {}).get(code, "-") if last_attempt else "-",
        )
    console.print(outcomes)

    rows = Table(title="History")
    for column in ("v", "took place", "recorded (UTC)", "actor", "role", "event", "summary"):
        rows.add_column(column)
    for row in history(events):
        rows.add_row(
            str(row.version),
            row.occurred_on.isoformat() if row.recorded_later else "",
            row.timestamp.strftime("%Y-%m-%d %H:%M:%S"),
            persons.name(row.actor_id),
            row.actor_role,
            row.event_type,
            row.summary,
        )
    console.print(rows)
    app.close()
