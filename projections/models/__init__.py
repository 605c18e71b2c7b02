"""The read models, by name (the name is also their tracking key and CLI argument)."""

from __future__ import annotations

from projections.engine import ReadModel
from projections.models.borging import Borging
from projections.models.calibration import Calibration
from projections.models.cohorts import Cohorts
from projections.models.progress import Progress
from projections.models.reports import Reports


def all_models() -> tuple[ReadModel, ...]:
    return (Progress(), Cohorts(), Calibration(), Borging(), Reports())


def by_name(names: list[str] | tuple[str, ...] | None = None) -> tuple[ReadModel, ...]:
    models = all_models()
    if not names:
        return models
    known = {m.name: m for m in models}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise KeyError(f"unknown projection(s) {unknown}; known: {sorted(known)}")
    return tuple(known[n] for n in names)
