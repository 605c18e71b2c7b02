"""`bewijsketen audit …`: keys, sealing, checkpoints, verification and dossier bundles.

Settings come from BEWIJSKETEN_* (the store) and BEWIJSKETEN_AUDIT_* (the log), as for the API.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from api.settings import Settings
from domain.application import build_application
from domain.errors import NotFound
from projections.audit.bundle import BundleError, bundle_files, write_zip
from projections.audit.bundle_verify import verify_bundle
from projections.audit.checkpoint import dump_external, load_external
from projections.audit.config import require_signing_key
from projections.audit.dossier import DossierError
from projections.audit.keys import SigningKeyError, generate_key_file, key_id, load_public_pem
from projections.audit.runtime import AuditRuntime, open_runtime
from projections.audit.sealer import SealerService
from projections.audit.store import open_store
from projections.audit.verify import verify_store

NAME = "audit"
cli = typer.Typer(help="The verifiable audit log and decision dossiers.", no_args_is_help=True)
console = Console()
err = Console(stderr=True)


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=err,
        transient=False,
    )


@contextmanager
def _runtime() -> Iterator[AuditRuntime]:
    settings = Settings()
    app = build_application(settings.store)
    try:
        audit = open_runtime(app, settings.store, settings.audit)
    except SigningKeyError as exc:
        app.close()
        _fail(str(exc))
    try:
        yield audit
    finally:
        audit.close()
        app.close()


def _fail(message: str, code: int = 2) -> NoReturn:
    err.print(f"[red]{message}[/red]")
    raise typer.Exit(code)


@cli.command()
def keygen(
    key_file: Annotated[
        Path | None,
        typer.Option(help="Where to write it; default <data dir>/audit/signing-key.pem."),
    ] = None,
    force: Annotated[
        bool,
        typer.Option(
            help="Replace an existing key (old checkpoints stay "
            "verifiable only with the old public key)."
        ),
    ] = False,
) -> None:
    """Create the Ed25519 signing key (a file readable by its owner only)."""
    settings = Settings()
    audit = settings.audit
    path = key_file or audit.key_path(settings.data_dir)
    try:
        key = generate_key_file(path, force=force)
    except SigningKeyError as exc:
        _fail(str(exc))
    console.print(f"Signing key written to {path}")
    console.print(f"key id {key_id(key.public_key())}: publish it where the committee keeps it")


def _seal(audit: AuditRuntime) -> int:
    state = audit.sealer.state()
    count, _ = audit.store.count_events()
    with _progress() as progress:
        task = progress.add_task("sealing", total=max(count - state.tree_size, 0))
        return audit.sealer.seal_all(lambda n: progress.advance(task, n))


@cli.command()
def seal(
    follow: Annotated[bool, typer.Option(help="Keep following the log until interrupted.")] = False,
) -> None:
    """Seal every event not yet sealed (and sign checkpoints as they fall due)."""
    with _runtime() as audit:
        sealed = _seal(audit)
        audit.sealer.maybe_checkpoint()
        console.print(f"sealed {sealed} events; tree size {audit.sealer.state().tree_size}")
        if follow:
            service = SealerService(audit.sealer)
            service.start()
            console.print("following the log; Ctrl-C to stop")
            try:
                while service.running:
                    time.sleep(1)
            except KeyboardInterrupt:
                pass
            finally:
                service.stop()


@cli.command()
def checkpoint(
    export: Annotated[
        Path | None, typer.Option(help="Also write the checkpoint to this file, to keep outside.")
    ] = None,
) -> None:
    """Seal what is pending and sign a checkpoint now."""
    with _runtime() as audit:
        if audit.signing_key is None:
            _fail(
                f"no signing key at {audit.audit.key_path(audit.settings.data_dir)}: "
                "run `bewijsketen audit keygen`"
            )
        _seal(audit)
        signed = audit.sealer.checkpoint_now()
        if signed is None:
            _fail("the log is empty: nothing to sign yet")
        console.print(f"checkpoint: tree size {signed.tree_size}, root {signed.root_hash.hex()}")
        if export is not None:
            assert audit.public_key is not None
            export.write_text(dump_external(signed, audit.public_key))
            console.print(f"written to {export}: keep it outside the system")


def _public_key(path: Path | None) -> Ed25519PublicKey | None:
    if path is not None:
        try:
            return load_public_pem(path.read_bytes())
        except (OSError, SigningKeyError) as exc:
            _fail(f"{path}: {exc}")
    settings = Settings()
    audit = settings.audit
    try:
        key = audit.signing_key(settings.data_dir)
    except SigningKeyError as exc:
        _fail(str(exc))
    return key.public_key() if key else None


@cli.command()
def verify(
    against: Annotated[
        list[Path] | None,
        typer.Option(help="External checkpoint files to check the store against."),
    ] = None,
    public_key: Annotated[
        Path | None, typer.Option(help="PEM public key; default: the configured signing key's.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Recompute every leaf from the events table and check leaves, checkpoints and signatures.

    Exits 1 and names the first position where the store and the record diverge.
    """
    external = []
    for path in against or []:
        try:
            external.append(load_external(path.read_text(), str(path)))
        except (OSError, ValueError) as exc:
            _fail(f"{path}: {exc}")
    key = _public_key(public_key)
    settings = Settings()
    store = open_store(settings.store)
    try:
        total, _ = store.count_events()
        with _progress() as progress:
            task = progress.add_task("verifying", total=total)
            report = verify_store(store, key, external, lambda n: progress.advance(task, n))
    finally:
        store.close()
    if as_json:
        print(json.dumps(report.to_json(), indent=2))
    else:
        for line in report.lines():
            style = "green" if line.startswith("OK") else "red" if not line[0].isdigit() else ""
            console.print(line, style=style or None, highlight=False)
    if not report.ok:
        raise typer.Exit(1)


@cli.command("export")
def export_bundle(
    trajectory: Annotated[uuid.UUID, typer.Option(help="The trajectory's id.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="The zip file to write.")],
    attempt: Annotated[int | None, typer.Option(help="Up to the decision on this attempt.")] = None,
) -> None:
    """Write a self-contained, offline-verifiable dossier bundle (zip)."""
    with _runtime() as audit:
        try:
            require_signing_key(audit.audit, audit.settings.data_dir)
            _seal(audit)
            audit.sealer.checkpoint_now()
            assert audit.public_key is not None
            files = bundle_files(audit.app, audit.store, audit.public_key, trajectory, attempt)
        except (SigningKeyError, BundleError, DossierError, NotFound) as exc:
            _fail(str(exc))
        write_zip(files, output)
    console.print(f"dossier bundle written to {output} ({len(files)} files)")


@cli.command("verify-export")
def verify_export(
    bundle: Annotated[Path, typer.Argument(help="The dossier bundle (zip).")],
    public_key: Annotated[
        Path | None, typer.Option(help="PEM public key the checkpoint must be signed with.")
    ] = None,
) -> None:
    """Verify a dossier bundle offline: no database, no configuration needed."""
    pinned = None
    if public_key is not None:
        try:
            pinned = load_public_pem(public_key.read_bytes())
        except (OSError, SigningKeyError) as exc:
            _fail(f"{public_key}: {exc}")
    report = verify_bundle(bundle, pinned)
    for line in report.lines():
        console.print(line, style="green" if report.ok else "red", highlight=False)
    if not report.ok:
        raise typer.Exit(1)


@cli.command()
def status() -> None:
    """Tree size, last sealed position, latest checkpoint."""
    with _runtime() as audit:
        print(json.dumps(audit.sealer.status(), indent=2))
