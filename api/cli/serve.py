"""`bewijsketen serve`: the HTTP API under uvicorn, configured like `uvicorn --factory
api.app:create_app` (settings from BEWIJSKETEN_* and .env; options override them)."""

from __future__ import annotations

from typing import Annotated

import typer
import uvicorn

from api.app import create_app
from api.settings import Settings
from domain.application import check_keys
from domain.persistence.startup import startup_lock
from domain.privacy.kek import KekError
from projections.audit.keys import SigningKeyError


def register(app: typer.Typer) -> None:
    @app.command()
    def serve(
        demo: Annotated[
            bool, typer.Option("--demo", help="Seed the demo class on first start (empty store).")
        ] = False,
        host: Annotated[str | None, typer.Option(help="Interface to listen on.")] = None,
        port: Annotated[int | None, typer.Option(min=1, max=65535, help="Port.")] = None,
    ) -> None:
        """Serve the API (embedded SQLite store unless BEWIJSKETEN_DATABASE_URL is set)."""
        overrides: dict[str, object] = {}
        if demo:
            overrides["seed_demo"] = True
        if host is not None:
            overrides["host"] = host
        if port is not None:
            overrides["port"] = port
        # Options given on the command line win over the environment.
        settings = Settings(**overrides)  # type: ignore[arg-type]
        try:
            # Said here in one line; from inside the server's start it would end a traceback.
            settings.audit.signing_key(settings.data_dir)
            with startup_lock(settings.store):
                check_keys(settings.store)
        except (SigningKeyError, KekError) as exc:
            typer.echo(f"Not starting: {exc}", err=True)
            raise typer.Exit(1) from None
        uvicorn.run(
            create_app(settings),
            host=settings.host,
            port=settings.port,
            proxy_headers=False,
            log_level="info",
        )
