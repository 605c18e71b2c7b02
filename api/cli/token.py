"""`bewijsketen token create|list|revoke`: bearer tokens for the API, stored only as hashes.

Kept light on purpose: this module imports the token store and the settings, nothing of the
application, so that issuing a token takes a fraction of a second.
"""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from api.expiry import EXAMPLES, parse_expiry, shown
from api.settings import Settings
from api.tokens import TokenInfo, TokenStore
from domain.values import Role

NAME = "token"
cli = typer.Typer(help="Issue, list and revoke API tokens.", no_args_is_help=True)
console = Console()
# What is said about a token goes to stderr: stdout carries the token alone, for scripts.
notes = Console(stderr=True)


def _open() -> TokenStore:
    return TokenStore(Settings())


@cli.command()
def create(
    person: Annotated[str, typer.Option("--person", help="The person's id.")],
    role: Annotated[Role, typer.Option("--role", help="The role the token acts in.")],
    expires: Annotated[
        str | None,
        typer.Option(
            "--expires",
            help=f"When it stops working: {EXAMPLES}. "
            "Default: BEWIJSKETEN_TOKEN_LIFETIME (12h) from now.",
        ),
    ] = None,
) -> None:
    """Issue a token and print it once: only its hash is kept."""
    if not person.strip():
        raise typer.BadParameter("the person id must not be empty", param_hint="--person")
    try:
        expiry = parse_expiry(expires) if expires is not None else None
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--expires") from None
    store = _open()
    try:
        issued = store.issue(person, role, expiry)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--expires") from None
    finally:
        store.close()
    # Plain print: the token alone on stdout, so that scripts can capture it.
    print(issued.token)
    info = issued.info
    notes.print(
        f"Token {info.id} for {info.person_id} ({info.role.value}), "
        f"valid until {shown(info.expires_at)}.",
        highlight=False,
    )


def _as_json(info: TokenInfo, active: bool) -> dict[str, object]:
    return {
        "id": info.id,
        "person": info.person_id,
        "role": info.role.value,
        "created": info.created_at.isoformat(),
        "expires": info.expires_at.isoformat(),
        "revoked": info.revoked_at.isoformat() if info.revoked_at else info.revoked,
        "active": active,
    }


@cli.command("list")
def list_tokens(
    person: Annotated[
        str | None, typer.Option("--person", help="Only this person's tokens.")
    ] = None,
    active_only: Annotated[
        bool, typer.Option("--active", help="Only tokens that still work.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="JSON lines instead of a table.")] = False,
) -> None:
    """List tokens (id, person, role, created, expires, revoked); never the tokens themselves."""
    store = _open()
    try:
        now = store.clock()
        found = [(info, info.active(now)) for info in store.list_tokens(person)]
    finally:
        store.close()
    if active_only:
        found = [(info, active) for info, active in found if active]
    if as_json:
        for info, active in found:
            print(json.dumps(_as_json(info, active)))
        return
    table = Table(title=f"{len(found)} token(s)", title_justify="left")
    for column in ("id", "person", "role", "created", "expires", "revoked"):
        table.add_column(column, no_wrap=True)
    for info, active in found:
        if info.revoked:
            revoked = shown(info.revoked_at) if info.revoked_at else "yes"
        else:
            revoked = "" if active else "(expired)"
        table.add_row(
            info.id,
            info.person_id,
            info.role.value,
            shown(info.created_at),
            shown(info.expires_at),
            revoked,
        )
    console.print(table)


@cli.command()
def revoke(
    token: Annotated[
        str | None, typer.Argument(help="The token itself (or use --id or --person).")
    ] = None,
    token_id: Annotated[
        str | None, typer.Option("--id", help="The token's id, as `token list` shows it.")
    ] = None,
    person: Annotated[
        str | None, typer.Option("--person", help="Revoke every token of this person.")
    ] = None,
) -> None:
    """Revoke tokens; running servers stop accepting them within
    BEWIJSKETEN_TOKEN_CACHE_SECONDS."""
    given = [value for value in (token, token_id, person) if value is not None]
    if len(given) != 1:
        raise typer.BadParameter("name exactly one of: TOKEN, --id ID, --person ID")
    store = _open()
    try:
        if token is not None:
            count = int(store.revoke(token))
        elif token_id is not None:
            count = int(store.revoke_id(token_id.strip().lower()))
        else:
            assert person is not None
            count = store.revoke_person(person)
    finally:
        store.close()
    if not count:
        console.print("[red]No such active token.[/red]")
        raise typer.Exit(1)
    console.print(f"Revoked {count} token(s).")
