"""The `bewijsketen` command line. Its sub-commands live in the sibling modules listed in
`MODULES`, each defining `cli` (a group named `NAME`, default the module's name) or
`register(app)` (commands of their own).

Modules are imported only when their command runs: importing all of them means importing the
whole application (FastAPI, uvicorn, the event store, the read models), about 1.8 s on this
machine, which `bewijsketen token create` has no use for. A command is looked for first in the
module of the same name, and only then in all of them (`--help` lists every command).
"""

from __future__ import annotations

import importlib
import sys
from functools import cache

import typer

# Typer carries its own copy of Click; its group and command classes come from there.
from typer._click.core import Command, Context
from typer.core import TyperGroup


@cache
def _commands_of(module_name: str) -> dict[str, Command]:
    """The top-level commands one module provides, by name."""
    module = importlib.import_module(f"api.cli.{module_name}")
    found: dict[str, Command] = {}
    register = getattr(module, "register", None)
    if callable(register):
        scratch = typer.Typer()
        register(scratch)
        found.update(typer.main.get_group(scratch).commands)
    sub = getattr(module, "cli", None)
    if isinstance(sub, typer.Typer):
        name = getattr(module, "NAME", module_name)
        group = typer.main.get_group(sub)
        group.name = name
        found[name] = group
    return found


# The command modules, in the order `--help` lists their commands.
MODULES = (
    "demo",
    "trajectory",
    "serve",
    "token",
    "projections",
    "audit",
    "witness",
    "report",
    "inspection",
    "privacy",
)


def _module_names() -> list[str]:
    return list(MODULES)


def _all_commands() -> dict[str, Command]:
    found: dict[str, Command] = {}
    for module_name in _module_names():
        found.update(_commands_of(module_name))
    return found


class LazyCommands(TyperGroup):
    def list_commands(self, ctx: Context) -> list[str]:
        return list(_all_commands())

    def get_command(self, ctx: Context, cmd_name: str) -> Command | None:
        if cmd_name in _module_names():
            command = _commands_of(cmd_name).get(cmd_name)
            if command is not None:
                return command
        everything = _all_commands()
        # Typer suggests a near name for a typo from the commands it holds.
        self.commands.update(everything)
        return everything.get(cmd_name)


app = typer.Typer(
    cls=LazyCommands,
    help="bewijsketen: the audit trail of qualifying decisions in learning-based qualification.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)


@app.callback()
def main() -> None:
    """bewijsketen: the audit trail of qualifying decisions in learning-based qualification."""


def run() -> None:
    """The `bewijsketen` command. A store that cannot be opened for want of its
    key-encryption key (missing or wrong) ends in one line saying so, not a traceback."""
    try:
        app()
    except Exception as exc:
        # Imported only here: most commands never need the privacy layer's modules.
        from domain.privacy.kek import KekError

        cause: BaseException | None = exc
        while cause is not None and not isinstance(cause, KekError):
            cause = cause.__cause__ or cause.__context__
        if cause is None:
            raise
        print(f"bewijsketen: {cause}", file=sys.stderr)
        raise SystemExit(1) from None
