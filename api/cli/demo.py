"""`bewijsketen demo`: seed the demo classes and print where each student stands."""

from __future__ import annotations

import time
from collections import Counter
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from api.settings import Settings
from domain.application import Bewijsketen, build_application
from domain.demo import ClassSummary, DemoSummary, seed_demo
from domain.errors import AlreadyExists
from domain.persons import PersonRegistry

console = Console()


def seed_with_progress(
    app: Bewijsketen, settings: Settings, students: int, seed: int, classes: int = 1
) -> DemoSummary:
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("Seeding the demo classes", total=students * classes)
        return seed_demo(
            app,
            students=students,
            seed=seed,
            classes=classes,
            persons=PersonRegistry.in_data_dir(settings.data_dir),
            progress=lambda n: progress.advance(task, n),
        )


def cohort_table(
    app: Bewijsketen, summary: DemoSummary, persons: PersonRegistry, school_class: ClassSummary
) -> Table:
    table = Table(
        title=f"Cohort {school_class.cohort}: {school_class.program_code}, school year "
        f"{summary.year.label} (today {summary.year.today.isoformat()})"
    )
    for column in ("student", "name", "scenario", "phase", "version", "next step", "missing"):
        table.add_column(column)
    for student_id in school_class.students:
        t = app.get_trajectory(summary.trajectories[student_id])
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


def classes_table(app: Bewijsketen, summary: DemoSummary) -> Table:
    table = Table(title="Classes")
    for column in ("cohort", "program", "students", "phases"):
        table.add_column(column)
    for school_class in summary.classes:
        phases = Counter(
            app.get_trajectory(summary.trajectories[s]).phase.value for s in school_class.students
        )
        table.add_row(
            school_class.cohort,
            school_class.program_code,
            str(len(school_class.students)),
            ", ".join(f"{phase} {n}" for phase, n in sorted(phases.items())),
        )
    return table


def register(app: typer.Typer) -> None:
    @app.command()
    def demo(
        students: Annotated[int, typer.Option(min=1, max=500, help="Students per class.")] = 25,
        classes: Annotated[
            int,
            typer.Option(min=1, max=40, help="Classes; two or more share two programs."),
        ] = 1,
        seed: Annotated[int, typer.Option(help="Same seed, same data.")] = 7,
    ) -> None:
        """Seed demo classes through a school year (every phase) and show where they stand."""
        settings = Settings()
        application = build_application(settings.store)
        started = time.perf_counter()
        try:
            summary = seed_with_progress(application, settings, students, seed, classes)
        except AlreadyExists:
            console.print(
                "[red]The store already holds the demo program.[/red] "
                f"Remove {settings.data_dir} (embedded store) to seed again."
            )
            raise typer.Exit(1) from None
        took = time.perf_counter() - started
        persons = PersonRegistry.in_data_dir(settings.data_dir)
        console.print(cohort_table(application, summary, persons, summary.classes[0]))
        if len(summary.classes) > 1:
            console.print(classes_table(application, summary))
        console.print(
            f"{summary.events} events in the log, seeded in {took:.1f} s; "
            f"program {summary.program_id}"
        )
        application.close()
