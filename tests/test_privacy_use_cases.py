"""The privacy use cases on a real store (SQLite and PostgreSQL): the legal hold, erasure on
request, the retention job, the privacy ledger, forgetting the person registry entry, and the
access export with every text."""

from __future__ import annotations

import json
import zipfile
from datetime import date, timedelta
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest

from api.privacy_export import make_export
from api.refusals import dutch
from domain import commands as c
from domain import moments, policy
from domain.application import Bewijsketen
from domain.errors import NotFound, NotPermitted, RuleViolation
from domain.journey import Journey, setup_program
from domain.persons import PersonRegistry
from domain.privacy import export, retention
from domain.privacy.envelope import PLACEHOLDER
from domain.privacy.erasure import Eraser
from domain.privacy.ledger import PrivacyRecord
from domain.values import Actor, FeedbackSource, Role, TrafficLight
from projections.audit.render import day

OFFICER = Actor("privacy-1", Role.PRIVACY)
TODAY = moments.today()
FEEDBACK = "Ilse plant te optimistisch; haar testplan mist randgevallen"
CHECK = "Gesprek over de planning: Ilse loopt achter op LO2"
REASON = "Verzoek van de student per e-mail"
IMAIL = "ilse.devries@student.example.nl"


def events_in_store(app: Bewijsketen) -> int:
    return int(app.recorder.max_notification_id() or 0)


def passed(app: Bewijsketen, student: str = "student-1") -> Journey:
    """A trajectory with formative texts about the student, to a ratified pass (today)."""
    journey = Journey(app, setup_program(app), student)
    journey.to_green_light()
    journey.feedback(FeedbackSource.COACH, "coach-1", ["LO1"], text=FEEDBACK)
    journey.progress_check(TrafficLight.ORANGE, CHECK)
    attempt = journey.request_high_stake()
    journey.assign(attempt)
    journey.judge(attempt, "assessor-1", "bekwaam")
    journey.judge(attempt, "assessor-2", "bekwaam")
    journey.conclude(attempt)
    journey.votes(attempt)
    return journey


def persons(app: Bewijsketen, tmp_path: Path) -> PersonRegistry:
    registry = PersonRegistry(tmp_path / "persons.json")
    registry.put_many(
        {
            "student-1": {"name": "Ilse de Vries", "student_number": "500123", "email": IMAIL},
            "student-2": "Sem Bakker",
        }
    )
    return registry


def eraser(app: Bewijsketen, registry: PersonRegistry | None, today: date = TODAY) -> Eraser:
    rebuilt: list[tuple[str, tuple[Any, ...]]] = []
    found = Eraser(app, registry, lambda s, ids: rebuilt.append((s, tuple(ids))), lambda: today)
    found.rebuilt = rebuilt  # type: ignore[attr-defined]
    return found


def texts_of(app: Bewijsketen, journey: Journey) -> list[str]:
    trajectory = app.get_trajectory(journey.id)
    return [f.text for f in trajectory.feedback] + [p.notes for p in trajectory.progress_checks]


def test_the_hold_ends_18_months_after_the_ratified_decision(app: Bewijsketen) -> None:
    journey = passed(app)
    terms = retention.schedule(app).student("student-1")
    (only,) = terms.trajectories
    assert only.trajectory_id == journey.id
    assert only.decided_on == only.closed_on == TODAY
    assert terms.hold_ends == retention.add_months(TODAY, 18)
    assert terms.formative_ends == retention.add_months(TODAY, 6)
    assert terms.under_hold(TODAY) and not terms.under_hold(terms.hold_ends)
    assert retention.add_months(date(2026, 8, 31), 18) == date(2028, 2, 29)


def test_a_shred_of_the_exam_record_under_hold_is_refused_naming_the_day(
    app: Bewijsketen, tmp_path: Path
) -> None:
    passed(app)
    before = events_in_store(app)
    keys = app.keys.keys_of("student-1")
    ends = retention.add_months(TODAY, 18)
    with pytest.raises(RuleViolation) as refused:
        eraser(app, persons(app, tmp_path)).shred(OFFICER, "student-1", {"exam"}, REASON)
    assert refused.value.rule == "P2"
    assert ends.isoformat() in refused.value.message
    # The Dutch sentence names the day too, as every refusal has one.
    sentence = dutch(refused.value.rule, refused.value.message)
    assert sentence.startswith("Het examendossier van student-1 valt onder de wettelijke")
    assert day(ends.isoformat()) in sentence
    assert events_in_store(app) == before
    assert app.keys.keys_of("student-1") == keys and not any(k.shredded for k in keys)


def test_only_the_privacy_officer_shreds(app: Bewijsketen, tmp_path: Path) -> None:
    journey = passed(app)
    before = events_in_store(app)
    for actor in (journey.student, journey.coach, Actor("admin-1", Role.ADMIN)):
        with pytest.raises(NotPermitted) as refused:
            eraser(app, persons(app, tmp_path)).shred(actor, "student-1", {"formative"}, REASON)
        assert refused.value.rule == "P1"
        assert dutch("P1", refused.value.message) == "Dit doet de privacyfunctionaris."
    assert events_in_store(app) == before
    assert not any(k.shredded for k in app.keys.keys_of("student-1"))


def test_a_formative_shred_under_the_hold_keeps_the_exam_record(
    app: Bewijsketen, tmp_path: Path
) -> None:
    journey = passed(app)
    other = Journey(app, journey.program_id, "student-2")
    other.start()
    other.feedback(FeedbackSource.COACH, "coach-1", ["LO1"], text=FEEDBACK)
    before = app.get_trajectory(journey.id)
    registry = persons(app, tmp_path)
    use = eraser(app, registry)
    done = use.shred(OFFICER, "student-1", {"formative"}, REASON)
    assert done.classes == ("formative",) and done.key_ids and not done.registry_forgotten
    assert use.rebuilt == [("student-1", (journey.id,))]  # type: ignore[attr-defined]

    after = app.get_trajectory(journey.id)
    assert texts_of(app, journey) == [PLACEHOLDER] * len(texts_of(app, journey))
    # The exam record stays: judgments, final levels, decision and votes.
    (attempt,) = after.attempts
    assert attempt.judgments["assessor-1"].rationale == (
        before.attempts[0].judgments["assessor-1"].rationale
    )
    assert attempt.concluded_levels == before.attempts[0].concluded_levels
    assert attempt.decision == before.attempts[0].decision and attempt.votes
    assert [e.title for e in after.evidence.values()] == [e.title for e in before.evidence.values()]
    assert after.medium_stakes[0].rationale == before.medium_stakes[0].rationale
    # Another student is untouched; the registry still knows the student.
    assert texts_of(app, other) == [FEEDBACK]
    assert registry.name("student-1") == "Ilse de Vries"
    # The shred is a record of its own: who, why, which class, which keys; never a value.
    record: Any = app.repository.get(done.record_id)
    assert isinstance(record, PrivacyRecord)
    (event,) = app.events.get(done.record_id)
    assert isinstance(event, PrivacyRecord.DataShredded)
    assert event.actor == OFFICER and event.reason == REASON and event.classes == ["formative"]
    assert event.key_ids == list(done.key_ids) and event.trajectory_ids == [journey.id]
    assert FEEDBACK not in json.dumps(export.plain(vars(event)))


def test_erasure_during_the_hold_waits_for_the_retention_job(
    app: Bewijsketen, tmp_path: Path
) -> None:
    journey = passed(app)
    registry = persons(app, tmp_path)
    done = eraser(app, registry).erase(OFFICER, "student-1", "all", REASON)
    ends = retention.add_months(TODAY, 18)
    assert done.waiting_until == ends
    assert done.shred is not None and done.shred.classes == ("formative",)
    schedule = retention.schedule(app)
    (waiting,) = schedule.waiting()
    assert (waiting.student_id, waiting.request_id, waiting.hold_ends) == (
        "student-1",
        done.request_id,
        ends,
    )
    assert schedule.due() == []
    # The day before the hold ends nothing is due; on the day, the job carries the request out.
    assert eraser(app, registry, ends - timedelta(days=1)).retention(OFFICER, True).shreds == []
    job = eraser(app, registry, ends)
    (due,) = job.schedule().due()
    assert (due.retention, due.request_id) == ("exam", done.request_id)
    progress: list[int] = []
    run = job.retention(OFFICER, apply=True, progress=progress.append)
    (shred,) = run.shreds
    assert shred.classes == ("exam", "formative") and shred.registry_forgotten
    assert progress == [1]
    assert registry.all() == {"student-2": "Sem Bakker"}
    assert registry.entry("student-1") is None
    assert b"500123" not in registry.path.read_bytes() and IMAIL.encode() not in (
        registry.path.read_bytes()
    )
    trajectory = app.get_trajectory(journey.id)
    assert trajectory.attempts[0].judgments["assessor-1"].rationale == PLACEHOLDER
    assert all(k.shredded for k in app.keys.keys_of("student-1"))
    assert job.schedule().due() == [] and job.schedule().waiting() == []


def test_due_by_period_and_by_request(app: Bewijsketen, tmp_path: Path) -> None:
    passed(app)
    registry = persons(app, tmp_path)
    six = retention.add_months(TODAY, 6)
    (formative,) = eraser(app, registry, six).schedule().due()
    assert (formative.retention, formative.because, formative.since) == ("formative", "period", six)
    assert eraser(app, registry, six - timedelta(days=1)).schedule().due() == []
    request = eraser(app, registry).request(journey_student(), "student-1", "formative", REASON)
    (asked,) = eraser(app, registry).schedule().due()
    assert (asked.because, asked.request_id, asked.since) == ("request", request, TODAY)
    later = eraser(app, registry, retention.add_months(TODAY, 18)).schedule().due()
    assert [(d.retention, d.because) for d in later] == [
        ("formative", "period"),
        ("exam", "period"),
    ]


def journey_student() -> Actor:
    """The student asks for erasure of their own data (AVG art. 17)."""
    return Actor("student-1", Role.STUDENT)


def test_a_student_requests_only_their_own_erasure(app: Bewijsketen) -> None:
    passed(app)
    before = events_in_store(app)
    request = c.RequestErasure(student_id="student-1", classes="all", reason=REASON)
    for actor in (Actor("student-2", Role.STUDENT), Actor("coach-1", Role.COACH)):
        with pytest.raises(NotPermitted) as refused:
            app.execute(request, actor)
        assert refused.value.rule == "P1"
    assert events_in_store(app) == before
    app.execute(request, journey_student())
    assert events_in_store(app) > before


def test_the_programs_settings_give_the_periods(app: Bewijsketen) -> None:
    definition = {
        "title": "Kort bewaard",
        "outcomes": [{"code": "LO1", "title": "Plans"}],
        "settings": {"exam_retention_months": 24, "formative_retention_months": 0},
    }
    program = setup_program(app, code="KORT", definition=definition)
    journey = Journey(app, program, "student-9")
    journey.start()
    (terms,) = retention.schedule(app).student("student-9").trajectories
    assert (terms.exam_months, terms.formative_months) == (24, 0)
    # No decision yet: counted from the last event; formative is due at once.
    assert terms.hold_ends == retention.add_months(TODAY, 24)
    assert terms.formative_ends == TODAY
    with pytest.raises(ValueError, match="exam_retention_months"):
        c.ProgramSettingsModel(exam_retention_months=17)


def test_the_access_export_holds_every_event_with_every_text(
    app: Bewijsketen, tmp_path: Path
) -> None:
    journey = passed(app)
    registry = persons(app, tmp_path)
    made = make_export(app, registry, journey.student, "student-1")
    with zipfile.ZipFile(BytesIO(made.content)) as archive:
        data = json.loads(archive.read("export.json"))
        page = archive.read("export.html").decode()
    (trajectory,) = data["trajectories"]
    stored = list(app.events.get(journey.id))
    assert [e["version"] for e in trajectory["events"]] == [e.originator_version for e in stored]
    texts = set(export.texts(data))
    for event in stored:
        for value in vars(event).values():
            if isinstance(value, str) and len(value) > 3:
                assert value in texts or value == str(journey.id) or value.startswith("domain.")
    written = [
        FEEDBACK,
        CHECK,
        *(j.rationale for j in app.get_trajectory(journey.id).attempts[0].judgments.values()),
    ]
    for text in written:
        assert text in texts
        assert text.replace("'", "&#39;") in page
    assert data["person"] == {
        "id": "student-1",
        "name": "Ilse de Vries",
        "student_number": "500123",
        "email": IMAIL,
    }
    assert "500123" in page and IMAIL in page
    assert {k["retention"] for k in data["keys"]} == {"formative", "exam"}
    assert "Inzage: alle gegevens over student-1" in page and "Vastgelegd" in page
    # The export is recorded: who made it, how many events, the zip's hash.
    records = retention.read_ledger(app)["student-1"].records
    (record,) = records
    assert isinstance(record, PrivacyRecord.AccessExported)
    assert record.actor == journey.student
    assert (record.events, record.sha256) == (made.events, made.sha256)
    # A later export lists the earlier one among the privacy records.
    again = make_export(app, registry, OFFICER, "student-1")
    with zipfile.ZipFile(BytesIO(again.content)) as archive:
        data = json.loads(archive.read("export.json"))
    assert [r["event"] for r in data["privacy_records"]] == ["AccessExported"]


def test_an_export_is_for_the_student_and_the_privacy_officer_only(
    app: Bewijsketen, tmp_path: Path
) -> None:
    journey = passed(app)
    registry = persons(app, tmp_path)
    before = events_in_store(app)
    for actor in (Actor("student-2", Role.STUDENT), journey.coach, Actor("q-1", Role.QUALITY)):
        with pytest.raises(NotFound) as hidden:
            make_export(app, registry, actor, "student-1")
        with pytest.raises(NotFound) as unknown:
            make_export(app, registry, actor, "student-404")
        assert str(hidden.value).replace("student-1", "X") == str(unknown.value).replace(
            "student-404", "X"
        )
    with pytest.raises(NotFound):
        make_export(app, registry, OFFICER, "student-404")
    assert events_in_store(app) == before
    relations = policy.relations_of(OFFICER, None, policy.DataSubject("student-1"), app.directory)
    assert policy.Relation.PRIVACY_OFFICER in relations


def test_data_written_after_a_shred_is_kept_and_erased_as_any_other(
    app: Bewijsketen, tmp_path: Path
) -> None:
    journey = Journey(app, setup_program(app), "student-1")
    journey.start()
    journey.feedback(FeedbackSource.COACH, "coach-1", ["LO1"], text=FEEDBACK)
    registry = persons(app, tmp_path)
    done = eraser(app, registry).erase(OFFICER, "student-1", "formative", REASON)
    assert done.shred is not None and done.waiting_until is None
    assert eraser(app, registry).schedule().due() == []
    # The trajectory goes on: new feedback is sealed under a new formative key.
    journey.feedback(FeedbackSource.COACH, "coach-1", ["LO1"], text="Nieuwe feedback")
    assert [f.text for f in app.get_trajectory(journey.id).feedback] == [
        PLACEHOLDER,
        "Nieuwe feedback",
    ]
    terms = eraser(app, registry).schedule().student("student-1")
    assert not terms.done("formative") and terms.requested("formative") is None
    assert eraser(app, registry).schedule().due() == []  # the old request was carried out
    later = eraser(app, registry, retention.add_months(TODAY, 6))
    (due,) = later.schedule().due()
    assert (due.retention, due.because, due.request_id) == ("formative", "period", None)
    later.retention(OFFICER, apply=True)
    assert [f.text for f in app.get_trajectory(journey.id).feedback] == [PLACEHOLDER] * 2
