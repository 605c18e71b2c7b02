"""The `bewijsketen` command line; its sub-commands are registered here, in the order shown."""

from __future__ import annotations

import typer

from api.cli import audit, demo, inspection, projections, report, serve, token, trajectory

app = typer.Typer(
    help="bewijsketen: the audit trail of qualifying decisions in learning-based qualification.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)

for module in (demo, trajectory, serve, token, projections, audit, report, inspection):
    sub = getattr(module, "cli", None)
    if isinstance(sub, typer.Typer):
        app.add_typer(sub, name=getattr(module, "NAME", module.__name__.rsplit(".", 1)[-1]))
    register = getattr(module, "register", None)
    if callable(register):
        register(app)
