"""`bewijsketen audit …`: keys, sealing, checkpoints, verification and dossier bundles.

Settings come from BEWIJSKETEN_* (the store) and BEWIJSKETEN_AUDIT_* (the log), as for the API.
"""

from __future__ import annotations

import json
import time
import uuid
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from api.settings import Settings
from domain.application import build_application
from domain.errors import NotFound
from projections.audit import bundle_format as fmt
from projections.audit.bundle import BundleError, bundle_files, write_zip
from projections.audit.bundle_verify import BundleTrust, verify_bundle
from projections.audit.checkpoint import (
    ExternalCheckpoint,
    dump_external,
    from_note,
    load_external,
    log_verifier,
)
from projections.audit.config import require_signing_key
from projections.audit.cosign import fetch_witnessed
from projections.audit.dossier import DossierError
from projections.audit.keys import (
    SigningKeyError,
    generate_key_file,
    load_key_file,
    load_public_pem,
)
from projections.audit.policy import Policy, PolicyError, load_policy
from projections.audit.runtime import AuditRuntime, open_runtime
from projections.audit.sealer import KeyChanged, SealerService
from projections.audit.store import open_store
from projections.audit.timestamps import TimestampError, load_roots
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
    except (SigningKeyError, PolicyError) as exc:
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
    vkey = log_verifier(audit.origin, key.public_key()).vkey
    console.print("verifier key (publish it; verifiers pin it in their policy as `log <vkey>`):")
    print(vkey)


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
        try:
            signed = audit.sealer.checkpoint_now()
        except KeyChanged as exc:
            _fail(str(exc))
        if signed is None:
            _fail("the log is empty: nothing to sign yet")
        console.print(
            f"checkpoint: tree size {signed.tree_size}, root {signed.root_hash.hex()}, "
            f"{len(signed.cosignatures)} cosignatures"
        )
        if export is not None:
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


def _policy(path: Path | None, default: Path | None = None) -> Policy | None:
    chosen = path or default
    if chosen is None:
        return None
    try:
        return load_policy(chosen)
    except PolicyError as exc:
        _fail(str(exc))


def _held(paths: list[Path] | None) -> list[ExternalCheckpoint]:
    held = []
    for path in paths or []:
        try:
            held.append(load_external(path.read_text(), str(path)))
        except (OSError, ValueError, UnicodeDecodeError) as exc:
            _fail(f"{path}: {exc}")
    return held


def _roots(path: Path | None) -> list[x509.Certificate]:
    if path is None:
        return []
    try:
        return load_roots(path)
    except TimestampError as exc:
        _fail(str(exc))


PolicyOption = Annotated[
    Path | None,
    typer.Option(help="Trust policy (c2sp.org/tlog-policy): log key, witnesses, quorum."),
]
TsaRootsOption = Annotated[
    Path | None, typer.Option(help="PEM root certificate(s) of the time-stamping authority.")
]
AgainstOption = Annotated[
    list[Path] | None,
    typer.Option(help="Checkpoints kept outside (C2SP notes, or first-format JSON files)."),
]


@cli.command()
def verify(
    against: AgainstOption = None,
    policy: PolicyOption = None,
    public_key: Annotated[
        Path | None, typer.Option(help="PEM public key; default: the configured signing key's.")
    ] = None,
    tsa_roots: TsaRootsOption = None,
    witnesses: Annotated[
        bool, typer.Option(help="Also check the store against the policy's witnesses' latest.")
    ] = True,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Recompute every leaf from the events table and check leaves, checkpoints, signatures,
    the key chain and (with a policy) the witnesses' cosignatures.

    Exits 1 and names the first position where the store and the record diverge, or the
    checkpoint whose key changed or that the witnesses did not cosign.
    """
    audit = Settings().audit
    external = _held(against)
    trust = _policy(policy, audit.policy_file)
    roots = _roots(tsa_roots or audit.tsa_roots)
    key = _public_key(public_key)
    settings = Settings()
    store = open_store(settings.store)
    notes: list[str] = []
    problems: list[str] = []
    if trust is not None and witnesses:
        view = fetch_witnessed(trust, audit.origin, audit.witness_timeout)
        external += view.checkpoints
        notes, problems = view.notes, view.problems
    try:
        total, _ = store.count_events()
        with _progress() as progress:
            task = progress.add_task("verifying", total=total)
            report = verify_store(
                store,
                key,
                external,
                lambda n: progress.advance(task, n),
                policy=trust,
                tsa_roots=roots,
                grace_seconds=audit.witness_grace_seconds,
            )
    finally:
        store.close()
    report.notes.extend(notes)
    report.problems.extend(problems)
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
    against: Annotated[
        list[Path] | None,
        typer.Option(help="Checkpoints a verifier holds: the bundle proves consistency with them."),
    ] = None,
) -> None:
    """Write a self-contained, offline-verifiable dossier bundle (zip)."""
    held = [h.checkpoint for h in _held(against)]
    with _runtime() as audit:
        try:
            require_signing_key(audit.audit, audit.settings.data_dir)
            _seal(audit)
            audit.sealer.checkpoint_now()
            vkey = audit.sealer.vkey
            assert vkey is not None
            files = bundle_files(audit.app, audit.store, vkey, trajectory, attempt, held)
        except (SigningKeyError, BundleError, DossierError, NotFound, KeyChanged) as exc:
            _fail(str(exc))
        write_zip(files, output)
    console.print(f"dossier bundle written to {output} ({len(files)} files)")


def bundle_trust(
    archive: Path,
    policy: Path | None,
    public_key: Path | None,
    trust_own_key: bool,
    against: list[Path] | None = None,
    tsa_roots: Path | None = None,
) -> BundleTrust:
    """What a bundle (or an archive of bundles sharing one checkpoint) is judged under, from the
    command line's options; the same for `audit verify-export` and `inspection verify`."""
    trust = _policy(policy)
    if trust is None and public_key is not None:
        trust = _pinned_policy(archive, public_key)
    return BundleTrust(trust, trust_own_key, _held(against), _roots(tsa_roots))


def _pinned_policy(bundle: Path, public_key: Path) -> Policy:
    """--public-key PEM: a policy of that one key, named by the bundle's origin, no witness."""
    try:
        key = load_public_pem(public_key.read_bytes())
    except (OSError, SigningKeyError) as exc:
        _fail(f"{public_key}: {exc}")
    try:
        with zipfile.ZipFile(bundle) as archive:
            origin = from_note(archive.read(fmt.CHECKPOINT).decode()).origin
    except (OSError, KeyError, ValueError, zipfile.BadZipFile, UnicodeDecodeError) as exc:
        _fail(f"{bundle}: no readable {fmt.CHECKPOINT}: {exc}")
    return Policy(logs=[(log_verifier(origin, key), None)], source=str(public_key))


@cli.command("verify-export")
def verify_export(
    bundle: Annotated[Path, typer.Argument(help="The dossier bundle (zip).")],
    policy: PolicyOption = None,
    trust_bundle_key: Annotated[
        bool,
        typer.Option(
            help="Trust the key inside the bundle (a first look: shows the bundle is intact, "
            "not who made it)."
        ),
    ] = False,
    against: Annotated[
        list[Path] | None,
        typer.Option(help="Checkpoints you hold: the bundle must prove consistency with them."),
    ] = None,
    tsa_roots: TsaRootsOption = None,
    public_key: Annotated[
        Path | None, typer.Option(help="PEM public key of the log (a policy without witnesses).")
    ] = None,
) -> None:
    """Verify a dossier bundle offline: no database, no configuration needed; the trust comes
    from the policy (the log's published key, its witnesses, the quorum)."""
    report = verify_bundle(
        bundle, bundle_trust(bundle, policy, public_key, trust_bundle_key, against, tsa_roots)
    )
    for line in report.lines():
        style = "green" if report.ok else "yellow" if line.startswith(("WARNING", "NOT")) else "red"
        console.print(line, style=style, highlight=False)
    if report.refused is not None:
        raise typer.Exit(2)
    if not report.ok:
        raise typer.Exit(1)


@cli.command("rotate-key")
def rotate_key(
    new_key_file: Annotated[
        Path,
        typer.Option(help="The next key (make it with `audit keygen --key-file FILE`)."),
    ],
) -> None:
    """Announce a new signing key in a checkpoint signed by the current one, and record it.

    Then configure the new key (BEWIJSKETEN_AUDIT_KEY_FILE) in every process, and add its vkey
    to the verifiers' policies; witnesses of this project learn it from the announcement.
    """
    try:
        new_key = load_key_file(new_key_file)
    except SigningKeyError as exc:
        _fail(str(exc))
    with _runtime() as audit:
        if audit.signing_key is None:
            _fail("no current signing key: nothing to rotate from")
        try:
            announcement = audit.sealer.rotate(new_key)
        except KeyChanged as exc:
            _fail(str(exc))
        console.print(f"announced at tree size {announcement.tree_size}; the log's key is now:")
        print(announcement.next_key)
        console.print(
            f"configure BEWIJSKETEN_AUDIT_KEY_FILE={new_key_file} in every process before the "
            "next checkpoint"
        )


@cli.command("vkey")
def show_vkey() -> None:
    """Print the log's verifier key (signed-note format), for policy files."""
    settings = Settings()
    audit = settings.audit
    try:
        key = audit.signing_key(settings.data_dir)
    except SigningKeyError as exc:
        _fail(str(exc))
    if key is None:
        _fail("no signing key: run `bewijsketen audit keygen`")
    print(log_verifier(audit.origin, key.public_key()).vkey)


@cli.command()
def status() -> None:
    """Tree size, last sealed position, latest checkpoint."""
    with _runtime() as audit:
        print(json.dumps(audit.sealer.status(), indent=2))
