"""Concurrent writers on one trajectory: nothing acknowledged is lost, nothing is doubled."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest

from api.settings import Settings
from domain import commands as c
from domain.application import Bewijsketen, CommandResult, build_application
from domain.errors import ConcurrencyConflict, IdempotencyMismatch
from domain.journey import Journey, content_hash, setup_program
from domain.trajectory import Trajectory
from domain.values import EvidenceKind, FeedbackSource

THREADS = 8
COMMANDS = 25


def run_all(workers: list[Callable[[], None]]) -> None:
    barrier = threading.Barrier(len(workers))
    errors: list[BaseException] = []

    def wrapped(work: Callable[[], None]) -> None:
        barrier.wait()
        try:
            work()
        except BaseException as exc:  # surfaced below; a thread must not swallow it
            errors.append(exc)

    threads = [threading.Thread(target=wrapped, args=(w,)) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors


@pytest.mark.parametrize("shared_process", [True, False], ids=["one-process", "many-processes"])
def test_concurrent_commands_on_one_trajectory(
    app: Bewijsketen, settings: Settings, shared_process: bool
) -> None:
    journey = Journey(app, setup_program(app), "student-1")
    journey.start()
    # Separate application instances behave like separate processes: no shared cache or locks,
    # so they really race and meet version conflicts in the store.
    apps = (
        [app] * THREADS
        if shared_process
        else [build_application(settings.store) for _ in range(THREADS)]
    )
    acknowledged: dict[str, CommandResult] = {}
    conflicts: list[str] = []
    lock = threading.Lock()

    def writer(n: int) -> Callable[[], None]:
        def work() -> None:
            for i in range(COMMANDS):
                evidence_id = f"w{n}-{i}"
                try:
                    sent = journey.on(
                        c.SubmitEvidence,
                        evidence_id=evidence_id,
                        title="t",
                        kind=EvidenceKind.PRODUCT,
                        uri=f"u/{evidence_id}",
                        sha256=content_hash(evidence_id),
                        outcomes=[journey.outcomes[i % 5]],
                    )
                    result = apps[n].execute(sent, journey.student)
                except ConcurrencyConflict:
                    with lock:
                        conflicts.append(evidence_id)
                    continue
                with lock:
                    acknowledged[evidence_id] = result

        return work

    try:
        run_all([writer(n) for n in range(THREADS)])
        conflicts_met = sum(a.conflicts_met for a in set(apps))
    finally:
        for other in set(apps) - {app}:
            other.close()
    if not shared_process:
        assert conflicts_met > 0, "the writers were meant to race"

    events = list(app.trajectory_events(journey.id))
    versions = [e.originator_version for e in events]
    assert versions == list(range(1, len(events) + 1)), "versions must be dense"
    stored = [
        getattr(e, "evidence_id") for e in events if isinstance(e, Trajectory.EvidenceSubmitted)
    ]
    assert len(stored) == len(set(stored)), "no command may be stored twice"
    assert set(stored) == set(acknowledged), "exactly the acknowledged commands are stored"
    assert len(acknowledged) + len(conflicts) == THREADS * COMMANDS
    # Each acknowledgement names the version its event really has.
    by_id = {getattr(e, "evidence_id", None): e.originator_version for e in events}
    assert all(by_id[k] == r.version for k, r in acknowledged.items())
    # With bounded retries, most commands get through even under this contention.
    assert len(acknowledged) >= THREADS * COMMANDS // 2


def test_same_idempotency_key_from_many_writers_is_written_once(
    app: Bewijsketen, settings: Settings
) -> None:
    journey = Journey(app, setup_program(app), "student-1")
    journey.start()
    apps = [build_application(settings.store) for _ in range(THREADS)]
    reflection = journey.on(
        c.GiveFeedback,
        feedback_id="fb-1",
        source=FeedbackSource.SELF,
        giver_id="student-1",
        outcomes=["LO1"],
        text="Reflection",
    )
    results: list[Any] = []
    lock = threading.Lock()

    def sender(n: int) -> Callable[[], None]:
        def work() -> None:
            result = apps[n].execute(reflection, journey.student, "key-1")
            with lock:
                results.append(result)

        return work

    try:
        run_all([sender(n) for n in range(THREADS)])
    finally:
        for other in apps:
            other.close()
    given = [
        e for e in app.trajectory_events(journey.id) if isinstance(e, Trajectory.FeedbackGiven)
    ]
    assert len(given) == 1
    assert {(r.version, r.position) for r in results} == {(results[0].version, results[0].position)}
    assert sum(not r.replayed for r in results) == 1
    other = reflection.model_copy(update={"feedback_id": "fb-2", "outcomes": ["LO2"]})
    with pytest.raises(IdempotencyMismatch):
        app.execute(other, journey.student, "key-1")
