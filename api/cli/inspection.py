"""`bewijsketen inspection sample|verify`: the inspectorate's reproducible sample of a cohort.

`sample` draws N trajectories of a program's cohort by seed (or, with `--all`, takes them all)
and writes one archive: every sampled trajectory's verifiable dossier bundle, all proven
against one signed checkpoint, the complete list of the cohort's trajectories with their
outcomes, and a manifest. `verify` checks such an archive offline.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from api.cli.audit import PolicyOption, TsaRootsOption, bundle_trust
from api.cli.report import catch_up
from api.settings import Settings
from domain.application import build_application
from domain.errors import NotFound
from projections.audit.bundle import BundleError
from projections.audit.dossier import DossierError
from projections.audit.keys import SigningKeyError
from projections.audit.runtime import open_runtime
from projections.reports.output import UnknownProgram, select_programs
from projections.reports.sample import SampleError, draw_sample, write_archive
from projections.reports.sample_verify import verify_sample
from projections.store import open_store

NAME = "inspection"
cli = typer.Typer(
    help="The inspectorate's sample of a cohort, and its verification.", no_args_is_help=True
)
console = Console()
err = Console(stderr=True)


def _fail(message: str, code: int = 2) -> NoReturn:
    err.print(f"[red]{message}[/red]")
    raise typer.Exit(code)


@cli.command()
def sample(
    program: Annotated[str, typer.Option(help="The program's code or id.")],
    cohort: Annotated[str, typer.Option(help="The cohort, as its trajectories were started.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="The zip file to write.")],
    size: Annotated[int | None, typer.Option(min=1, help="How many trajectories to draw.")] = None,
    seed: Annotated[
        str | None, typer.Option(help="The draw's seed: the same seed, the same students.")
    ] = None,
    whole: Annotated[bool, typer.Option("--all", help="Export the whole cohort.")] = False,
) -> None:
    """Draw a reproducible random sample of a cohort and export it as one verifiable archive."""
    if whole == (size is not None):
        _fail("give either --size N (with --seed) or --all")
    if size is not None and seed is None:
        _fail("a sample needs a --seed: with the same seed the same students are drawn again")
    settings = Settings()
    app = build_application(settings.store)
    store = open_store(settings.projections)
    try:
        audit = open_runtime(app, settings.store, settings.audit)
    except SigningKeyError as exc:
        store.close()
        app.close()
        _fail(str(exc))
    try:
        catch_up(app, store, settings)
        try:
            (chosen,) = select_programs(app.directory.programs(), [program])
        except UnknownProgram as exc:
            _fail(str(exc))
        columns = (
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
        )
        with Progress(*columns, console=err) as bar:
            task = bar.add_task("dossier bundles", total=None)
            try:
                drawn = draw_sample(
                    app,
                    store,
                    audit,
                    chosen,
                    cohort,
                    seed or "",
                    None if whole else size,
                    progress=lambda n: bar.advance(task, n),
                    total=lambda n: bar.update(task, total=n),
                )
            except (SampleError, BundleError, DossierError, NotFound) as exc:
                _fail(str(exc))
    finally:
        audit.close()
        store.close()
        app.close()
    write_archive(drawn, output)
    manifest = drawn.manifest
    console.print(
        f"{output}: {manifest['size']} of the {manifest['cohort_size']} trajectories of "
        f"{manifest['program']['code']} {manifest['cohort']!r}, checkpoint of tree size "
        f"{manifest['tree_size']}"
    )
    for item in manifest["sample"]:
        console.print(f"  {item['student_id']}  {item['trajectory_id']}")


@cli.command()
def verify(
    archive: Annotated[Path, typer.Argument(help="The sample archive (zip).")],
    policy: PolicyOption = None,
    public_key: Annotated[
        Path | None, typer.Option(help="PEM public key of the log (a policy without witnesses).")
    ] = None,
    trust_archive_key: Annotated[
        bool,
        typer.Option(
            help="Trust the key inside the archive (a first look: shows the archive is intact, "
            "not who made it)."
        ),
    ] = False,
    tsa_roots: TsaRootsOption = None,
) -> None:
    """Verify a sample archive offline: no database, no configuration needed; the trust comes
    from the policy, as for one dossier bundle."""
    trust = bundle_trust(archive, policy, public_key, trust_archive_key, None, tsa_roots)
    report = verify_sample(archive, trust)
    for line in report.lines():
        style = "green" if report.ok else "yellow" if line.startswith(("WARNING", "NOT")) else "red"
        console.print(line, style=style, highlight=False)
    if report.refused is not None:
        raise typer.Exit(2)
    if not report.ok:
        raise typer.Exit(1)
