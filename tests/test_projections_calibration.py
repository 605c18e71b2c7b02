"""Assessor calibration against figures computed by hand for a small fixed data set.

Levels are written as their rank in the rubric: 0 verkennend, 1 beginnend, 2 ontwikkelend,
3 vakkundig, 4 bekwaam (the pass level), 5 professional. Outcomes LO1..LO5 in order.

    attempt  assessors   levels of the first        levels of the second       verdicts
    s1       A, B        A = 4 4 3 5 4              B = 4 3 3 4 4              pass, pass
    s2       A, B        A = 2 4 4 4 5              B = 3 4 4 4 5              fail, doubt
    s3       A, C        A = 4 4 4 4 4              C = 5 5 4 4 4              pass, pass
    s4       B, C        only C judged: C = 4 4 4 4 4 (not all judged: counts only as a judgment)

with A = assessor-1, B = assessor-2, C = assessor-3.

Pair A–B (10 comparisons). Cells (A, B): s1 (4,4) (4,3) (3,3) (5,4) (4,4); s2 (2,3) (4,4) (4,4)
(4,4) (5,5). Exact: 3 + 4 = 7. Adjacent (at most one apart): all 10. Pass/fail disagreement: only
s1 LO2 (4 passes, 3 does not) = 1. CGI needed: s1 (that disagreement) and s2 (a doubt) = 2 of 2.
Quadratic weighted kappa: A's marginals {2: 1, 3: 1, 4: 6, 5: 2}, B's {3: 3, 4: 6, 5: 1}, N = 10.
Observed Σ(i−j)²·n = 1 + 1 + 1 = 3 (cells (4,3), (5,4), (2,3)).
Expected Σ(i−j)²·rᵢ·cⱼ / N:
    i=2: 1·3·1 + 1·6·4 + 1·1·9 = 36;   i=3: 1·6·1 + 1·1·4 = 10;
    i=4: 6·3·1 + 6·1·1 = 24;           i=5: 2·3·4 + 2·6·1 = 36;     total 106 / 10 = 10.6.
κ = 1 − 3 / 10.6 = 38/53 ≈ 0.716981.

Pair A–C (5 comparisons): cells (4,5) (4,5) (4,4) (4,4) (4,4). Exact 3, adjacent 5, pass/fail 0,
CGI 0 of 1 (no doubt; 4 and 5 both pass). Kappa: A's marginals {4: 5}, C's {4: 3, 5: 2};
observed 2; expected 5·2·1 / 5 = 2; κ = 1 − 2/2 = 0.

Assessor A, pooled against B and C (15 comparisons): exact 10, adjacent 15, pass/fail 1,
attempts 3, CGI 2 of 3, judgments 3. Kappa: own marginals {2: 1, 3: 1, 4: 11, 5: 2}, the
others' {3: 3, 4: 9, 5: 3}; observed 3 + 2 = 5; expected
    i=2: 1·3·1 + 1·9·4 + 1·3·9 = 66;   i=3: 1·9·1 + 1·3·4 = 21;
    i=4: 11·3·1 + 11·3·1 = 66;         i=5: 2·3·4 + 2·9·1 = 42;     total 195 / 15 = 13;
κ = 1 − 5/13 = 8/13 ≈ 0.615385.
Assessor B: only pair A–B, so the same figures (kappa is symmetric): 38/53; judgments 2.
Assessor C: only pair A–C: exact 3/5, kappa 0, attempts 1, CGI 0, judgments 2 (s3 and s4).
"""

from __future__ import annotations

import uuid

import pytest

from api.settings import Settings
from domain.application import Bewijsketen
from domain.journey import Journey, setup_program
from domain.values import Verdict
from projections.models import all_models
from projections.runner import Runner
from projections.store import open_store
from tests.test_projections_support import assert_equal_dumps, dump, read_config, rebuilt

LEVELS = ("verkennend", "beginnend", "ontwikkelend", "vakkundig", "bekwaam", "professional")
A, B, C = "assessor-1", "assessor-2", "assessor-3"


def judged(
    app: Bewijsketen,
    program_id: uuid.UUID,
    student: str,
    judgments: list[tuple[str, str, Verdict]],
    assessors: tuple[str, str],
) -> None:
    journey = Journey(app, program_id, student)
    journey.to_green_light()
    attempt = journey.request_high_stake()
    journey.assign(attempt, assessors)
    for assessor, ranks, verdict in judgments:
        levels = {f"LO{i + 1}": LEVELS[int(r)] for i, r in enumerate(ranks.split())}
        journey.judge(attempt, assessor, levels, verdict)


def test_calibration_matches_hand_computed_figures(app: Bewijsketen, settings: Settings) -> None:
    program_id = setup_program(app)
    judged(
        app,
        program_id,
        "s1",
        [(A, "4 4 3 5 4", Verdict.PASS), (B, "4 3 3 4 4", Verdict.PASS)],
        (A, B),
    )
    judged(
        app,
        program_id,
        "s2",
        [(A, "2 4 4 4 5", Verdict.FAIL), (B, "3 4 4 4 5", Verdict.DOUBT)],
        (A, B),
    )
    judged(
        app,
        program_id,
        "s3",
        [(A, "4 4 4 4 4", Verdict.PASS), (C, "5 5 4 4 4", Verdict.PASS)],
        (A, C),
    )
    judged(app, program_id, "s4", [(C, "4 4 4 4 4", Verdict.PASS)], (B, C))

    config = read_config(settings)
    store = open_store(config)
    try:
        runner = Runner(app, store, all_models(), config)
        runner.ensure()
        runner.catch_up(limit=3)
        pairs = {
            (r["assessor_a"], r["assessor_b"]): r
            for r in store.query(f"SELECT * FROM {store.live.q('calibration_pairs')}")
        }
        assert set(pairs) == {(A, B), (A, C)}
        ab, ac = pairs[(A, B)], pairs[(A, C)]
        assert (ab["attempts"], ab["comparisons"], ab["exact"], ab["adjacent"]) == (2, 10, 7, 10)
        assert (ab["pass_fail_disagreements"], ab["cgi_needed"]) == (1, 2)
        assert ab["exact_rate"] == pytest.approx(0.7)
        assert ab["pass_fail_disagreement_rate"] == pytest.approx(0.1)
        assert ab["cgi_rate"] == pytest.approx(1.0)
        assert ab["kappa_quadratic"] == pytest.approx(38 / 53)
        assert (ac["attempts"], ac["comparisons"], ac["exact"], ac["adjacent"]) == (1, 5, 3, 5)
        assert (ac["pass_fail_disagreements"], ac["cgi_needed"]) == (0, 0)
        assert ac["kappa_quadratic"] == pytest.approx(0.0)

        assessors = {
            r["assessor_id"]: r
            for r in store.query(f"SELECT * FROM {store.live.q('calibration_assessors')}")
        }
        a, b, c = assessors[A], assessors[B], assessors[C]
        assert (a["judgments"], a["attempts"], a["comparisons"], a["exact"]) == (3, 3, 15, 10)
        assert (a["adjacent"], a["pass_fail_disagreements"], a["cgi_needed"]) == (15, 1, 2)
        assert a["cgi_rate"] == pytest.approx(2 / 3)
        assert a["kappa_quadratic"] == pytest.approx(8 / 13)
        assert (b["judgments"], b["attempts"], b["comparisons"], b["exact"]) == (2, 2, 10, 7)
        assert b["kappa_quadratic"] == pytest.approx(38 / 53)
        assert (c["judgments"], c["attempts"], c["comparisons"], c["exact"]) == (2, 1, 5, 3)
        assert c["exact_rate"] == pytest.approx(0.6)
        assert c["kappa_quadratic"] == pytest.approx(0.0)
        assert_equal_dumps(dump(store), rebuilt(app, settings))
    finally:
        store.close()
