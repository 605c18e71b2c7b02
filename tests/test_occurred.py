"""When it happened, apart from when it was recorded: the day a command says (R1 bounds, R6
order), the store's own recording time, old events without the day, and where both are shown."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest
from eventsourcing.persistence import Mapper, StoredEvent

from api.settings import Settings
from domain import commands as c
from domain import moments
from domain.application import Bewijsketen, build_application
from domain.errors import InvalidInput, NotFound
from domain.history import history
from domain.journey import ADMIN, Journey, setup_program
from domain.values import Actor, FeedbackSource, Role, StaffRole, TrafficLight
from domain.views import trajectory_view
from projections.audit import render
from projections.audit.dossier import DossierEvent, build_dossier
from projections.audit.payload import decode_plain
from projections.audit.render import render_html
from projections.models import all_models
from projections.queries import ReadQueries
from projections.rebuild import rebuild
from projections.store import open_store
from tests.api_support import Api, HttpJourney, api_settings, running_api
from tests.api_support import setup_program as http_setup_program
from tests.test_projections_support import read_config
from tests.test_rules import assert_refused, event_count

TODAY = moments.today()
TOMORROW = TODAY + timedelta(days=1)
START = TODAY - timedelta(days=200)
MARCH = START + timedelta(days=120)


@pytest.fixture
def journey(app: Bewijsketen) -> Journey:
    program = setup_program(app, occurred_on=START - timedelta(days=30))
    journey = Journey(app, program, "student-1")
    journey.at(START).start()
    return journey


def test_every_command_may_say_when_it_took_place() -> None:
    occurring = [cmd for cmd in c.all_commands() if cmd.occurs()]
    assert occurring == list(c.all_commands())
    field = c.CheckProgress.model_fields["occurred_on"]
    assert field.default is None and "R1" in (field.description or "")


def test_the_day_is_the_commands_the_recording_time_the_stores(
    app: Bewijsketen, journey: Journey
) -> None:
    before = datetime.now(UTC)
    journey.at(MARCH).progress_check(TrafficLight.ORANGE, "LO4 lacks evidence")
    after = datetime.now(UTC)
    events = list(app.trajectory_events(journey.id))
    started, checked = events[0], events[-1]
    assert started.occurred_on == START and checked.occurred_on == MARCH
    assert before <= checked.timestamp <= after  # never back-dated
    trajectory = app.get_trajectory(journey.id)
    assert trajectory.start_day == START
    assert trajectory.progress_checks[0].occurred_on == MARCH
    view = trajectory_view(trajectory)
    assert view["started_on"] == START.isoformat()
    assert view["progress_checks"][0]["occurred_on"] == MARCH.isoformat()
    assert datetime.fromisoformat(view["progress_checks"][0]["checked_at"]) >= before

    rows = history(events)
    assert [(r.occurred_on, r.recorded_later) for r in (rows[0], rows[-1])] == [
        (START, True),
        (MARCH, True),
    ]
    # A command that says nothing took place on the day it was recorded.
    journey.day = None
    journey.progress_check(TrafficLight.GREEN)
    last = history(app.trajectory_events(journey.id))[-1]
    assert last.occurred_on == moments.day_of(last.timestamp) and not last.recorded_later


REFUSALS: dict[str, Callable[[Journey], c.Command]] = {
    "progress check": lambda j: j.on(c.CheckProgress, light=TrafficLight.GREEN),
    "evidence": lambda j: j.on(
        c.SubmitEvidence,
        evidence_id="ev-x",
        title="Testrapport",
        kind="report",
        uri="https://portfolio.example.nl/x",
        sha256="0" * 64,
        outcomes=["LO1"],
    ),
    "feedback": lambda j: j.on(
        c.GiveFeedback,
        feedback_id="fb-x",
        source=FeedbackSource.SELF,
        giver_id="student-1",
        outcomes=["LO1"],
        text="Mijn planning was te krap.",
    ),
    "baseline": lambda j: j.on(
        c.MeasureBaseline, outcome="LO1", level="beginnend", rationale="Intakegesprek"
    ),
    "correction": lambda j: j.on(c.RecordCorrection, corrects_version=1, reason="Verschrijving"),
}
ACTORS: dict[str, Callable[[Journey], Actor]] = {
    "progress check": lambda j: j.mentor,
    "evidence": lambda j: j.student,
    "feedback": lambda j: j.student,
    "baseline": lambda j: j.coach,
    "correction": lambda j: j.coach,
}


@pytest.mark.parametrize("what", list(REFUSALS))
def test_a_day_in_the_future_or_before_the_start_is_refused(
    app: Bewijsketen, journey: Journey, what: str
) -> None:
    actor = ACTORS[what](journey)
    journey.day = TOMORROW
    refused = assert_refused(app, "R1", lambda: app.execute(REFUSALS[what](journey), actor))
    assert isinstance(refused, InvalidInput) and "future" in str(refused)
    journey.day = START - timedelta(days=1)
    refused = assert_refused(app, "R1", lambda: app.execute(REFUSALS[what](journey), actor))
    assert "before the trajectory started" in str(refused)
    journey.day = START
    app.execute(REFUSALS[what](journey), actor)  # the first day itself is fine


def test_start_and_program_days_are_bounded_too(app: Bewijsketen) -> None:
    program = setup_program(app)
    start = c.StartTrajectory(
        program_id=program,
        student_id="student-9",
        cohort="2026-A",
        coach_id="coach-1",
        mentor_id="mentor-1",
        occurred_on=TOMORROW,
    )
    assert_refused(app, "R1", lambda: app.execute(start, Actor("coach-1", Role.COACH)))
    ancient = start.model_copy(update={"occurred_on": c.EARLIEST_DAY - timedelta(days=1)})
    assert_refused(app, "R1", lambda: app.execute(ancient, Actor("coach-1", Role.COACH)))
    staff = c.RegisterStaff(
        program_id=program, person_id="coach-9", role=StaffRole.COACH, occurred_on=TOMORROW
    )
    assert_refused(app, "R1", lambda: app.execute(staff, ADMIN))
    fine = staff.model_copy(update={"occurred_on": TODAY - timedelta(days=3)})
    app.execute(fine, ADMIN)
    registered = list(app.events.get(program))[-1]
    assert registered.occurred_on == TODAY - timedelta(days=3)


def test_the_second_medium_stake_cannot_precede_the_first(
    app: Bewijsketen, journey: Journey
) -> None:
    journey.evidence_for_all()
    journey.at(MARCH).medium_stake("vakkundig")
    journey.day = MARCH - timedelta(days=1)
    assert_refused(app, "R6", lambda: journey.medium_stake("bekwaam"))
    journey.day = MARCH
    journey.medium_stake("bekwaam")


def test_time_travel_answers_as_recorded_at(app: Bewijsketen, journey: Journey) -> None:
    journey.at(MARCH).progress_check(TrafficLight.GREEN)
    events = list(app.trajectory_events(journey.id))
    # In March nothing had been recorded yet: the record as it stood then held no trajectory.
    march = datetime.combine(MARCH, datetime.min.time(), tzinfo=moments.ZONE)
    with pytest.raises(NotFound):
        app.version_at(journey.id, march)
    assert app.version_at(journey.id, events[-1].timestamp) == len(events)
    assert app.version_at(journey.id, events[0].timestamp) == 1


def _old_shaped(stored: StoredEvent) -> StoredEvent:
    """The stored event as the code before `occurred_on` wrote it."""
    state = json.loads(stored.state)
    state.pop("occurred_on", None)
    state.pop("class_version", None)
    return StoredEvent(
        originator_id=stored.originator_id,
        originator_version=stored.originator_version,
        topic=stored.topic,
        state=json.dumps(state, separators=(",", ":")).encode(),
    )


@pytest.fixture
def old_store(app: Bewijsketen, settings: Settings) -> Iterator[tuple[Bewijsketen, uuid.UUID]]:
    """A store whose events were written before the day was recorded: the same journey, every
    event without `occurred_on`, in a store of its own."""
    source = Bewijsketen(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    program = setup_program(source)
    old = Journey(source, program, "student-1")
    old.to_ratified_pass()
    rows = source.recorder.select_notifications(1, 10**6)
    app.recorder.insert_events([_old_shaped(r) for r in rows])
    app.directory.stale()
    assert b"occurred_on" not in b"".join(
        r.state for r in app.recorder.select_notifications(1, 10**6)
    )
    yield app, old.id
    source.close()


def test_old_events_without_the_day_load_project_and_render(
    old_store: tuple[Bewijsketen, uuid.UUID], settings: Settings
) -> None:
    app, trajectory_id = old_store
    trajectory = app.get_trajectory(trajectory_id)
    assert trajectory.closed and trajectory.started_on is None
    assert trajectory.start_day == moments.day_of(trajectory.created_on)
    events = list(app.trajectory_events(trajectory_id))
    assert all(e.occurred_on is None for e in events)
    rows = history(events)
    assert all(r.occurred_on == moments.day_of(r.timestamp) and not r.recorded_later for r in rows)

    store = open_store(read_config(settings))
    try:
        rebuild(app, store, all_models())
        (progress,) = store.query(f"SELECT * FROM {store.live.q('progress_trajectories')}")
        assert str(progress["started_on"]) == trajectory.start_day.isoformat()
        assert str(progress["last_occurred_on"]) == moments.day_of(events[-1].timestamp).isoformat()
        (check,) = store.query(f"SELECT * FROM {store.live.q('borging_checks')}")
        assert check["all_ok"] and str(check["decided_on"]) == str(progress["last_occurred_on"])
    finally:
        store.close()

    dossier = build_dossier(str(trajectory_id), _dossier_events(app, trajectory_id))
    assert all(step["on"] and not step["recorded_later"] for step in dossier["steps"])
    assert "Gebeurd op" in render_html(dossier, None).decode()


def test_old_and_new_events_live_side_by_side(old_store: tuple[Bewijsketen, uuid.UUID]) -> None:
    """A trajectory started before the day was recorded takes commands that say a day."""
    app, old_id = old_store
    program = app.get_trajectory(old_id).program_id
    journey = Journey(app, program, "student-2")
    journey.at(TODAY - timedelta(days=7)).start()
    journey.at(TODAY - timedelta(days=1)).progress_check(TrafficLight.RED, "Veel afwezig")
    assert app.get_trajectory(journey.id).progress_checks[-1].occurred_on == journey.day
    before = event_count(app)
    with pytest.raises(InvalidInput):
        journey.at(TOMORROW).progress_check(TrafficLight.GREEN)
    assert event_count(app) == before


def test_old_snapshots_upcast(app: Bewijsketen, settings: Settings, journey: Journey) -> None:
    """A snapshot taken before the trajectory kept the day it started still loads."""
    app.take_snapshot(journey.id)
    (sealed,) = app.snapshots.recorder.select_events(journey.id, desc=True, limit=1)
    # Snapshots of that time were stored in plaintext (before encryption at rest).
    snapshot = Mapper(app.mapper.transcoder).to_stored_event(app.mapper.to_domain_event(sealed))
    state = json.loads(snapshot.state)
    state["state"].pop("started_on")
    state["state"]["class_version"] = 2
    other = build_application(Settings(data_dir=settings.data_dir / "other", _env_file=None).store)
    try:
        stored = app.recorder.select_events(journey.id)
        other.recorder.insert_events([_old_shaped(e) for e in stored])
        other.snapshots.recorder.insert_events(
            [
                StoredEvent(
                    snapshot.originator_id,
                    snapshot.originator_version,
                    snapshot.topic,
                    json.dumps(state).encode(),
                )
            ]
        )
        loaded = other.get_trajectory(journey.id)
        assert loaded.started_on is None and loaded.version == 1
        assert loaded.start_day == moments.day_of(loaded.created_on)
    finally:
        other.close()


def _dossier_events(app: Bewijsketen, trajectory_id: uuid.UUID) -> list[DossierEvent]:
    program = app.get_trajectory(trajectory_id).program_id
    return [
        DossierEvent(
            n.id, str(n.originator_id), n.originator_version, n.topic, decode_plain(n.state)
        )
        for n in app.recorder.select_notifications(1, 10**6)
        if n.originator_id in (trajectory_id, program)
    ]


def test_the_dossier_shows_both_where_they_differ(app: Bewijsketen, journey: Journey) -> None:
    journey.at(MARCH).progress_check(TrafficLight.ORANGE, "LO4 lacks evidence")
    journey.day = None
    journey.progress_check(TrafficLight.GREEN)
    dossier = build_dossier(str(journey.id), _dossier_events(app, journey.id))
    *_, march, today = [s for s in dossier["steps"] if s["event"] == "ProgressChecked"]
    assert (march["on"], march["recorded_later"]) == (MARCH.isoformat(), True)
    recorded = moments.day_of(datetime.fromisoformat(today["at"]))
    assert (today["on"], today["recorded_later"]) == (recorded.isoformat(), False)
    assert dossier["trajectory"]["started_on"] == START.isoformat()
    html = render_html(dossier, None).decode()
    # Days in words, as everywhere on the Dutch pages ("12 maart 2026").
    assert f"<td>{render.day(MARCH.isoformat())}</td>" in html
    assert "Gestart</dt><dd>" + render.day(START.isoformat()) in html
    assert "(vastgelegd " in html


def test_read_models_show_both_and_count_inactivity_from_the_day(
    app: Bewijsketen, settings: Settings, journey: Journey
) -> None:
    begun = datetime.now(UTC)
    journey.at(MARCH).progress_check(TrafficLight.GREEN, "")
    recent = Journey(app, journey.program_id, "student-2")
    recent.start()
    recent.progress_check(TrafficLight.GREEN)
    store = open_store(read_config(settings))
    try:
        rebuild(app, store, all_models())
        lights = {
            str(r["trajectory_id"]): r
            for r in store.query(f"SELECT * FROM {store.live.q('progress_lights')}")
        }
        light = lights[str(journey.id)]
        assert str(light["checked_on"]) == MARCH.isoformat()
        checked_at = light["checked_at"]
        moment = (
            checked_at if isinstance(checked_at, datetime) else datetime.fromisoformat(checked_at)
        )
        assert moment >= begun
        queries = ReadQueries(store)
        risky = queries.members(queries.where(), 10, 0, 14, at_risk=True).items
        # Recorded today, but nothing took place since March: no activity for 14 days.
        assert [(m["student_id"], m["at_risk_reasons"]) for m in risky] == [
            ("student-1", ["no activity for 14 days"])
        ]
        member = next(
            m
            for m in queries.members(queries.where(), 10, 0, 14, None).items
            if m["student_id"] == "student-1"
        )
        assert str(member["last_occurred_on"]) == MARCH.isoformat()
    finally:
        store.close()


@pytest.fixture
def api(settings: Settings) -> Iterator[Api]:
    with running_api(api_settings(settings)) as api:
        yield api


def test_over_http(api: Api) -> None:
    program_id = http_setup_program(api)
    journey = HttpJourney(api, program_id, "student-1")
    week_ago = TODAY - timedelta(days=7)
    start = {
        "program_id": program_id,
        "student_id": "student-1",
        "cohort": "2026-A",
        "coach_id": "coach-1",
        "mentor_id": "mentor-1",
        "occurred_on": week_ago.isoformat(),
    }
    journey.id = api.post("/trajectories", start, journey.coach, 201).json()["id"]
    before = api.event_count(journey.id)
    body = {"light": "orange", "notes": "LO4 ontbreekt", "occurred_on": TOMORROW.isoformat()}
    refused = journey.command("/progress-checks", body, journey.mentor, expect=422).get("rule")
    assert refused == "R1" and api.event_count(journey.id) == before
    body["occurred_on"] = "not a day"
    problem = journey.command("/progress-checks", body, journey.mentor, expect=422)
    assert problem["type"].endswith("/validation")
    yesterday = TODAY - timedelta(days=1)
    body["occurred_on"] = yesterday.isoformat()
    journey.command("/progress-checks", body, journey.mentor)
    rows = api.get(journey.path + "/history", journey.coach).json()["items"]
    assert rows[-1]["occurred_on"] == yesterday.isoformat() and rows[-1]["recorded_later"]
    assert rows[0]["occurred_on"] == week_ago.isoformat() and rows[0]["recorded_later"]
    journey.command("/progress-checks", {"light": "green"}, journey.mentor)
    rows = api.get(journey.path + "/history", journey.coach).json()["items"]
    recorded = moments.day_of(datetime.fromisoformat(rows[-1]["timestamp"]))
    assert rows[-1]["occurred_on"] == recorded.isoformat() and not rows[-1]["recorded_later"]
    view = api.get(journey.path, journey.coach).json()
    assert view["progress_checks"][0]["occurred_on"] == yesterday.isoformat()
    assert view["progress_checks"][1]["occurred_on"] is None
    assert view["started_on"] == week_ago.isoformat()
