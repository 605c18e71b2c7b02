"""The read models never stop on an event: whatever the domain stored, the runner applies.

Events carrying NUL and other control characters in every text field, written through the
application service (past the API's input rules), keep every read model current on both
stores; what a column cannot hold is stored escaped and read back as it was. An event a
projection still cannot apply marks that projection failed, at that event, while the others go
on; it is retried, and a rebuild names the event.
"""

from __future__ import annotations

import copy
import time
import uuid
from collections.abc import Iterator
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from domain.application import Bewijsketen
from domain.config import Settings
from domain.journey import ADMIN, SOFTWARE_DEVELOPER, Journey, Staff, setup_program
from domain.program import DEFAULT_LEVELS, ProgramDefinition
from domain.values import (
    Actor,
    EvidenceKind,
    FeedbackSource,
    Role,
    StaffRole,
    TrafficLight,
    Verdict,
    Vote,
)
from projections import log
from projections.config import ProjectionConfig
from projections.engine import ReadModel, Rows
from projections.escape import MARKER, escape, escape_json_text, unescape, unescape_json
from projections.failures import PoisonEvent
from projections.models import all_models
from projections.queries import ReadQueries
from projections.rebuild import RebuildFailed, rebuild
from projections.runner import Runner
from projections.schema import Column, Table
from projections.service import ProjectionService
from projections.state import TrajectoryState
from projections.store import ReadStore, open_store
from tests.api_support import Api, api_settings
from tests.test_projections_support import assert_equal_dumps, dump, read_config, rebuilt

# NUL, other C0 controls, DEL, and the tab, CR and LF that text may well carry.
P = "\x00\x01\x07\x08\x0b\x0c\x0e\x1b\x1f\x7f\t\r\n"
LEVELS = tuple(f"{level}{P}" for level in DEFAULT_LEVELS)


@pytest.fixture
def config(settings: Settings) -> ProjectionConfig:
    return read_config(settings)


@pytest.fixture
def read_store(config: ProjectionConfig) -> Iterator[ReadStore]:
    store = open_store(config)
    yield store
    store.close()


def poisoned_definition() -> dict[str, Any]:
    definition = copy.deepcopy(SOFTWARE_DEVELOPER)
    definition["title"] += P
    for outcome in definition["outcomes"]:
        outcome["code"] += P
        outcome["title"] += P
        outcome["qualification_refs"] = [r + P for r in outcome["qualification_refs"]]
        for criterion in outcome["criteria"]:
            criterion["code"] += P
            criterion["description"] += P
    definition["rubric"] = {
        "levels": list(LEVELS),
        "pass_level": f"bekwaam{P}",
        "early_level": f"vakkundig{P}",
    }
    return definition


STAFF = Staff(
    coaches=[f"coach{P}1", f"coach{P}2"],
    mentors=[f"mentor{P}1", f"mentor{P}2"],
    assessors=[f"assessor{P}1", f"assessor{P}2", f"assessor{P}3"],
    committee=[f"committee{P}1", f"committee{P}2", f"committee{P}3"],
)


class PoisonedJourney(Journey):
    """A journey whose every text (ids, codes, levels, rationales, notes) carries P."""

    def level(self, name: str) -> str:
        return name if name in self.levels else f"{name}{P}"

    def medium_stake(self, levels: dict[str, str] | str) -> Any:
        if isinstance(levels, str):
            levels = {code: self.level(levels) for code in self.outcomes}
        return self.app.hold_medium_stake(
            self.id,
            portfolio=self.evidence_ids[:3],
            levels=levels,
            feedback=f"Besproken{P}",
            rationale=f"Niveaus{P}",
            actor=self.coach,
        )

    def green_light(self) -> None:
        self.app.give_green_light(self.id, f"Groen licht{P}", self.coach)

    def judge(
        self, attempt: int, assessor: str, levels: dict[str, str] | str, verdict: Any = None
    ) -> Any:
        if isinstance(levels, str):
            levels = {code: self.level(levels) for code in self.outcomes}
        return self.app.submit_judgment(
            self.id,
            attempt,
            levels=levels,
            level_rationales={code: f"Toont {levels[code]}{P}" for code in self.outcomes},
            verdict=verdict or Verdict.PASS,
            rationale=f"Holistisch{P}",
            actor=Actor(assessor, Role.ASSESSOR),
        )


def walk_poisoned(app: Bewijsketen) -> PoisonedJourney:
    program_id = app.register_program(f"SD{P}", f"Programma{P}", ADMIN).aggregate_id
    app.publish_program_version(
        program_id, ProgramDefinition.from_dict(poisoned_definition()), ADMIN
    )
    for role, people in (
        (StaffRole.COACH, STAFF.coaches),
        (StaffRole.MENTOR, STAFF.mentors),
        (StaffRole.ASSESSOR, STAFF.assessors),
        (StaffRole.COMMITTEE, STAFF.committee),
    ):
        for person in people:
            app.register_staff(program_id, person, role, ADMIN)
    walk = PoisonedJourney(
        app, program_id, f"student{P}1", f"2026{P}A", STAFF.coaches[0], STAFF.mentors[0]
    )
    walk.start()
    tid = walk.id
    coach = walk.coach
    app.measure_baseline(tid, walk.outcomes[0], LEVELS[1], f"Nulmeting{P}", coach)
    for code in walk.outcomes:
        for kind in (EvidenceKind.PRODUCT, EvidenceKind.REFLECTION):
            walk.evidence([code], kind=kind, title=f"Bewijs{P}{code}")
    extra = walk.evidence([walk.outcomes[0]], ai_use=True, title=f"Extra{P}")
    walk.withdraw(extra, reason=f"Verkeerd bestand{P}")
    app.request_feedback(
        tid,
        request_id=f"rq{P}1",
        requested_from=f"peer{P}1",
        source=FeedbackSource.PEER,
        outcomes=[walk.outcomes[1]],
        evidence_id=walk.evidence_ids[0],
        question=f"Wat vind je?{P}",
        actor=walk.student,
    )
    for code in walk.outcomes:
        walk.feedback(FeedbackSource.SELF, walk.student.person_id, [code], text=f"Zelf{P}")
        walk.feedback(FeedbackSource.COACH, coach.person_id, [code], text=f"Coach{P}")
    walk.feedback(FeedbackSource.PEER, f"peer{P}1", [walk.outcomes[1]], text=f"Peer{P}")
    walk.progress_check(TrafficLight.ORANGE, notes=f"Let op{P}")
    app.reassign_coach(tid, STAFF.coaches[1], f"Ziekte{P}", ADMIN)
    walk.coach = Actor(STAFF.coaches[1], Role.COACH)
    app.reassign_mentor(tid, STAFF.mentors[1], f"Wissel{P}", ADMIN)
    walk.medium_stake("vakkundig")
    app.request_early_high_stake(tid, f"Ik ben klaar{P}", walk.student)
    app.decide_early_high_stake(tid, False, f"Nog niet{P}", walk.coach)
    walk.medium_stake("bekwaam")
    app.withhold_green_light(tid, f"Meer bewijs{P}", f"Te weinig{P}", walk.coach)
    walk.green_light()
    attempt = walk.request_high_stake(ai_explanation=f"AI gebruikt{P}")
    walk.assign(attempt, (STAFF.assessors[0], STAFF.assessors[1]))
    walk.judge(attempt, STAFF.assessors[0], "bekwaam")
    walk.judge(attempt, STAFF.assessors[1], "vakkundig", Verdict.DOUBT)
    app.hold_criterion_interview(tid, attempt, f"CGI{P}", Actor(STAFF.assessors[0], Role.ASSESSOR))
    levels = {code: walk.level("vakkundig") for code in walk.outcomes}
    app.agree_final_levels(
        tid, attempt, levels, f"Eens{P}", Actor(STAFF.assessors[0], Role.ASSESSOR)
    )
    app.conclude_assessment(tid, attempt, f"Conclusie{P}", Actor(STAFF.assessors[0], Role.ASSESSOR))
    for member in STAFF.committee[:2]:
        app.cast_vote(tid, attempt, Vote.RATIFY, f"Akkoord{P}", Actor(member, Role.COMMITTEE))
    app.record_development_plan(tid, attempt, f"Plan{P}", walk.student)
    app.record_correction(
        tid,
        3,
        f"Correctie{P}",
        {f"veld{P}": [f"waarde{P}", {f"dieper{P}": P}], "\\u0000 letterlijk": MARKER + "x"},
        Actor(STAFF.committee[0], Role.COMMITTEE),
    )
    app.publish_exhibition(tid, f"expo{P}", f"Expositie{P}", walk.evidence_ids[:2], walk.student)
    return walk


def test_nul_and_control_characters_in_every_text_field_keep_the_read_models_current(
    app: Bewijsketen, read_store: ReadStore, config: ProjectionConfig, settings: Settings
) -> None:
    walk = walk_poisoned(app)
    # A plain trajectory beside it must not be held up either.
    plain = Journey(app, setup_program(app, code="PLAIN"), "student-plain")
    plain.to_green_light()
    runner = Runner(app, read_store, all_models(), config)
    runner.ensure()
    runner.catch_up()
    head = log.head(app)
    assert runner.failures == {}
    assert {t.name: t.position for t in read_store.tracking()} == {
        m.name: head for m in all_models()
    }
    assert read_store.failures() == {}
    # What the store holds escaped reads back as the domain wrote it.
    progress = ReadQueries(read_store).progress_of(walk.id)
    assert progress is not None
    row = progress["trajectory"]
    assert (row["cohort"], row["student_id"], row["coach_id"]) == (
        f"2026{P}A",
        f"student{P}1",
        STAFF.coaches[1],
    )
    assert row["green_light_note"] == f"Groen licht{P}"
    assert set(row["facts"]["latest_levels"]) == set(walk.outcomes)
    assert [o["outcome"] for o in progress["outcomes"]] == walk.outcomes
    trajectory = app.get_trajectory(walk.id)
    assert row["version"] == trajectory.version and row["next_step"] == trajectory.next_step().step
    # Incremental and rebuilt read models agree.
    assert_equal_dumps(dump(read_store), rebuilt(app, settings))


def test_a_cohort_with_a_nul_stops_no_read_model(
    app: Bewijsketen, read_store: ReadStore, config: ProjectionConfig
) -> None:
    """The regression: `"cohort": "2026\\u0000A"` once stopped every read model on PostgreSQL."""
    program_id = setup_program(app)
    Journey(app, program_id, "student-1", cohort="2026\x00A").start()
    later = Journey(app, program_id, "student-2")
    later.start()
    runner = Runner(app, read_store, all_models(), config)
    runner.ensure()
    runner.catch_up()
    assert runner.failures == {}
    assert {t.position for t in read_store.tracking()} == {log.head(app)}
    table = read_store.live.q("cohort_members")
    cohorts = {r["cohort"] for r in read_store.query(f"SELECT cohort FROM {table}")}
    assert cohorts == {"2026\x00A", "2026-A"}


def test_the_escape_is_reversible_and_leaves_plain_text_alone() -> None:
    samples = [
        "",
        "plain",
        "café",
        "a\\b",
        "\x00",
        "nul\x00 and \\u0000 and \\\\",
        "\ud800 lone",
        MARKER,
        MARKER + "\\u0000",
        "\uffffx\x00",
    ]
    for text in samples:
        stored = escape(text)
        assert "\x00" not in stored
        assert not any(0xD800 <= ord(c) <= 0xDFFF for c in stored)
        assert unescape(stored) == text
    assert escape("plain") == "plain" and escape("a\\b") == "a\\b" and escape("café") == "café"
    json_text = '{"k\\u0000":["v\\u0000",1],"literal":"\\\\u0000"}'
    stored_json = escape_json_text(json_text)
    assert "\\u0000" not in stored_json.replace("\\\\u0000", "")
    assert unescape_json(orjson.loads(stored_json)) == orjson.loads(json_text)


# ---- a projection that cannot apply some event


FRAGILE_ROWS = Table(
    "fragile_rows",
    "rows",
    (Column("trajectory_id", "uuid"), Column("cohort", "text")),
    key=("trajectory_id",),
)


class Fragile(ReadModel):
    """A read model with a defect: it cannot project trajectories of the cohorts in `broken`."""

    name = "fragile"
    tables = (FRAGILE_ROWS,)
    broken: set[str] = set()

    def rows(self, state: TrajectoryState, definition: Any) -> Rows:
        if state.cohort in self.broken:
            raise ValueError(f"cannot project cohort {state.cohort!r}")
        return {FRAGILE_ROWS.name: [(state.trajectory_id, state.cohort)]}


@pytest.fixture
def fragile() -> Iterator[type[Fragile]]:
    Fragile.broken = {"defect"}
    yield Fragile
    Fragile.broken = set()


def test_a_projection_that_cannot_apply_an_event_fails_alone_and_recovers(
    app: Bewijsketen,
    read_store: ReadStore,
    config: ProjectionConfig,
    fragile: type[Fragile],
) -> None:
    program_id = setup_program(app)
    Journey(app, program_id, "student-1").start()
    bad = Journey(app, program_id, "student-2", cohort="defect")
    bad.start()
    poison_at = log.head(app)
    for i in range(3, 6):
        Journey(app, program_id, f"student-{i}").to_green_light()
    models = (*all_models(), fragile())
    runner = Runner(app, read_store, models, config)
    runner.ensure()
    runner.catch_up()
    head = log.head(app)
    positions = {t.name: t.position for t in read_store.tracking()}
    # Everything before the event was applied; the other projections went on to the head.
    assert positions == {**{m.name: head for m in all_models()}, "fragile": poison_at - 1}
    failure = runner.failures["fragile"]
    assert failure.position == poison_at
    assert f"Started version 1 of {bad.id}" in failure.event
    assert "cannot project cohort 'defect'" in failure.error
    stored = read_store.failures()["fragile"]
    assert stored["position"] == poison_at and stored["event"] == failure.event

    service = ProjectionService(app, config, run_here=False, models=models)
    try:
        report = service.status()
    finally:
        service.store.close()
    assert report["state"] == "failed" and report["failed"] == ["fragile"]
    by_name = {p["name"]: p for p in report["projections"]}
    assert by_name["fragile"]["state"] == "failed"
    assert by_name["fragile"]["failure"]["position"] == poison_at
    assert by_name["progress"]["state"] == "running" and by_name["progress"]["failure"] is None

    # It is retried, with a pause; once the event applies it is no longer failed.
    fragile.broken = set()
    deadline = time.monotonic() + 60
    while runner.failures and time.monotonic() < deadline:
        runner.catch_up()
        time.sleep(0.1)
    assert runner.failures == {} and read_store.failures() == {}
    assert {t.position for t in read_store.tracking()} == {head}


def test_a_rebuild_names_the_event_and_rebuilds_the_others(
    app: Bewijsketen, read_store: ReadStore, fragile: type[Fragile]
) -> None:
    program_id = setup_program(app)
    Journey(app, program_id, "student-1").to_green_light()
    bad = Journey(app, program_id, "student-2", cohort="defect")
    bad.start()
    poison_at = log.head(app)
    Journey(app, program_id, "student-3").start()
    progress = next(m for m in all_models() if m.name == "progress")
    with pytest.raises(RebuildFailed) as failed:
        rebuild(app, read_store, [progress, fragile()])
    (poisoned,) = failed.value.poisoned
    assert isinstance(poisoned, PoisonEvent)
    assert poisoned.position == poison_at and f"of {bad.id}" in poisoned.event
    assert failed.value.rebuilt == ["progress"]
    assert read_store.position("progress") == log.head(app)


def test_the_api_reports_a_failed_projection(settings: Settings, fragile: type[Fragile]) -> None:
    with TestClient(create_app(api_settings(settings))) as client:
        api = Api(client)
        app = api.state.application
        program_id = setup_program(app)
        bad = Journey(app, program_id, "student-1", cohort="defect")
        bad.start()
        # This process's runner, with the defective read model beside the real ones.
        old = api.state.services["projections"]
        assert isinstance(old, ProjectionService)
        old.stop()
        service = ProjectionService(
            app, old.config, run_here=True, models=(*all_models(), fragile())
        )
        service.start()
        api.state.services["projections"] = service
        deadline = time.monotonic() + 30
        while not service.runner.failures and time.monotonic() < deadline:
            time.sleep(0.05)
        token = ("quality-1", Role.QUALITY)
        report = api.get("/projections", token).json()
        assert report["state"] == "failed" and report["failed"] == ["fragile"]
        fragile_status = next(p for p in report["projections"] if p["name"] == "fragile")
        assert fragile_status["failure"]["event"].startswith("Started version 1 of")
        assert str(bad.id) in fragile_status["failure"]["event"]
        health = api.get("/health", token).json()
        assert health["services"]["projections"]["state"] == "failed"
        assert uuid.UUID(str(bad.id))
