"""Queries on the live read-model tables, for the API: filters, ordering on an index, pages.

Every list is ordered by columns an index leads with, and paged with LIMIT/OFFSET (one row more
than asked tells whether there is a next page; nothing counts the whole table), so that a page
costs the same at ten thousand events as at a million.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from domain import moments
from domain.policy import Relation, RowScope
from domain.privacy.envelope import KeyLookup
from projections import codec, sealed
from projections.escape import unescape_json
from projections.models.borging import CHECKS, EXCEPTIONS
from projections.models.calibration import ASSESSORS, PAIRS
from projections.models.cohorts import ASSESSOR_WORKLOAD, COHORT_WORKLOAD, COUNTS, MEMBERS
from projections.models.progress import LIGHTS, OUTCOMES, TRAJECTORIES
from projections.schema import Table
from projections.store import ReadStore

AT_RISK_LIGHTS = ("red", "orange")


def _text_time(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


@dataclass
class Where:
    """A conjunction of conditions with parameters in the store's placeholder style."""

    store: ReadStore
    clauses: list[str] = field(default_factory=list)
    params: list[Any] = field(default_factory=list)

    def value(self, value: Any) -> Any:
        if self.store.dialect == "sqlite":
            if isinstance(value, uuid.UUID):
                return str(value)
            if isinstance(value, datetime):
                return _text_time(value)
            if isinstance(value, date):
                return value.isoformat()
            if isinstance(value, bool):
                return int(value)
        return value

    def add(self, clause: str, *values: Any) -> Where:
        self.clauses.append(clause.replace("?", self.store.ph))
        self.params.extend(self.value(v) for v in values)
        return self

    def eq(self, column: str, value: Any) -> Where:
        return self if value is None else self.add(f"{column} = ?", value)

    def among(self, column: str, values: Sequence[Any]) -> Where:
        marks = ", ".join("?" * len(values))
        return self.add(f"{column} IN ({marks})", *values)

    def since(self, column: str, moment: datetime | None) -> Where:
        return self if moment is None else self.add(f"{column} >= ?", moment)

    def before(self, column: str, moment: datetime | None) -> Where:
        return self if moment is None else self.add(f"{column} < ?", moment)

    def within(self, scope: RowScope, columns: Mapping[Relation | str, str]) -> Where:
        """Only the rows the caller's scope allows (`domain.policy.row_scope`). `columns` gives,
        per relation (and under "program" for the program), an SQL condition with one `?` for
        the person (or, for "program", the column holding the program)."""
        if scope.everything:
            return self
        alternatives: list[str] = []
        values: list[Any] = []
        for relation, person in (scope.people or {}).items():
            condition = columns.get(relation)
            if condition is not None:
                alternatives.append(condition)
                values.append(person)
        program = columns.get("program")
        if program is not None and scope.programs:
            alternatives.append(f"{program} IN ({', '.join('?' * len(scope.programs))})")
            values.extend(scope.programs)
        return self.add(f"({' OR '.join(alternatives) or '1 = 0'})", *values)

    def sql(self) -> str:
        return f" WHERE {' AND '.join(self.clauses)}" if self.clauses else ""


@dataclass(frozen=True)
class Page:
    items: list[dict[str, Any]]
    limit: int
    offset: int
    next_offset: int | None
    total: int | None = None


def decode(table: Table, row: dict[str, Any], keys: KeyLookup | None = None) -> dict[str, Any]:
    """JSON columns come back as text from SQLite; parse them like PostgreSQL's jsonb. Sealed
    columns are opened with the key store (the placeholder where a key is shredded, or for
    anything sealed when no key store is given)."""
    for column in table.columns:
        if column.type == "json":
            value = row.get(column.name)
            parsed = codec.loads(value) if isinstance(value, str) else value
            row[column.name] = unescape_json(parsed)
        elif column.type == "sealed" and column.name in row:
            row[column.name] = sealed.open_column(row[column.name], keys)
    return row


class ReadQueries:
    def __init__(self, store: ReadStore, keys: KeyLookup | None = None) -> None:
        """`keys` opens sealed columns (`app.keys.lookup`); without it they read as the
        placeholder."""
        self.store = store
        self.keys = keys

    def where(self) -> Where:
        return Where(self.store)

    def q(self, table: Table) -> str:
        return self.store.live.q(table.name)

    def page(
        self,
        table: Table,
        where: Where,
        order: Sequence[str],
        limit: int,
        offset: int,
        columns: str = "*",
    ) -> Page:
        rows = self.store.query(
            f"SELECT {columns} FROM {self.q(table)}{where.sql()} ORDER BY {', '.join(order)} "
            f"LIMIT {int(limit) + 1} OFFSET {int(offset)}",
            where.params,
        )
        more = len(rows) > limit
        items = [decode(table, row, self.keys) for row in rows[:limit]]
        total = self.count(table, where, columns) if more or offset else len(items)
        return Page(items, limit, offset, offset + limit if more else None, total)

    def count(self, table: Table, where: Where, columns: str = "*") -> int:
        """Rows the filter selects (distinct `columns` when they are not all): one indexed
        count; the tables hold a row per trajectory or fewer, so this stays cheap."""
        counted = f"DISTINCT {columns.removeprefix('DISTINCT ')}" if columns != "*" else "*"
        if counted != "*":
            sql = (
                f"SELECT COUNT(*) AS n FROM (SELECT {counted} FROM {self.q(table)}{where.sql()}) d"
            )
        else:
            sql = f"SELECT COUNT(*) AS n FROM {self.q(table)}{where.sql()}"
        return int(self.store.query(sql, where.params)[0]["n"])

    # ---- progress

    def progress(self, where: Where, limit: int, offset: int) -> Page:
        return self.page(TRAJECTORIES, where, ("trajectory_id",), limit, offset)

    def progress_of(self, trajectory_id: uuid.UUID, scope: Where) -> dict[str, Any] | None:
        """One trajectory's progress, if `scope` (which names it) lets the caller see it."""
        found = self.store.query(f"SELECT * FROM {self.q(TRAJECTORIES)}{scope.sql()}", scope.params)
        if not found:
            return None
        where = self.where().eq("trajectory_id", trajectory_id)
        outcomes = self.store.query(
            f"SELECT * FROM {self.q(OUTCOMES)}{where.sql()} ORDER BY ordinal", where.params
        )
        lights = self.store.query(
            f"SELECT * FROM {self.q(LIGHTS)}{where.sql()} ORDER BY seq", where.params
        )
        return {
            "trajectory": decode(TRAJECTORIES, found[0], self.keys),
            "outcomes": [decode(OUTCOMES, r, self.keys) for r in outcomes],
            "lights": [decode(LIGHTS, r, self.keys) for r in lights],
        }

    # ---- cohorts

    def cohorts(self, where: Where, limit: int, offset: int, inactive_days: int) -> Page:
        keys = self.page(
            COUNTS,
            where,
            ("program_id", "program_version", "cohort"),
            limit,
            offset,
            columns="DISTINCT program_id, program_version, cohort",
        )
        items = [self.cohort_summary(k, inactive_days) for k in keys.items]
        return Page(items, limit, offset, keys.next_offset, keys.total)

    def cohort_summary(self, key: dict[str, Any], inactive_days: int) -> dict[str, Any]:
        cohort = (
            self.where()
            .eq("program_id", key["program_id"])
            .eq("program_version", key["program_version"])
            .eq("cohort", key["cohort"])
        )
        counts = self.store.query(
            f"SELECT phase, light, students FROM {self.q(COUNTS)}{cohort.sql()} "
            "ORDER BY phase, light",
            cohort.params,
        )
        by_phase: dict[str, int] = {}
        by_light: dict[str, int] = {}
        for row in counts:
            by_phase[row["phase"]] = by_phase.get(row["phase"], 0) + int(row["students"])
            by_light[row["light"]] = by_light.get(row["light"], 0) + int(row["students"])
        members = self.where()
        members.clauses, members.params = list(cohort.clauses), list(cohort.params)
        cutoff = members.value(inactive_since(inactive_days))
        ph = self.store.ph
        lights = ", ".join(f"'{light}'" for light in AT_RISK_LIGHTS)
        totals = self.store.query(
            "SELECT "
            f"SUM(CASE WHEN phase <> 'closed' AND (light IN ({lights}) OR last_occurred_on < {ph}) "
            "THEN 1 ELSE 0 END) AS at_risk, "
            "SUM(CASE WHEN ready_for_high_stake THEN 1 ELSE 0 END) AS ready, "
            "SUM(CASE WHEN upcoming = 'medium_stake_1' THEN 1 ELSE 0 END) AS medium_stake_1, "
            "SUM(CASE WHEN upcoming = 'medium_stake_2' THEN 1 ELSE 0 END) AS medium_stake_2, "
            "SUM(CASE WHEN upcoming = 'high_stake' THEN 1 ELSE 0 END) AS high_stake "
            f"FROM {self.q(MEMBERS)}{members.sql()}",
            [cutoff, *members.params],
        )[0]
        return {
            "program_id": key["program_id"],
            "program_version": key["program_version"],
            "cohort": key["cohort"],
            "students": sum(by_phase.values()),
            "by_phase": by_phase,
            "by_light": by_light,
            "by_phase_and_light": [
                {"phase": r["phase"], "light": r["light"], "students": int(r["students"])}
                for r in counts
            ],
            "at_risk": int(totals["at_risk"] or 0),
            "ready_for_high_stake": int(totals["ready"] or 0),
            "upcoming": {
                name: int(totals[name] or 0)
                for name in ("medium_stake_1", "medium_stake_2", "high_stake")
            },
        }

    def members(
        self, where: Where, limit: int, offset: int, inactive_days: int, at_risk: bool | None
    ) -> Page:
        cutoff = inactive_since(inactive_days)
        lights = ", ".join(f"'{light}'" for light in AT_RISK_LIGHTS)
        risky = f"(phase <> 'closed' AND (light IN ({lights}) OR last_occurred_on < ?))"
        if at_risk is True:
            where.add(risky, cutoff)
        elif at_risk is False:
            where.add(f"NOT {risky}", cutoff)
        page = self.page(
            MEMBERS, where, ("program_id", "program_version", "cohort", "student_id"), limit, offset
        )
        for item in page.items:
            item["at_risk_reasons"] = risk_reasons(item, cutoff, inactive_days)
            item["at_risk"] = bool(item["at_risk_reasons"])
        return page

    def workload(self, where: Where, by_cohort: bool, limit: int, offset: int) -> Page:
        """Open assignments per assessor, from the summed tables (never the assignments);
        filtering on program version or cohort needs the table kept per cohort."""
        table = COHORT_WORKLOAD if by_cohort else ASSESSOR_WORKLOAD
        rows = self.store.query(
            "SELECT assessor_id, SUM(to_judge) AS to_judge, SUM(judged) AS judged "
            f"FROM {self.q(table)}{where.sql()} GROUP BY assessor_id ORDER BY assessor_id "
            f"LIMIT {int(limit) + 1} OFFSET {int(offset)}",
            where.params,
        )
        items = [
            {
                "assessor_id": r["assessor_id"],
                "to_judge": int(r["to_judge"]),
                "judged": int(r["judged"]),
                "open": int(r["to_judge"]) + int(r["judged"]),
            }
            for r in rows[:limit]
        ]
        more = len(rows) > limit
        total = None if more or offset else len(items)  # a count over the groups would cost
        return Page(items, limit, offset, offset + limit if more else None, total)

    # ---- calibration

    def calibration_assessors(self, where: Where, limit: int, offset: int) -> Page:
        return self.page(ASSESSORS, where, ("program_id", "assessor_id"), limit, offset)

    def calibration_pairs(
        self, where: Where, assessor_id: str | None, limit: int, offset: int
    ) -> Page:
        if assessor_id is not None:
            where.add("(assessor_a = ? OR assessor_b = ?)", assessor_id, assessor_id)
        return self.page(PAIRS, where, ("program_id", "assessor_a", "assessor_b"), limit, offset)

    # ---- borging

    def borging_checks(self, where: Where, limit: int, offset: int) -> Page:
        return self.page(CHECKS, where, ("concluded_at", "trajectory_id", "attempt"), limit, offset)

    def borging_exceptions(self, where: Where, limit: int, offset: int) -> Page:
        return self.page(
            EXCEPTIONS, where, ("concluded_at", "trajectory_id", "attempt", "item"), limit, offset
        )


def inactive_since(days: int) -> date:
    """A trajectory whose latest day of activity lies before this day has had no activity for
    `days` days (days in Europe/Amsterdam)."""
    return moments.today() - timedelta(days=days)


def risk_reasons(member: dict[str, Any], cutoff: date, inactive_days: int) -> list[str]:
    if member["phase"] == "closed":
        return []
    reasons = []
    if member["light"] in AT_RISK_LIGHTS:
        reasons.append(f"latest traffic light is {member['light']}")
    last = member["last_occurred_on"]
    day = last if isinstance(last, date) else date.fromisoformat(str(last))
    if day < cutoff:
        reasons.append(f"no activity for {inactive_days} days")
    return reasons
