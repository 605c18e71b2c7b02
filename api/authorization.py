"""Who may call each route, read off the declarations: the matrix of docs/authorization.md.

Every route of the app is one of: a command (its route function carries the command class, whose
`issued_by` says who may send it), a declared read (its `may_read` dependency carries the read),
or public. `python -m api.authorization` writes the matrix into docs/authorization.md; a test
fails when the file and the declarations differ.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts

from domain import policy
from domain.commands import Command
from domain.policy import Relation

DOC = Path(__file__).resolve().parent.parent / "docs" / "authorization.md"
BEGIN = "<!-- generated from the declarations by `python -m api.authorization`: do not edit -->"
END = "<!-- end of the generated matrix -->"
# Routes anyone may call without signing in.
PUBLIC = frozenset({"GET /health", "GET /audit/public-key", "GET /audit/vkey"})


@dataclass(frozen=True)
class Operation:
    """One route and who may call it."""

    method: str
    path: str
    command: type[Command] | None = None
    read: policy.Read | None = None

    @property
    def name(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def public(self) -> bool:
        return self.name in PUBLIC


def _read_of(dependant: Dependant) -> policy.Read | None:
    for dependency in dependant.dependencies:
        found = getattr(dependency.call, "read", None)
        if isinstance(found, policy.Read):
            return found
        deeper = _read_of(dependency)
        if deeper is not None:
            return deeper
    return None


def operations(app: FastAPI) -> list[Operation]:
    """Every API route of the app with what it declares, in the app's order."""
    found = []
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        # The web pages (api/web) are not API operations: they read through the API's own
        # route functions, under the same declarations.
        if not isinstance(route, APIRoute) or context.path is None:
            continue
        if not getattr(context, "include_in_schema", route.include_in_schema):
            continue
        for method in sorted(route.methods or ()):
            command = getattr(route.endpoint, "command", None)
            found.append(
                Operation(method, context.path, command=command, read=_read_of(route.dependant))
            )
    return found


COLUMNS: tuple[Relation, ...] = tuple(r for r in Relation if r is not Relation.ANYONE)


def _cells(relations: frozenset[Relation]) -> list[str]:
    if Relation.ANYONE in relations:
        return ["yes"] * len(COLUMNS)
    return ["yes" if r in relations else "" for r in COLUMNS]


def rows(app: FastAPI) -> Iterator[tuple[str, str, list[str]]]:
    """(operation, what it is, one cell per relation) for every operation and variant."""
    for op in operations(app):
        if op.command is not None:
            for variant, relations in op.command.issued_by.variants.items():
                label = f"`{op.name}`" + (f" ({variant})" if variant else "")
                yield label, f"command, {op.command.rule}", _cells(relations)
        elif op.read is not None:
            yield f"`{op.name}`", op.read.doc, _cells(op.read.readers)
        elif op.public:
            yield f"`{op.name}`", "public, no sign-in", ["yes"] * len(COLUMNS)
        else:
            raise LookupError(f"{op.name} declares no access: give it a command or a read")


def matrix(app: FastAPI) -> str:
    header = "| operation | what | " + " | ".join(r.value for r in COLUMNS) + " |"
    lines = [header, "|" + "---|" * (len(COLUMNS) + 2)]
    for label, what, cells in rows(app):
        lines.append(f"| {label} | {what} | " + " | ".join(cells) + " |")
    legend = [
        "",
        "The relations, what the caller is to the trajectory (or its program):",
        "",
        *(f"- `{r.value}`: {r.description}" for r in Relation),
    ]
    return "\n".join([BEGIN, "", *lines, *legend, "", END])


def with_matrix(text: str, app: FastAPI) -> str:
    """The document with its generated part replaced by the current matrix."""
    start, end = text.index(BEGIN), text.index(END) + len(END)
    return text[:start] + matrix(app) + text[end:]


def main() -> Any:
    from api.app import create_app
    from api.settings import Settings

    app = create_app(Settings(_env_file=None))
    DOC.write_text(with_matrix(DOC.read_text(encoding="utf-8"), app), encoding="utf-8")
    print(f"wrote {DOC}")


if __name__ == "__main__":
    main()
