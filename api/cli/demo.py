"""`bewijsketen demo`: seed the demo class and print the cohort's state."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from api.settings import Settings
from domain.application import Bewijsketen, build_application
from domain.demo import DemoSummary, seed_demo
from domain.errors import AlreadyExists
from domain.persons import PersonRegistry

console = Console()


def seed_with_progress(
    app: Bewijsketen, settings: Settings, students: int, seed: int
) -> DemoSummary:
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("Seeding the demo class", total=students)
        return seed_demo(
            app,
            students=students,
            seed=seed,
            persons=PersonRegistry.in_data_dir(settings.data_dir),
            progress=lambda n: progress.advance(task, n),
        )


def cohort_table(app: Bewijsketen, summary: DemoSummary, persons: PersonRegistry) -> Table:
    table = Table(title="Cohort 2026-A: Software developer, AI-tools")
    for column in ("student", "name", "scenario", "phase", "version", "next step", "missing"):
        table.add_column(column)
    for student_id, trajectory_id in summary.trajectories.items():
        t = app.get_trajectory(trajectory_id)
        step = t.next_step()
        table.add_row(
            student_id,
            persons.name(student_id),
            summary.scenarios[student_id],
            t.phase.value,
            str(t.version),
            step.step,
            "; ".join(step.missing[:2]),
        )
    return table


def register(app: typer.Typer) -> None:
    @app.command()
    def demo(
        students: Annotated[int, typer.Option(min=1, max=500, help="Students in the class.")] = 25,
        seed: Annotated[int, typer.Option(help="Same seed, same data.")] = 7,
    ) -> None:
        """Seed a demo class (every phase) into the configured store and show its state."""
        settings = Settings()
        application = build_application(settings.store)
        try:
            summary = seed_with_progress(application, settings, students, seed)
        except AlreadyExists:
            console.print(
                "[red]The store already holds the demo program.[/red] "
                f"Remove {settings.data_dir} (embedded store) to seed again."
            )
            raise typer.Exit(1) from None
        console.print(
            cohort_table(application, summary, PersonRegistry.in_data_dir(settings.data_dir))
        )
        console.print(f"{summary.events} events in the log; program {summary.program_id}")
        application.close()
