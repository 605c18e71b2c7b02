"""Table specifications of the read models, and their DDL for PostgreSQL and SQLite.

A read model declares its tables once; the same declaration creates them on both stores, tells
the engine how to maintain them and tells the tests how to compare them.

Three kinds of table:
- ``rows``: rows that belong to one trajectory (a `trajectory_id` column); when a trajectory
  changes, its rows are replaced.
- ``aggregate``: sums over trajectories (counts per cohort, agreement cells per assessor pair);
  a change adds the difference between the trajectory's old and new contribution. Columns that
  are neither key nor summed value are derived by the read model after the sums change.
- ``state`` and ``definitions``: the per-trajectory working state of the read model and the
  program definitions it needs, so that an increment can continue where the last one stopped.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Literal

# `sealed`: a sensitive text as `projections.sealed` keeps it (JSON as text: an envelope with its
# place, the placeholder, or a plain text of an event stored before encryption).
ColumnType = Literal[
    "uuid", "text", "int", "bool", "float", "time", "date", "json", "bytes", "sealed"
]
TableKind = Literal["rows", "aggregate", "state", "definitions"]

PG_TYPES: dict[str, str] = {
    "uuid": "uuid",
    "text": "text",
    "int": "bigint",
    "bool": "boolean",
    "float": "double precision",
    "time": "timestamptz",
    "date": "date",
    "json": "jsonb",
    "bytes": "bytea",
    "sealed": "text",
}
SQLITE_TYPES: dict[str, str] = {
    "uuid": "TEXT",
    "text": "TEXT",
    "int": "INTEGER",
    "bool": "INTEGER",
    "float": "REAL",
    "time": "TEXT",
    "date": "TEXT",
    "json": "TEXT",
    "bytes": "BLOB",
    "sealed": "TEXT",
}


# Meanings of columns that recur across the read models, so each table need not repeat them.
COMMON_DOCS: dict[str, str] = {
    "trajectory_id": "the trajectory (its aggregate id in the event log)",
    "program_id": "the program",
    "program_version": "the program version the trajectory runs under (R3)",
    "cohort": "the cohort (class) the trajectory was started in",
    "student_id": "the student",
    "coach_id": "the trajectory's current coach",
    "mentor_id": "the trajectory's current mentor (SLB)",
    "phase": "orientation, low_stakes, medium_stakes, high_stake, resit or closed",
    "next_step": "the next step, from domain.rules.next_step",
    "attempt": "the high-stake attempt number (1, then 2 for a resit, ...)",
    "assessor_id": "an assessor",
    "title": "the learning outcome's title in the program version",
    "closed": "closed by a ratified pass (R16)",
    "started_at": "time of the Started event",
    "green_light_at": "time the green light was given or withheld",
    "medium_stakes_held": "medium-stakes held (0, 1 or 2)",
    "feedback_items": "feedback given, on any outcome",
    "checked_by": "the mentor or coach who held the progress check",
    "checked_at": "time of the progress check",
    "assigned_at": "time the assessors were assigned",
    "requested_at": "time of the high-stake request",
    "concluded_at": "time of the (latest) conclusion of the assessment",
    "decided_at": "time of the committee's decision, if any",
    "started_on": "the day the trajectory started (Europe/Amsterdam)",
    "last_occurred_on": "the latest day something took place on the trajectory (the day an event "
    "says, or else the day it was recorded; Europe/Amsterdam)",
    "checked_on": "the day the progress check was held",
    "assigned_on": "the day the assessors were assigned",
    "requested_on": "the day the portfolio was handed in (the high-stake request)",
    "concluded_on": "the day the assessors concluded (the latest conclusion)",
    "decided_on": "the day of the committee meeting that decided, if any",
    "green_light_on": "the day the green light was given or withheld",
    "assessor_b": "the pair's second assessor",
    "level_b": "rank of assessor_b's level on the same outcome",
    "level_self": "rank of the assessor's own level (0 = lowest rubric level)",
    "n": "how often this combination of levels occurred",
}


@dataclass(frozen=True)
class Column:
    name: str
    type: ColumnType
    nullable: bool = True
    doc: str = ""

    @property
    def description(self) -> str:
        return self.doc or COMMON_DOCS.get(self.name, self.name.replace("_", " "))


@dataclass(frozen=True)
class Table:
    name: str
    kind: TableKind
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    indexes: tuple[tuple[str, ...], ...] = ()
    # For aggregates: the summed columns (after the key columns, in this order).
    values: tuple[str, ...] = ()
    doc: str = ""

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def derived(self) -> tuple[str, ...]:
        """Aggregate columns computed from the sums rather than summed themselves."""
        fixed = set(self.key) | set(self.values)
        return tuple(c.name for c in self.columns if c.name not in fixed)

    def index_name(self, columns: tuple[str, ...]) -> str:
        return f"{self.name}__by_" + "_".join(columns)


def create_table_sql(table: Table, qualified: str, dialect: Literal["pg", "sqlite"]) -> str:
    types = PG_TYPES if dialect == "pg" else SQLITE_TYPES
    parts = [
        f"{c.name} {types[c.type]}{'' if c.nullable or c.name in table.key else ' NOT NULL'}"
        for c in table.columns
    ]
    parts.append(f"PRIMARY KEY ({', '.join(table.key)})")
    return f"CREATE TABLE IF NOT EXISTS {qualified} ({', '.join(parts)})"


def create_index_sql(table: Table, columns: tuple[str, ...], qualified: str) -> str:
    # PostgreSQL puts an index in its table's schema, so the index name is never qualified.
    return (
        f"CREATE INDEX IF NOT EXISTS {table.index_name(columns)} ON {qualified} "
        f"({', '.join(columns)})"
    )


@dataclass(frozen=True)
class TableSet:
    """All tables of one read model, with a fingerprint that changes when any of them does."""

    tables: tuple[Table, ...] = field(default_factory=tuple)

    def fingerprint(self) -> str:
        text = repr([(t.name, t.kind, t.columns, t.key, t.indexes, t.values) for t in self.tables])
        return hashlib.sha256(text.encode()).hexdigest()[:16]
