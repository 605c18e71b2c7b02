"""Property: whatever valid commands happen, in whatever batches the runner happens to apply
them, the incrementally maintained read models equal a rebuild from position 0, on both stores.

Hypothesis drives random command sequences over several trajectories through the real
application service (tests/test_projections_support.py), and interleaves runner steps of
random batch sizes. As an independent oracle, each trajectory's progress row must also say
what the aggregate itself says about its phase, next step and what is missing.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from projections.models import all_models
from projections.runner import Runner
from projections.store import open_store
from tests.test_projections_support import (
    Driver,
    assert_equal_dumps,
    assert_progress_matches_aggregates,
    dump,
    fresh_store,
    new_app,
    read_config,
    rebuilt,
)

# No shrinking: every step of a shrink replays commands against a real store, minutes in all. A
# failure still prints the drawn choices; add Phase.shrink here to minimise one locally.
PHASES = (Phase.explicit, Phase.reuse, Phase.generate)


def check_incremental_equals_rebuild(
    kind: str, pg_database: str | None, data: st.DataObject
) -> None:
    def pick(n: int) -> int:
        return data.draw(st.integers(0, n - 1)) if n > 1 else 0

    trajectories = data.draw(st.integers(2, 6), label="trajectories")
    moves = data.draw(st.integers(20, 200), label="moves")
    with tempfile.TemporaryDirectory() as tmp, fresh_store(kind, Path(tmp), pg_database) as s:
        app = new_app(s)
        store = open_store(read_config(s))
        try:
            runner = Runner(app, store, all_models(), read_config(s))
            runner.ensure()
            driver = Driver(app, pick, trajectories)
            for _ in range(moves):
                driver.move()
                if pick(8) == 0:
                    runner.step(limit=data.draw(st.integers(1, 25), label="batch"))
            runner.catch_up(limit=data.draw(st.integers(1, 50), label="final batch"))
            live = dump(store)
            assert_equal_dumps(live, rebuilt(app, s))
            assert assert_progress_matches_aggregates(app, store) == sum(
                1 for w in driver.walkers if w.started
            )
        finally:
            store.close()
            app.close()


@pytest.mark.slow
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    phases=PHASES,
)
@given(data=st.data())
def test_incremental_equals_rebuild_sqlite(data: st.DataObject) -> None:
    check_incremental_equals_rebuild("sqlite", None, data)


@pytest.mark.slow
@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    phases=PHASES,
)
@given(data=st.data())
def test_incremental_equals_rebuild_postgres(pg_database: str, data: st.DataObject) -> None:
    check_incremental_equals_rebuild("postgres", pg_database, data)
