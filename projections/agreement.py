"""Agreement between two raters on ordered levels: exact, adjacent, and weighted Cohen's kappa.

Levels are compared by their rank in the program's rubric (0 = the lowest level). Kappa uses
quadratic disagreement weights (i - j)²: a two-level disagreement costs four times a one-level
one. The weights' usual normalisation by (k - 1)² cancels out of the ratio, so the number of
levels k is not needed. Computed with exact fractions, so the result does not depend on the
order the cells are summed in (an incremental update and a rebuild give the same float).
"""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction


def quadratic_weighted_kappa(cells: Mapping[tuple[int, int], int]) -> float | None:
    """κ_w = 1 − Σ d·observed / Σ d·expected, with d = (i − j)²; None when undefined.

    `cells` maps (rank given by rater A, rank given by rater B) to how often that pair occurred.
    Expected counts come from the raters' marginals, as if they rated independently.
    """
    total = sum(cells.values())
    if total == 0:
        return None
    rows: dict[int, int] = {}
    columns: dict[int, int] = {}
    observed = 0
    for (i, j), n in cells.items():
        rows[i] = rows.get(i, 0) + n
        columns[j] = columns.get(j, 0) + n
        observed += (i - j) ** 2 * n
    expected = Fraction(
        sum((i - j) ** 2 * ri * cj for i, ri in rows.items() for j, cj in columns.items()), total
    )
    if expected == 0:
        # Both raters used one and the same level throughout: agreement is not measurable.
        return None
    return float(1 - Fraction(observed) / expected)


def rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None
