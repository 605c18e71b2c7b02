"""The `bewijsketen` command line. Sub-commands live in sibling modules that define `cli`."""

from __future__ import annotations

import importlib
import pkgutil

import typer

from api import cli as cli_package

app = typer.Typer(
    help="bewijsketen: the audit trail of qualifying decisions in learning-based qualification.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)


def _mount_subcommands() -> None:
    for info in sorted(pkgutil.iter_modules(cli_package.__path__), key=lambda i: i.name):
        if info.name == "main":
            continue
        module = importlib.import_module(f"api.cli.{info.name}")
        sub = getattr(module, "cli", None)
        if isinstance(sub, typer.Typer):
            app.add_typer(sub, name=getattr(module, "NAME", info.name))
        register = getattr(module, "register", None)
        if callable(register):
            register(app)


_mount_subcommands()
