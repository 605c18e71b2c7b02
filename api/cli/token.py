"""`bewijsketen token create|revoke`: bearer tokens for the API, stored only as hashes."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from api.settings import Settings
from api.tokens import TokenStore
from domain.values import Role

NAME = "token"
cli = typer.Typer(help="Issue and revoke API tokens.", no_args_is_help=True)
console = Console()


@cli.command()
def create(
    person: Annotated[str, typer.Option("--person", help="The person's id.")],
    role: Annotated[Role, typer.Option("--role", help="The role the token acts in.")],
) -> None:
    """Issue a token and print it once: only its hash is kept."""
    if not person.strip():
        raise typer.BadParameter("the person id must not be empty", param_hint="--person")
    store = TokenStore(Settings())
    try:
        token = store.create(person, role)
    finally:
        store.close()
    # Plain print: the token alone on stdout, so that scripts can capture it.
    print(token)


@cli.command()
def revoke(token: Annotated[str, typer.Argument(help="The token to revoke.")]) -> None:
    """Revoke a token; running servers stop accepting it within BEWIJSKETEN_TOKEN_CACHE_SECONDS."""
    store = TokenStore(Settings())
    try:
        revoked = store.revoke(token)
    finally:
        store.close()
    if not revoked:
        console.print("[red]No such active token.[/red]")
        raise typer.Exit(1)
    console.print("Revoked.")
