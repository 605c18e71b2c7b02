"""`bewijsketen witness …`: run a witness for other logs (c2sp.org/tlog-witness).

    bewijsketen witness keygen --name witness.example.nl/w1     # prints the witness's vkey
    bewijsketen witness serve --log <vkey of a log> [--log …] [--port 8181]

An inspectorate, a second school or the board runs one; the log lists it in its policy file
(`witness <name> <vkey> <url>`) and sends it every new checkpoint. Settings come from
BEWIJSKETEN_AUDIT_WITNESS_* (see projections/audit/config.py); options win over them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, NoReturn

import typer
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import PlainTextResponse, Response
from rich.console import Console

from api.settings import Settings
from projections.audit.config import AuditConfig
from projections.audit.keys import SigningKeyError, generate_key_file, load_key_file
from projections.audit.note import COSIGNATURE_V1, NoteError, NoteSigner, check_name, parse_vkey
from projections.audit.witness import Witness, WitnessError

NAME = "witness"
cli = typer.Typer(help="A witness that cosigns other logs' checkpoints.", no_args_is_help=True)
console = Console()
err = Console(stderr=True)

# A request holds at most 63 proof hashes and a checkpoint with a few dozen signatures.
MAX_REQUEST = 64 * 1024


def _fail(message: str, code: int = 2) -> NoReturn:
    err.print(f"[red]{message}[/red]")
    raise typer.Exit(code)


def witness_app(witness: Witness) -> FastAPI:
    """The witness's HTTP interface: submission and monitoring prefix are both the root."""
    app = FastAPI(title="bewijsketen witness", docs_url=None, redoc_url=None, openapi_url=None)

    @app.post("/add-checkpoint")
    async def add_checkpoint(request: Request) -> Response:
        body = await request.body()
        if len(body) > MAX_REQUEST:
            return PlainTextResponse("request too large\n", status_code=413)
        try:
            done = witness.add_checkpoint(body)
        except WitnessError as exc:
            return Response(exc.body, status_code=exc.status, media_type=exc.content_type)
        return PlainTextResponse(done.lines)

    @app.get("/{origin_hash}/checkpoint")
    def checkpoint(origin_hash: str) -> Response:
        note = witness.latest(origin_hash)
        if note is None:
            return PlainTextResponse("no checkpoint cosigned for that log\n", status_code=404)
        return PlainTextResponse(note)

    return app


def _signer(name: str, key_file: Path) -> NoteSigner:
    try:
        check_name(name)
        return NoteSigner(name, COSIGNATURE_V1, load_key_file(key_file))
    except (NoteError, SigningKeyError) as exc:
        _fail(str(exc))


def _defaults(name: str | None, key_file: Path | None) -> tuple[AuditConfig, str, Path]:
    settings = Settings()
    audit = settings.audit
    return audit, name or audit.witness_name, key_file or audit.witness_key_path(settings.data_dir)


@cli.command()
def keygen(
    name: Annotated[str | None, typer.Option(help="The witness's key name.")] = None,
    key_file: Annotated[Path | None, typer.Option(help="Where to write the key.")] = None,
    force: Annotated[bool, typer.Option(help="Replace an existing key.")] = False,
) -> None:
    """Create the witness's Ed25519 key and print its verifier key (vkey)."""
    _, name, path = _defaults(name, key_file)
    try:
        check_name(name)
        generate_key_file(path, force=force)
    except (NoteError, SigningKeyError) as exc:
        _fail(str(exc))
    console.print(f"witness key written to {path}")
    print(_signer(name, path).verifier.vkey)


@cli.command()
def vkey(
    name: Annotated[str | None, typer.Option(help="The witness's key name.")] = None,
    key_file: Annotated[Path | None, typer.Option(help="The witness's key.")] = None,
) -> None:
    """Print the witness's verifier key, for the logs' and verifiers' policy files."""
    _, name, path = _defaults(name, key_file)
    print(_signer(name, path).verifier.vkey)


@cli.command()
def serve(
    log: Annotated[
        list[str] | None,
        typer.Option("--log", help="Verifier key of a log to follow (repeatable)."),
    ] = None,
    name: Annotated[str | None, typer.Option(help="The witness's key name.")] = None,
    key_file: Annotated[Path | None, typer.Option(help="The witness's key.")] = None,
    state_file: Annotated[Path | None, typer.Option(help="SQLite file of its state.")] = None,
    host: Annotated[str | None, typer.Option(help="Address to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
) -> None:
    """Serve add-checkpoint and the latest cosigned checkpoint per log until interrupted."""
    audit, name, path = _defaults(name, key_file)
    signer = _signer(name, path)
    vkeys = list(log or []) or list(audit.witness_logs)
    if not vkeys:
        _fail("no log to follow: give --log <vkey> (or BEWIJSKETEN_AUDIT_WITNESS_LOGS)")
    try:
        logs = [parse_vkey(v) for v in vkeys]
        witness = Witness(signer, logs, state_file or audit.witness_state_path(Settings().data_dir))
    except NoteError as exc:
        _fail(str(exc))
    where = (
        f"http://{host or audit.witness_host}:{port if port is not None else audit.witness_port}"
    )
    console.print(f"witness {signer.verifier.vkey}")
    console.print(f"following {', '.join(sorted(witness.origins))}; submission prefix {where}")
    uvicorn.run(
        witness_app(witness),
        host=host or audit.witness_host,
        port=port if port is not None else audit.witness_port,
        log_level="warning",
        access_log=False,
    )
