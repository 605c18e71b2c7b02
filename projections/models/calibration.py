"""Read model 3: assessor calibration, per assessor and per assessor pair, within a program.

Only independent judgments count (R11): the levels each assessor submitted before seeing the
others, never the agreed final levels. An attempt contributes once all its assessors have
judged. For each outcome, every pair of its assessors gives one comparison:
- exact agreement: the same level; adjacent agreement: at most one level apart (includes exact);
- pass/fail disagreement: one level reaches the pass level and the other does not (R12);
- weighted Cohen's kappa with quadratic weights, from the pair's table of level ranks.
Per assessor, the comparisons with all co-assessors are pooled. "CGI needed" counts attempts
where `domain.rules.interview_reasons` is not empty (doubt, or pass/fail disagreement).
"""

from __future__ import annotations

from collections import defaultdict
from itertools import combinations
from typing import Any

from domain import rules
from domain.program import ProgramDefinition
from projections.agreement import quadratic_weighted_kappa, rate
from projections.engine import Contributions, ReadModel, Row, Rows, Touched
from projections.schema import Column, Table
from projections.state import TrajectoryState
from projections.store import Namespace, Tx

COUNTS = ("attempts", "comparisons", "exact", "adjacent", "pass_fail_disagreements", "cgi_needed")
DERIVED = (
    Column("exact_rate", "float", doc="exact / comparisons"),
    Column("adjacent_rate", "float", doc="adjacent / comparisons"),
    Column("pass_fail_disagreement_rate", "float", doc="pass_fail_disagreements / comparisons"),
    Column("cgi_rate", "float", doc="cgi_needed / attempts"),
    Column(
        "kappa_quadratic",
        "float",
        doc="weighted Cohen's kappa, quadratic weights; null if undefined",
    ),
)
COUNT_DOCS = {
    "judgments": "judgments submitted (also on attempts still being judged)",
    "attempts": "attempts judged by all their assessors",
    "comparisons": "outcome levels compared with a co-assessor",
    "exact": "comparisons with the same level",
    "adjacent": "comparisons at most one level apart (exact included)",
    "pass_fail_disagreements": "comparisons where one level passes and the other does not",
    "cgi_needed": "attempts where doubt or disagreement required a CGI (R12)",
}

PAIRS = Table(
    "calibration_pairs",
    "aggregate",
    (
        Column("program_id", "uuid"),
        Column("assessor_a", "text", doc="the pair's first assessor (alphabetically)"),
        Column("assessor_b", "text"),
        *(Column(c, "int", doc=COUNT_DOCS[c]) for c in COUNTS),
        *DERIVED,
    ),
    key=("program_id", "assessor_a", "assessor_b"),
    values=COUNTS,
    indexes=(("assessor_b",),),
    doc="one row per program and pair of assessors who judged the same attempts",
)

PAIR_CELLS = Table(
    "calibration_pair_cells",
    "aggregate",
    (
        Column("program_id", "uuid"),
        Column("assessor_a", "text"),
        Column("assessor_b", "text"),
        Column("level_a", "int", doc="rank of assessor_a's level (0 = lowest rubric level)"),
        Column("level_b", "int"),
        Column("n", "int", doc="how often this pair of levels occurred"),
    ),
    key=("program_id", "assessor_a", "assessor_b", "level_a", "level_b"),
    values=("n",),
    doc="the pair's agreement table, from which kappa is computed",
)

ASSESSORS = Table(
    "calibration_assessors",
    "aggregate",
    (
        Column("program_id", "uuid"),
        Column("assessor_id", "text"),
        Column("judgments", "int", doc=COUNT_DOCS["judgments"]),
        *(Column(c, "int", doc=COUNT_DOCS[c]) for c in COUNTS),
        *DERIVED,
    ),
    key=("program_id", "assessor_id"),
    values=("judgments", *COUNTS),
    indexes=(("assessor_id",),),
    doc="one row per program and assessor, pooled over all co-assessors",
)

ASSESSOR_CELLS = Table(
    "calibration_assessor_cells",
    "aggregate",
    (
        Column("program_id", "uuid"),
        Column("assessor_id", "text"),
        Column("level_self", "int"),
        Column("level_other", "int", doc="rank given by a co-assessor on the same outcome"),
        Column("n", "int"),
    ),
    key=("program_id", "assessor_id", "level_self", "level_other"),
    values=("n",),
    doc="the assessor's agreement table against all co-assessors",
)


def _add(target: dict[Row, list[int]], key: Row, values: tuple[int, ...]) -> None:
    running = target.get(key)
    if running is None:
        target[key] = list(values)
    else:
        for i, v in enumerate(values):
            running[i] += v


class Calibration(ReadModel):
    name = "calibration"
    tables = (PAIRS, PAIR_CELLS, ASSESSORS, ASSESSOR_CELLS)

    def rows(self, state: TrajectoryState, definition: ProgramDefinition) -> Rows:
        return {}

    def contributions(self, state: TrajectoryState, definition: ProgramDefinition) -> Contributions:
        pairs: dict[Row, list[int]] = {}
        pair_cells: dict[Row, list[int]] = {}
        assessors: dict[Row, list[int]] = {}
        assessor_cells: dict[Row, list[int]] = {}
        rubric = definition.rubric
        pid = state.program_id
        for attempt in state.attempts:
            for assessor in attempt.judgments:
                _add(assessors, (pid, assessor), (1, 0, 0, 0, 0, 0, 0))
            facts = attempt.facts()
            if not facts.all_judged:
                continue
            cgi = int(bool(rules.interview_reasons(facts, definition)))
            judged = sorted(attempt.judgments)
            for assessor in judged:
                _add(assessors, (pid, assessor), (0, 1, 0, 0, 0, 0, cgi))
            for a, b in combinations(judged, 2):
                levels_a, levels_b = attempt.judgments[a][1], attempt.judgments[b][1]
                counts = [0, 0, 0, 0]  # comparisons, exact, adjacent, pass/fail disagreements
                for code in definition.outcome_codes:
                    if code not in levels_a or code not in levels_b:
                        continue
                    ra, rb = rubric.rank(levels_a[code]), rubric.rank(levels_b[code])
                    passes_a = rules.at_least(rubric, levels_a[code], rubric.pass_level)
                    passes_b = rules.at_least(rubric, levels_b[code], rubric.pass_level)
                    step = (1, int(ra == rb), int(abs(ra - rb) <= 1), int(passes_a != passes_b))
                    counts = [c + s for c, s in zip(counts, step, strict=True)]
                    _add(pair_cells, (pid, a, b, ra, rb), (1,))
                    _add(assessor_cells, (pid, a, ra, rb), (1,))
                    _add(assessor_cells, (pid, b, rb, ra), (1,))
                _add(pairs, (pid, a, b), (1, *counts, cgi))
                _add(assessors, (pid, a), (0, 0, *counts, 0))
                _add(assessors, (pid, b), (0, 0, *counts, 0))
        return {
            PAIRS.name: {k: tuple(v) for k, v in pairs.items()},
            PAIR_CELLS.name: {k: tuple(v) for k, v in pair_cells.items()},
            ASSESSORS.name: {k: tuple(v) for k, v in assessors.items()},
            ASSESSOR_CELLS.name: {k: tuple(v) for k, v in assessor_cells.items()},
        }

    def refresh(self, tx: Tx, ns: Namespace, touched: Touched) -> None:
        pair_keys = {k[:3] for k in touched.get(PAIRS.name, set())}
        pair_keys |= {k[:3] for k in touched.get(PAIR_CELLS.name, set())}
        assessor_keys = {k[:2] for k in touched.get(ASSESSORS.name, set())}
        assessor_keys |= {k[:2] for k in touched.get(ASSESSOR_CELLS.name, set())}
        if pair_keys:
            self._refresh(tx, ns, PAIRS, PAIR_CELLS, pair_keys)
        if assessor_keys:
            self._refresh(tx, ns, ASSESSORS, ASSESSOR_CELLS, assessor_keys)

    @staticmethod
    def _refresh(tx: Tx, ns: Namespace, summary: Table, cells: Table, keys: set[Row]) -> None:
        width = len(summary.key)
        programs = sorted({k[0] for k in keys})
        marks = ", ".join([tx.ph] * len(programs))
        cell_rows = tx.fetchall(
            f"SELECT {', '.join(cells.key)}, n FROM {ns.q(cells.name)} "
            f"WHERE program_id IN ({marks})",
            programs,
        )
        tables: dict[Row, dict[tuple[int, int], int]] = defaultdict(dict)
        for row in cell_rows:
            key = (str(row[0]), *row[1:width])
            if key in keys:
                tables[key][(int(row[width]), int(row[width + 1]))] = int(row[-1])
        sums = tx.fetchall(
            f"SELECT {', '.join(summary.key)}, attempts, comparisons, exact, adjacent, "
            f"pass_fail_disagreements, cgi_needed FROM {ns.q(summary.name)} "
            f"WHERE program_id IN ({marks})",
            programs,
        )
        updates: list[tuple[Any, ...]] = []
        for row in sums:
            key = (str(row[0]), *row[1:width])
            if key not in keys:
                continue
            attempts, comparisons, exact, adjacent, pass_fail, cgi = (int(v) for v in row[width:])
            updates.append(
                (
                    rate(exact, comparisons),
                    rate(adjacent, comparisons),
                    rate(pass_fail, comparisons),
                    rate(cgi, attempts),
                    quadratic_weighted_kappa(tables.get(key, {})),
                    *row[:width],
                )
            )
        assignments = ", ".join(f"{c.name} = {tx.ph}" for c in DERIVED)
        match = " AND ".join(f"{k} = {tx.ph}" for k in summary.key)
        tx.executemany(f"UPDATE {ns.q(summary.name)} SET {assignments} WHERE {match}", updates)
