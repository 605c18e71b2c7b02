"""Every rule R1–R16: the command is refused, the error names the rule, no event is written."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest

from domain.application import Bewijsketen
from domain.errors import RuleViolation
from domain.journey import ADMIN, SOFTWARE_DEVELOPER, Journey, content_hash, setup_program
from domain.program import ProgramDefinition
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
from domain.views import trajectory_view


def event_count(app: Bewijsketen) -> int:
    return len(app.recorder.select_notifications(start=1, limit=10**9))


def assert_refused(app: Bewijsketen, rule: str, command: Callable[[], Any]) -> RuleViolation:
    before = event_count(app)
    with pytest.raises(RuleViolation) as refused:
        command()
    assert refused.value.rule == rule, refused.value
    assert rule in str(refused.value)
    assert event_count(app) == before
    return refused.value


@pytest.fixture
def program(app: Bewijsketen) -> uuid.UUID:
    return setup_program(app)


@pytest.fixture
def started(app: Bewijsketen, program: uuid.UUID) -> Journey:
    journey = Journey(app, program, "student-1")
    journey.start()
    return journey


@pytest.fixture
def green(app: Bewijsketen, program: uuid.UUID) -> Journey:
    journey = Journey(app, program, "student-1")
    journey.to_green_light()
    return journey


def judged(journey: Journey, second: dict[str, str] | str, verdict: Verdict = Verdict.PASS) -> int:
    attempt = journey.request_high_stake()
    journey.assign(attempt)
    journey.judge(attempt, "assessor-1", "bekwaam")
    journey.judge(attempt, "assessor-2", second, verdict)
    return attempt


# R1 Who and when


def test_r1_every_event_records_actor_and_time(app: Bewijsketen, green: Journey) -> None:
    for event in app.trajectory_events(green.id):
        actor = getattr(event, "actor")
        assert isinstance(actor, Actor) and actor.person_id and isinstance(actor.role, Role)
        assert getattr(event, "timestamp").tzinfo is not None


def test_r1_green_light_needs_rationale(app: Bewijsketen, program: uuid.UUID) -> None:
    j = Journey(app, program, "student-1")
    j.start()
    j.evidence_for_all()
    j.medium_stake("vakkundig")
    j.medium_stake("bekwaam")
    assert_refused(app, "R1", lambda: app.give_green_light(j.id, "  ", j.coach))


def test_r1_vote_needs_rationale(app: Bewijsketen, green: Journey) -> None:
    attempt = judged(green, "bekwaam")
    green.conclude(attempt)
    assert_refused(
        app,
        "R1",
        lambda: app.cast_vote(
            green.id, attempt, Vote.RATIFY, "", Actor("committee-1", Role.COMMITTEE)
        ),
    )


def test_r1_only_the_student_submits_evidence(app: Bewijsketen, started: Journey) -> None:
    other = Actor("student-9", Role.STUDENT)
    assert_refused(
        app,
        "R1",
        lambda: app.submit_evidence(
            started.id,
            evidence_id="x",
            title="t",
            kind=EvidenceKind.PRODUCT,
            uri="u",
            sha256=content_hash("x"),
            outcomes=["LO1"],
            actor=other,
        ),
    )


def test_r1_progress_check_by_mentor_or_coach_only(app: Bewijsketen, started: Journey) -> None:
    assert_refused(
        app,
        "R1",
        lambda: app.check_progress(
            started.id, TrafficLight.RED, "x", Actor("mentor-9", Role.MENTOR)
        ),
    )


# R2 Nothing is erased


def test_r2_evidence_id_is_never_reused(app: Bewijsketen, started: Journey) -> None:
    evidence_id = started.evidence(["LO1"])
    assert_refused(
        app,
        "R2",
        lambda: app.submit_evidence(
            started.id,
            evidence_id=evidence_id,
            title="again",
            kind=EvidenceKind.PRODUCT,
            uri="u",
            sha256=content_hash("y"),
            outcomes=["LO1"],
            actor=started.student,
        ),
    )


def test_r2_evidence_needs_a_sha256(app: Bewijsketen, started: Journey) -> None:
    assert_refused(
        app,
        "R2",
        lambda: app.submit_evidence(
            started.id,
            evidence_id="e",
            title="t",
            kind=EvidenceKind.PRODUCT,
            uri="u",
            sha256="not-a-hash",
            outcomes=["LO1"],
            actor=started.student,
        ),
    )


def test_r2_withdrawal_is_an_event_and_needs_a_reason(app: Bewijsketen, started: Journey) -> None:
    evidence_id = started.evidence(["LO1"])
    assert_refused(
        app, "R2", lambda: app.withdraw_evidence(started.id, evidence_id, "", started.student)
    )
    app.withdraw_evidence(started.id, evidence_id, "Wrong file", started.student)
    t = app.get_trajectory(started.id)
    assert t.evidence[evidence_id].withdrawn and t.evidence[evidence_id].sha256


def test_r2_correction_names_the_event_and_comes_from_its_author(
    app: Bewijsketen, started: Journey
) -> None:
    started.feedback(FeedbackSource.COACH, "coach-1", ["LO1"])
    version = app.get_trajectory(started.id).version
    assert_refused(
        app,
        "R2",
        lambda: app.record_correction(started.id, version, "typo", {}, started.student),
    )
    assert_refused(
        app,
        "R2",
        lambda: app.record_correction(started.id, version + 5, "typo", {}, started.coach),
    )
    app.record_correction(started.id, version, "Meant LO2", {"outcomes": ["LO2"]}, started.coach)
    corrections = app.get_trajectory(started.id).corrections
    assert corrections[0]["corrects_version"] == version


# R3 Pinned rules


def test_r3_trajectory_keeps_its_program_version(app: Bewijsketen, program: uuid.UUID) -> None:
    j = Journey(app, program, "student-1")
    j.start()
    stricter = dict(SOFTWARE_DEVELOPER) | {"settings": {"min_evidence_per_outcome": 4}}
    app.publish_program_version(program, ProgramDefinition.from_dict(stricter), ADMIN)
    j.evidence_for_all()
    j.medium_stake("vakkundig")
    j.medium_stake("bekwaam")
    j.green_light()
    attempt = j.request_high_stake()  # two per outcome suffice under version 1
    j.assign(attempt)
    j.judge(attempt, "assessor-1", "bekwaam")
    j.judge(attempt, "assessor-2", "bekwaam")
    j.conclude(attempt)
    concluded = [
        e for e in app.trajectory_events(j.id) if type(e).__name__ == "AssessmentConcluded"
    ]
    assert getattr(concluded[0], "program_version") == 1
    later = Journey(app, program, "student-2")
    later.start()
    assert app.get_trajectory(later.id).program_version == 2


def test_r3_start_needs_a_published_version(app: Bewijsketen) -> None:
    program_id = app.register_program("EMPTY", "No versions yet", ADMIN).aggregate_id
    app.register_staff(program_id, "coach-1", StaffRole.COACH, ADMIN)
    app.register_staff(program_id, "mentor-1", StaffRole.MENTOR, ADMIN)
    assert_refused(
        app,
        "R3",
        lambda: app.start_trajectory(program_id, "s", "c", "coach-1", "mentor-1", ADMIN),
    )


# R4 Valid references


def test_r4_unknown_outcome(app: Bewijsketen, started: Journey) -> None:
    assert_refused(
        app,
        "R4",
        lambda: app.give_feedback(
            started.id,
            feedback_id="f",
            source=FeedbackSource.SELF,
            giver_id="student-1",
            outcomes=["LO99"],
            text="x",
            actor=started.student,
        ),
    )


def test_r4_unknown_level(app: Bewijsketen, started: Journey) -> None:
    started.evidence(["LO1"])
    assert_refused(
        app,
        "R4",
        lambda: started.medium_stake({code: "excellent" for code in started.outcomes}),
    )


def test_r4_withdrawn_evidence_cannot_be_referenced(app: Bewijsketen, started: Journey) -> None:
    evidence_id = started.evidence(["LO1"])
    app.withdraw_evidence(started.id, evidence_id, "Wrong file", started.student)
    assert_refused(
        app,
        "R4",
        lambda: app.give_feedback(
            started.id,
            feedback_id="f",
            source=FeedbackSource.COACH,
            giver_id="coach-1",
            outcomes=["LO1"],
            evidence_id=evidence_id,
            text="x",
            actor=started.coach,
        ),
    )


# R5 Feedback


def test_r5_self_reflection_is_given_by_the_student(app: Bewijsketen, started: Journey) -> None:
    assert_refused(
        app,
        "R5",
        lambda: app.give_feedback(
            started.id,
            feedback_id="f",
            source=FeedbackSource.SELF,
            giver_id="coach-1",
            outcomes=["LO1"],
            text="x",
            actor=started.coach,
        ),
    )


def test_r5_peer_feedback_comes_from_a_student(app: Bewijsketen, started: Journey) -> None:
    assert_refused(
        app,
        "R5",
        lambda: app.give_feedback(
            started.id,
            feedback_id="f",
            source=FeedbackSource.PEER,
            giver_id="coach-2",
            outcomes=["LO1"],
            text="x",
            actor=Actor("coach-2", Role.COACH),
        ),
    )


def test_r5_feedback_names_outcomes_or_criteria(app: Bewijsketen, started: Journey) -> None:
    assert_refused(
        app,
        "R5",
        lambda: app.give_feedback(
            started.id,
            feedback_id="f",
            source=FeedbackSource.SELF,
            giver_id="student-1",
            outcomes=[],
            text="x",
            actor=started.student,
        ),
    )


# R6 Medium-stakes in order


def test_r6_medium_stake_by_the_coach_only(app: Bewijsketen, started: Journey) -> None:
    started.evidence(["LO1"])
    assert_refused(
        app,
        "R6",
        lambda: app.hold_medium_stake(
            started.id,
            portfolio=started.evidence_ids,
            feedback="f",
            rationale="r",
            levels={code: "vakkundig" for code in started.outcomes},
            actor=started.mentor,
        ),
    )


def test_r6_at_most_two_in_order(app: Bewijsketen, started: Journey) -> None:
    started.evidence(["LO1"])
    first = started.medium_stake("vakkundig")
    second = started.medium_stake("vakkundig")
    assert (first.value, second.value) == (1, 2)
    moments = [m.moment for m in app.get_trajectory(started.id).medium_stakes]
    assert moments == [50, 70]
    assert_refused(app, "R6", lambda: started.medium_stake("vakkundig"))


def test_r6_interim_portfolio_is_not_empty(app: Bewijsketen, started: Journey) -> None:
    assert_refused(
        app,
        "R6",
        lambda: app.hold_medium_stake(
            started.id,
            portfolio=[],
            levels={code: "vakkundig" for code in started.outcomes},
            feedback="f",
            rationale="r",
            actor=started.coach,
        ),
    )


# R7 Green light


def test_r7_green_light_after_the_second_medium_stake(app: Bewijsketen, started: Journey) -> None:
    started.evidence(["LO1"])
    started.medium_stake("vakkundig")
    assert_refused(app, "R7", lambda: app.give_green_light(started.id, "ok", started.coach))


def test_r7_only_the_trajectorys_coach(app: Bewijsketen, started: Journey) -> None:
    started.evidence(["LO1"])
    started.medium_stake("vakkundig")
    started.medium_stake("bekwaam")
    other = Actor("coach-2", Role.COACH)
    assert_refused(app, "R7", lambda: app.give_green_light(started.id, "ok", other))
    assert_refused(app, "R7", lambda: app.withhold_green_light(started.id, "", "r", started.coach))
    app.withhold_green_light(started.id, "Gather more evidence on LO3", "Thin", started.coach)
    assert app.get_trajectory(started.id).green_light == "withheld"


# R8 Early route


def test_r8_not_before_the_first_medium_stake(app: Bewijsketen, started: Journey) -> None:
    assert_refused(
        app, "R8", lambda: app.request_early_high_stake(started.id, "ready", started.student)
    )


def test_r8_strictly_more_than_half_at_vakkundig(app: Bewijsketen) -> None:
    four = dict(SOFTWARE_DEVELOPER) | {"outcomes": SOFTWARE_DEVELOPER["outcomes"][:4]}
    program_id = setup_program(app, code="FOUR", definition=four)
    j = Journey(app, program_id, "student-1")
    j.start()
    j.evidence_for_all()
    half = {"LO1": "vakkundig", "LO2": "bekwaam", "LO3": "ontwikkelend", "LO4": "beginnend"}
    j.medium_stake(half)
    error = assert_refused(
        app, "R8", lambda: app.request_early_high_stake(j.id, "ready", j.student)
    )
    assert "2 of 4" in error.message
    j.medium_stake(half | {"LO3": "vakkundig"})
    app.request_early_high_stake(j.id, "ready", j.student)
    app.decide_early_high_stake(j.id, True, "Strong portfolio", j.coach)
    assert j.request_high_stake() == 1
    assert app.get_trajectory(j.id).attempts[0].early is True


def test_r8_the_coach_decides(app: Bewijsketen, started: Journey) -> None:
    started.evidence_for_all()
    started.medium_stake("bekwaam")
    app.request_early_high_stake(started.id, "ready", started.student)
    assert_refused(
        app,
        "R8",
        lambda: app.decide_early_high_stake(started.id, True, "ok", Actor("coach-2", Role.COACH)),
    )


# R9 High-stake request


def test_r9_needs_a_green_light(app: Bewijsketen, started: Journey) -> None:
    started.evidence_for_all()
    started.medium_stake("vakkundig")
    started.medium_stake("bekwaam")
    assert_refused(app, "R9", lambda: started.request_high_stake())


def test_r9_portfolio_covers_every_outcome_twice(app: Bewijsketen, green: Journey) -> None:
    t = app.get_trajectory(green.id)
    lo5 = [e for e in green.evidence_ids if t.evidence[e].outcomes == ["LO5"]]
    error = assert_refused(
        app,
        "R9",
        lambda: app.request_high_stake(
            green.id,
            portfolio=[e for e in green.evidence_ids if e != lo5[0]],
            reading_guide_uri="u",
            reading_guide_sha256=content_hash("g"),
            actor=green.student,
        ),
    )
    assert "LO5" in error.message


def test_r9_ai_use_must_be_explained(app: Bewijsketen, green: Journey) -> None:
    green.evidence(["LO1"], ai_use=True)
    assert_refused(app, "R9", lambda: green.request_high_stake(ai_explanation=""))
    assert green.request_high_stake(ai_explanation="Drafted with an AI assistant") == 1


# R10 Assessors


def test_r10_two_distinct_registered_assessors(app: Bewijsketen, green: Journey) -> None:
    attempt = green.request_high_stake()
    assert_refused(app, "R10", lambda: green.assign(attempt, ("assessor-1",)))
    assert_refused(app, "R10", lambda: green.assign(attempt, ("assessor-1", "assessor-1")))
    assert_refused(app, "R10", lambda: green.assign(attempt, ("assessor-1", "outsider")))
    assert_refused(app, "R10", lambda: green.assign(attempt, ("assessor-1", "student-1")))


def test_r10_the_coach_may_assess_with_an_independent_one(app: Bewijsketen, green: Journey) -> None:
    app.register_staff(green.program_id, "coach-1", StaffRole.ASSESSOR, ADMIN)
    attempt = green.request_high_stake()
    green.assign(attempt, ("coach-1", "assessor-2"))
    assert app.get_trajectory(green.id).attempts[0].assessors == ["coach-1", "assessor-2"]


# R11 Independent judgment


def test_r11_only_assigned_assessors_and_once(app: Bewijsketen, green: Journey) -> None:
    attempt = green.request_high_stake()
    green.assign(attempt)
    assert_refused(app, "R11", lambda: green.judge(attempt, "assessor-3", "bekwaam"))
    green.judge(attempt, "assessor-1", "bekwaam")
    assert_refused(app, "R11", lambda: green.judge(attempt, "assessor-1", "bekwaam"))


def test_r11_every_outcome_has_a_rationale(app: Bewijsketen, green: Journey) -> None:
    attempt = green.request_high_stake()
    green.assign(attempt)
    assert_refused(
        app,
        "R11",
        lambda: app.submit_judgment(
            green.id,
            attempt,
            levels={c: "bekwaam" for c in green.outcomes},
            level_rationales={"LO1": "fine"},
            verdict=Verdict.PASS,
            rationale="ok",
            actor=Actor("assessor-1", Role.ASSESSOR),
        ),
    )


def test_r11_scores_are_sealed_until_all_have_judged(app: Bewijsketen, green: Journey) -> None:
    attempt = green.request_high_stake()
    green.assign(attempt)
    green.judge(attempt, "assessor-1", "professional")
    t = app.get_trajectory(green.id)
    for viewer in (None, Actor("assessor-2", Role.ASSESSOR), Actor("committee-1", Role.COMMITTEE)):
        (judgment,) = trajectory_view(t, viewer)["attempts"][0]["judgments"]
        assert judgment["sealed"] is True and "levels" not in judgment
        assert "professional" not in str(trajectory_view(t, viewer))
    own = trajectory_view(t, Actor("assessor-1", Role.ASSESSOR))["attempts"][0]["judgments"][0]
    assert own["levels"]["LO1"] == "professional"
    green.judge(attempt, "assessor-2", "bekwaam")
    opened = trajectory_view(app.get_trajectory(green.id))["attempts"][0]["judgments"]
    assert {j["levels"]["LO1"] for j in opened} == {"professional", "bekwaam"}


# R12 Doubt


def test_r12_doubt_requires_a_criterion_interview(app: Bewijsketen, green: Journey) -> None:
    attempt = judged(green, "bekwaam", Verdict.DOUBT)
    assert_refused(app, "R12", lambda: green.conclude(attempt))
    assert_refused(app, "R12", lambda: green.agree(attempt, "bekwaam"))
    green.interview(attempt)
    assert_refused(app, "R12", lambda: green.conclude(attempt))  # final levels still missing
    green.agree(attempt, "bekwaam")
    assert green.conclude(attempt) is True


def test_r12_pass_disagreement_requires_a_criterion_interview(
    app: Bewijsketen, green: Journey
) -> None:
    attempt = judged(green, {c: "bekwaam" for c in green.outcomes} | {"LO2": "vakkundig"})
    error = assert_refused(app, "R12", lambda: green.conclude(attempt))
    assert "LO2" in error.message


# R13 No compensation


def test_r13_one_outcome_below_pass_fails_however_high_the_rest(
    app: Bewijsketen, green: Journey
) -> None:
    levels = {c: "professional" for c in green.outcomes} | {"LO4": "vakkundig"}
    attempt = green.request_high_stake()
    green.assign(attempt)
    green.judge(attempt, "assessor-1", levels, Verdict.FAIL)
    green.judge(attempt, "assessor-2", levels, Verdict.FAIL)
    assert_refused(app, "R13", lambda: green.conclude(attempt, "assessor-3"))
    assert green.conclude(attempt) is False
    concluded = [
        e for e in app.trajectory_events(green.id) if type(e).__name__ == "AssessmentConcluded"
    ]
    assert getattr(concluded[0], "levels") == levels
    assert getattr(concluded[0], "below_pass_level") == ["LO4"]
    assert_refused(app, "R13", lambda: green.conclude(attempt))


# R14 Committee


def test_r14_votes(app: Bewijsketen, green: Journey) -> None:
    app.register_staff(green.program_id, "assessor-1", StaffRole.COMMITTEE, ADMIN)
    attempt = judged(green, "bekwaam")

    def vote(person: str, role: Role = Role.COMMITTEE) -> Any:
        return app.cast_vote(green.id, attempt, Vote.RATIFY, "ok", Actor(person, role))

    assert_refused(app, "R14", lambda: vote("committee-1"))  # not concluded yet
    green.conclude(attempt)
    assert_refused(app, "R14", lambda: vote("outsider"))
    assert_refused(app, "R14", lambda: vote("assessor-1"))  # assessed this attempt
    assert vote("committee-1").value is None
    assert_refused(app, "R14", lambda: vote("committee-1"))
    assert vote("committee-2").value == "ratified"


def test_r14_tie_waits_and_referral_reopens(app: Bewijsketen, green: Journey) -> None:
    attempt = judged(green, "bekwaam")
    green.conclude(attempt)
    members = [Actor(f"committee-{i}", Role.COMMITTEE) for i in (1, 2, 3)]
    assert app.cast_vote(green.id, attempt, Vote.RATIFY, "ok", members[0]).value is None
    assert app.cast_vote(green.id, attempt, Vote.REFER_BACK, "why?", members[1]).value is None
    assert (
        app.cast_vote(green.id, attempt, Vote.REFER_BACK, "why?", members[2]).value
        == "referred_back"
    )
    t = app.get_trajectory(green.id)
    assert t.attempts[0].round == 2 and t.attempts[0].passed is None
    green.agree(attempt, "bekwaam")
    assert green.conclude(attempt) is True
    assert green.votes(attempt) == "ratified"


# R15 Resit


def test_r15_development_plan_before_a_resit(app: Bewijsketen, green: Journey) -> None:
    failing = {c: "bekwaam" for c in green.outcomes} | {"LO1": "ontwikkelend"}
    attempt = green.request_high_stake()
    assert_refused(app, "R15", lambda: green.development_plan(attempt))  # not failed
    green.assign(attempt)
    green.judge(attempt, "assessor-1", failing, Verdict.FAIL)
    green.judge(attempt, "assessor-2", failing, Verdict.FAIL)
    green.conclude(attempt)
    green.votes(attempt)
    assert_refused(app, "R15", lambda: green.request_high_stake())
    green.development_plan(attempt)
    assert green.request_high_stake() == 2


# R16 Closed is closed


def test_r16_closed_after_a_ratified_pass(app: Bewijsketen, program: uuid.UUID) -> None:
    j = Journey(app, program, "student-1")
    j.to_ratified_pass()
    assert_refused(app, "R16", lambda: j.evidence(["LO1"]))
    assert_refused(app, "R16", lambda: j.feedback(FeedbackSource.SELF, "student-1", ["LO1"]))
    assert_refused(app, "R16", lambda: app.record_correction(j.id, 2, "typo", {}, j.student))
    version = app.get_trajectory(j.id).version
    app.record_correction(
        j.id,
        version,
        "Appeal upheld: decision stands with amended rationale",
        {"appeal": "upheld"},
        Actor("committee-3", Role.COMMITTEE),
    )
    assert app.get_trajectory(j.id).corrections[-1]["details"] == {"appeal": "upheld"}


# Who may manage programs, start trajectories, reassign and assign (R1, R3, R10)


def test_program_management_is_for_admins(app: Bewijsketen, program: uuid.UUID) -> None:
    coach = Actor("coach-1", Role.COACH)
    assert_refused(app, "R3", lambda: app.register_program("X", "X", coach))
    assert_refused(
        app,
        "R3",
        lambda: app.publish_program_version(
            program, ProgramDefinition.from_dict(SOFTWARE_DEVELOPER), coach
        ),
    )
    assert_refused(app, "R3", lambda: app.register_staff(program, "p", StaffRole.ASSESSOR, coach))


def test_start_and_reassign_permissions(app: Bewijsketen, program: uuid.UUID) -> None:
    student = Actor("student-1", Role.STUDENT)
    assert_refused(
        app,
        "R1",
        lambda: app.start_trajectory(program, "student-1", "c", "coach-1", "mentor-1", student),
    )
    assert_refused(
        app,
        "R7",
        lambda: app.start_trajectory(program, "student-1", "c", "nobody", "mentor-1", ADMIN),
    )
    j = Journey(app, program, "student-1")
    j.start()
    assert_refused(app, "R1", lambda: app.reassign_coach(j.id, "coach-2", "leave", j.coach))
    assert_refused(app, "R7", lambda: app.reassign_coach(j.id, "outsider", "leave", ADMIN))
    app.reassign_coach(j.id, "coach-2", "Coach on leave", ADMIN)
    assert app.get_trajectory(j.id).coach_id == "coach-2"


def test_assessors_are_assigned_by_committee_or_admin(app: Bewijsketen, green: Journey) -> None:
    attempt = green.request_high_stake()
    assert_refused(
        app,
        "R10",
        lambda: app.assign_assessors(green.id, attempt, ["assessor-1", "assessor-2"], green.coach),
    )
