"""Every table keyed by event is derived from the aggregates' event classes, or held equal to
them here, so that a new event cannot be forgotten in one of them (a forgotten event used to
stop every read model)."""

from __future__ import annotations

import re
from pathlib import Path

from domain.aggregate import RecordedAggregate
from domain.program import Program
from domain.trajectory import Trajectory, event_classes
from projections.audit import names, render
from projections.events import TOPICS
from projections.state import HANDLERS, UNPROJECTED

ROOT = Path(__file__).resolve().parent.parent
TRAJECTORY = [cls.__name__ for cls in event_classes(Trajectory)]
PROGRAM = [cls.__name__ for cls in event_classes(Program)]


def test_the_offline_name_table_is_the_aggregates_events() -> None:
    assert list(names.TRAJECTORY_EVENTS) == TRAJECTORY
    assert list(names.PROGRAM_EVENTS) == PROGRAM


def test_the_dossier_says_every_event_in_dutch() -> None:
    missing = set(TRAJECTORY) - set(render.TRAJECTORY_TEXTS)
    assert not missing, f"no Dutch text for {sorted(missing)} in projections/audit/render.py"
    assert set(render.TRAJECTORY_TEXTS) == set(TRAJECTORY)
    assert set(render.PROGRAM_TEXTS) == set(PROGRAM)


def test_the_read_side_decides_on_every_event() -> None:
    decided = set(HANDLERS) | set(UNPROJECTED)
    missing = [cls.__name__ for cls in event_classes(Trajectory) if cls not in decided]
    assert not missing, f"projections/state.py neither folds nor leaves out {missing}"
    assert not set(HANDLERS) & set(UNPROJECTED)


def test_the_read_models_follow_every_event() -> None:
    assert len(TOPICS) == len(TRAJECTORY)
    assert all(
        topic.endswith(f"Trajectory.{name}") for topic, name in zip(TOPICS, TRAJECTORY, strict=True)
    )


def test_every_event_summarises_itself_for_the_history() -> None:
    for cls in (*event_classes(Trajectory), *event_classes(Program)):
        assert cls.summary is not RecordedAggregate.Event.summary, (
            f"{cls.__qualname__} has no summary of its own"
        )


def test_no_event_name_is_spelled_out_elsewhere() -> None:
    alternatives = "|".join(TRAJECTORY + PROGRAM)
    spelled = re.compile(r"""["'](""" + alternatives + r""")["']""")
    allowed = {ROOT / "projections" / "audit" / "names.py"}
    found = [
        f"{path.relative_to(ROOT)}:{n}"
        for folder in ("domain", "projections", "api")
        for path in sorted((ROOT / folder).rglob("*.py"))
        if path not in allowed
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if spelled.search(line)
    ]
    assert not found, f"event names as string literals: {found}"
