"""The table of docs/privacy.md, read off the command declarations: per kind of record, where it
is stored, its retention class, how long it is kept, which of its fields are sealed per student,
and who may write it. `python -m api.privacy_document` writes it into docs/privacy.md; a test
fails when the file and the declarations differ.
"""

from __future__ import annotations

import inspect
from pathlib import Path

from domain import commands as c
from domain.application import DISPATCH
from domain.fields import Sensitivity
from domain.policy import READS, Relation
from domain.privacy.ledger import PrivacyRecord
from domain.program import Program, Settings
from domain.trajectory import Trajectory

DOC = Path(__file__).resolve().parent.parent / "docs" / "privacy.md"
BEGIN = "<!-- generated from the declarations by `python -m api.privacy_document`: do not edit -->"
END = "<!-- end of the generated table -->"
DEFAULTS = Settings()

WHERE = {
    Trajectory: "trajectory events",
    Program: "program events",
    PrivacyRecord: "privacy ledger",
}
HOLDS = {Sensitivity.PERSONAL: "personal", Sensitivity.FREE_TEXT: "free text"}


def kept(command: type[c.Command]) -> str:
    aggregate = DISPATCH[command].aggregate
    if aggregate is PrivacyRecord:
        return "for good: the proof of what was done (no erased value)"
    if aggregate is Program:
        return "for good: public program documents"
    if command.retention is c.Retention.EXAM:
        return (
            f"legal hold: {DEFAULTS.exam_retention_months} months after the last ratified "
            "decision (`exam_retention_months`)"
        )
    return (
        f"{DEFAULTS.formative_retention_months} months after the trajectory closes "
        "(`formative_retention_months`), or sooner on request"
    )


def retention_class(command: type[c.Command]) -> str:
    if DISPATCH[command].aggregate is not Trajectory:
        return "-"
    return command.retention.value


def sealed(command: type[c.Command]) -> str:
    if DISPATCH[command].aggregate is not Trajectory:
        return "none (not encrypted)"
    fields = command.sensitive_fields()
    if not fields:
        return "none"
    return ", ".join(f"`{name}` ({HOLDS[s]})" for name, s in fields.items())


def issuers(command: type[c.Command]) -> str:
    relations = command.issued_by.relations
    return ", ".join(r.value for r in Relation if r in relations)


def title(command: type[c.Command]) -> str:
    """The first sentence of the command's documentation, up to a colon outside brackets."""
    doc = (inspect.getdoc(command) or command.__name__).split("\n\n", 1)[0].replace("\n", " ")
    depth = 0
    for index, char in enumerate(doc):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == ":" and depth == 0:
            return doc[:index]
    return doc.rstrip(".")


def table() -> str:
    lines = [
        "| record | what | stored in | class | kept | sealed per student | written by |",
        "|---|---|---|---|---|---|---|",
    ]
    for command in c.all_commands():
        where = WHERE[DISPATCH[command].aggregate]
        lines.append(
            f"| `{command.__name__}` | {title(command)} | {where} | {retention_class(command)} "
            f"| {kept(command)} | {sealed(command)} | {issuers(command)} |"
        )
    readers = [
        "",
        "Who reads the privacy routes (the full matrix is docs/authorization.md):",
        "",
        *(
            f"- `{read.name}`: {read.doc}; read by "
            + ", ".join(r.value for r in Relation if r in read.readers)
            for read in READS.values()
            if read.name.startswith("privacy")
        ),
    ]
    return "\n".join([BEGIN, "", *lines, *readers, "", END])


def with_table(text: str) -> str:
    start, end = text.index(BEGIN), text.index(END) + len(END)
    return text[:start] + table() + text[end:]


def main() -> None:
    DOC.write_text(with_table(DOC.read_text(encoding="utf-8")), encoding="utf-8")
    print(f"wrote {DOC}")


if __name__ == "__main__":
    main()
