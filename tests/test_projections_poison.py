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
from api.settings import Settings
from domain import commands as c
from domain.application import Bewijsketen
from domain.journey import ADMIN, SOFTWARE_DEVELOPER, Journey, Staff, setup_program
from domain.program import DEFAULT_LEVELS
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


def unchecked(command_type: type[c.C], **fields: Any) -> c.C:
    """A command built without its field rules: what older code may have stored."""
    return command_type.model_construct(**fields)


def unchecked_definition(program_id: uuid.UUID, data: dict[str, Any]) -> c.PublishProgramVersion:
    outcomes = [
        c.OutcomeModel.model_construct(
            **(o | {"criteria": [c.CriterionModel.model_construct(**x) for x in o["criteria"]]})
        )
        for o in data["outcomes"]
    ]
    return unchecked(
        c.PublishProgramVersion,
        program_id=program_id,
        title=data["title"],
        outcomes=outcomes,
        rubric=c.RubricModel.model_construct(**data["rubric"]),
        settings=c.ProgramSettingsModel(),
    )


class PoisonedJourney(Journey):
    """A journey whose every text (ids, codes, levels, rationales, notes) carries P, its
    commands built past their field rules."""

    def on(self, command_type: type[Any], **fields: Any) -> Any:
        return unchecked(command_type, trajectory_id=self.id, **fields)

    def start(self) -> Any:
        result = self.run(
            unchecked(
                c.StartTrajectory,
                program_id=self.program_id,
                program_version=None,
                student_id=self.student.person_id,
                cohort=self.cohort,
                coach_id=self.coach.person_id,
                mentor_id=self.mentor.person_id,
            ),
            self.coach,
        )
        self.id = result.aggregate_id
        program = self.app.get_program(self.program_id)
        definition = program.definition(program.latest_version or 1)
        self.outcomes = list(definition.outcome_codes)
        self.levels = list(definition.rubric.levels)
        return result

    def level(self, name: str) -> str:
        return name if name in self.levels else f"{name}{P}"


def walk_poisoned(app: Bewijsketen) -> PoisonedJourney:
    program_id = app.execute(
        unchecked(c.RegisterProgram, code=f"SD{P}", title=f"Programma{P}"), ADMIN
    ).aggregate_id
    app.execute(unchecked_definition(program_id, poisoned_definition()), ADMIN)
    for role, people in (
        (StaffRole.COACH, STAFF.coaches),
        (StaffRole.MENTOR, STAFF.mentors),
        (StaffRole.ASSESSOR, STAFF.assessors),
        (StaffRole.COMMITTEE, STAFF.committee),
    ):
        for person in people:
            register = unchecked(
                c.RegisterStaff, program_id=program_id, person_id=person, role=role
            )
            app.execute(register, ADMIN)
    walk = PoisonedJourney(
        app, program_id, f"student{P}1", f"2026{P}A", STAFF.coaches[0], STAFF.mentors[0]
    )
    walk.start()
    # A fellow student, so that peer feedback is theirs to give.
    PoisonedJourney(
        app, program_id, f"peer{P}1", f"2026{P}A", STAFF.coaches[0], STAFF.mentors[0]
    ).start()
    coach = walk.coach

    def run(command_type: type[Any], actor: Actor, **fields: Any) -> Any:
        return walk.run(walk.on(command_type, **fields), actor)

    run(
        c.MeasureBaseline,
        coach,
        outcome=walk.outcomes[0],
        level=LEVELS[1],
        rationale=f"Nulmeting{P}",
    )
    for code in walk.outcomes:
        for kind in (EvidenceKind.PRODUCT, EvidenceKind.REFLECTION):
            walk.evidence([code], kind=kind, title=f"Bewijs{P}{code}")
    extra = walk.evidence([walk.outcomes[0]], ai_use=True, title=f"Extra{P}")
    walk.withdraw(extra, reason=f"Verkeerd bestand{P}")
    run(
        c.RequestFeedback,
        walk.student,
        request_id=f"rq{P}1",
        requested_from=f"peer{P}1",
        source=FeedbackSource.PEER,
        outcomes=[walk.outcomes[1]],
        evidence_id=walk.evidence_ids[0],
        question=f"Wat vind je?{P}",
    )
    for code in walk.outcomes:
        walk.feedback(FeedbackSource.SELF, walk.student.person_id, [code], text=f"Zelf{P}")
        walk.feedback(FeedbackSource.COACH, coach.person_id, [code], text=f"Coach{P}")
    walk.feedback(FeedbackSource.PEER, f"peer{P}1", [walk.outcomes[1]], text=f"Peer{P}")
    walk.progress_check(TrafficLight.ORANGE, notes=f"Let op{P}")
    run(c.ReassignCoach, ADMIN, coach_id=STAFF.coaches[1], reason=f"Ziekte{P}")
    walk.coach = Actor(STAFF.coaches[1], Role.COACH)
    run(c.ReassignMentor, ADMIN, mentor_id=STAFF.mentors[1], reason=f"Wissel{P}")
    walk.mentor = Actor(STAFF.mentors[1], Role.MENTOR)
    walk.medium_stake("vakkundig")
    run(c.RequestEarlyHighStake, walk.student, motivation=f"Ik ben klaar{P}")
    run(c.DecideEarlyHighStake, walk.coach, grant=False, rationale=f"Nog niet{P}")
    walk.medium_stake("bekwaam")
    run(
        c.DecideGreenLight,
        walk.coach,
        decision="withhold",
        advice=f"Meer bewijs{P}",
        rationale=f"Te weinig{P}",
    )
    run(c.DecideGreenLight, walk.coach, decision="give", rationale=f"Groen licht{P}", advice="")
    attempt = walk.request_high_stake(ai_explanation=f"AI gebruikt{P}")
    walk.assign(attempt, (STAFF.assessors[0], STAFF.assessors[1]))
    walk.judge(attempt, STAFF.assessors[0], "bekwaam")
    walk.judge(attempt, STAFF.assessors[1], "vakkundig", Verdict.DOUBT)
    first = Actor(STAFF.assessors[0], Role.ASSESSOR)
    run(c.HoldCriterionInterview, first, attempt=attempt, notes=f"CGI{P}")
    levels = {code: walk.level("vakkundig") for code in walk.outcomes}
    run(c.AgreeFinalLevels, first, attempt=attempt, levels=levels, rationale=f"Eens{P}")
    run(c.ConcludeAssessment, first, attempt=attempt, rationale=f"Conclusie{P}")
    for member in STAFF.committee[:2]:
        member_actor = Actor(member, Role.COMMITTEE)
        run(c.CastVote, member_actor, attempt=attempt, vote=Vote.RATIFY, rationale=f"Akkoord{P}")
    run(c.RecordDevelopmentPlan, walk.student, attempt=attempt, plan=f"Plan{P}")
    run(
        c.RecordCorrection,
        Actor(STAFF.committee[0], Role.COMMITTEE),
        corrects_version=3,
        reason=f"Correctie{P}",
        details={f"veld{P}": [f"waarde{P}", {f"dieper{P}": P}], "\\u0000 letterlijk": MARKER + "x"},
    )
    run(
        c.PublishExhibition,
        walk.student,
        exhibition_id=f"expo{P}",
        title=f"Expositie{P}",
        evidence_ids=walk.evidence_ids[:2],
    )
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
    queries = ReadQueries(read_store, app.keys.lookup)
    progress = queries.progress_of(walk.id, queries.where().eq("trajectory_id", walk.id))
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
    # Today the command refuses the NUL; an older store may well hold one.
    with pytest.raises(ValueError, match="U\\+0000"):
        Journey(app, program_id, "student-1", cohort="2026\x00A").start()
    start = unchecked(
        c.StartTrajectory,
        program_id=program_id,
        program_version=None,
        student_id="student-1",
        cohort="2026\x00A",
        coach_id="coach-1",
        mentor_id="mentor-1",
    )
    app.execute(start, Actor("coach-1", Role.COACH))
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
