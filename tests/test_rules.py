"""Every rule R1–R16: the command is refused, the error names the rule, no event is written."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest

from domain import commands as c
from domain.application import Bewijsketen
from domain.errors import NotFound, RuleViolation
from domain.journey import ADMIN, SOFTWARE_DEVELOPER, Journey, content_hash, setup_program
from domain.trajectory import Trajectory
from domain.values import (
    Actor,
    Decision,
    EvidenceKind,
    FeedbackSource,
    GreenLight,
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


def assert_unseen(app: Bewijsketen, command: Callable[[], Any]) -> NotFound:
    """Refused as if the trajectory did not exist (the caller may not read it)."""
    before = event_count(app)
    with pytest.raises(NotFound) as refused:
        command()
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


def evidence(journey: Journey, evidence_id: str = "x", **changes: Any) -> c.SubmitEvidence:
    fields: dict[str, Any] = {
        "evidence_id": evidence_id,
        "title": "t",
        "kind": EvidenceKind.PRODUCT,
        "uri": "u",
        "sha256": content_hash(evidence_id),
        "outcomes": ["LO1"],
    }
    return journey.on(c.SubmitEvidence, **(fields | changes))


def feedback(journey: Journey, **changes: Any) -> c.GiveFeedback:
    fields: dict[str, Any] = {
        "feedback_id": "f",
        "source": FeedbackSource.SELF,
        "giver_id": journey.student.person_id,
        "outcomes": ["LO1"],
        "text": "x",
    }
    return journey.on(c.GiveFeedback, **(fields | changes))


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
    assert_refused(
        app,
        "R1",
        lambda: app.execute(j.on(c.DecideGreenLight, decision="give", rationale="  "), j.coach),
    )


def test_r1_vote_needs_rationale(app: Bewijsketen, green: Journey) -> None:
    attempt = judged(green, "bekwaam")
    green.conclude(attempt)
    assert_refused(
        app,
        "R1",
        lambda: app.execute(
            green.on(c.CastVote, attempt=attempt, vote=Vote.RATIFY, rationale=""),
            Actor("committee-1", Role.COMMITTEE),
        ),
    )


def test_r1_only_the_student_submits_evidence(app: Bewijsketen, started: Journey) -> None:
    # The coach may read the trajectory, so the refusal names the rule; another student may
    # not, so to them the trajectory does not exist.
    assert_refused(app, "R1", lambda: app.execute(evidence(started), started.coach))
    assert_unseen(app, lambda: app.execute(evidence(started), Actor("student-9", Role.STUDENT)))


def test_r1_progress_check_by_mentor_or_coach_only(app: Bewijsketen, started: Journey) -> None:
    check = started.on(c.CheckProgress, light=TrafficLight.RED, notes="x")
    assert_refused(app, "R1", lambda: app.execute(check, started.student))
    assert_unseen(app, lambda: app.execute(check, Actor("mentor-9", Role.MENTOR)))
    assert_refused(
        app,
        "R1",
        lambda: app.execute(started.on(c.CheckProgress, light=TrafficLight.RED), started.mentor),
    )


# R2 Nothing is erased


def test_r2_evidence_id_is_never_reused(app: Bewijsketen, started: Journey) -> None:
    evidence_id = started.evidence(["LO1"])
    assert_refused(app, "R2", lambda: app.execute(evidence(started, evidence_id), started.student))


def test_r2_evidence_needs_a_sha256(app: Bewijsketen, started: Journey) -> None:
    # The schema refuses a malformed hash at the edge; the rule holds for any way in.
    sent = evidence(started).model_copy(update={"sha256": "not-a-hash"})
    assert_refused(app, "R2", lambda: app.execute(sent, started.student))


def test_r2_withdrawal_is_an_event_and_needs_a_reason(app: Bewijsketen, started: Journey) -> None:
    evidence_id = started.evidence(["LO1"])
    withdraw = started.on(c.WithdrawEvidence, evidence_id=evidence_id, reason="")
    assert_refused(app, "R2", lambda: app.execute(withdraw, started.student))
    started.withdraw(evidence_id, "Wrong file")
    t = app.get_trajectory(started.id)
    assert t.evidence[evidence_id].withdrawn and t.evidence[evidence_id].sha256


def test_r2_correction_names_the_event_and_comes_from_its_author(
    app: Bewijsketen, started: Journey
) -> None:
    started.feedback(FeedbackSource.COACH, "coach-1", ["LO1"])
    version = app.get_trajectory(started.id).version

    def correct(corrects: int, actor: Actor, details: dict[str, Any] | None = None) -> Any:
        sent = started.on(
            c.RecordCorrection, corrects_version=corrects, reason="typo", details=details or {}
        )
        return app.execute(sent, actor)

    assert_refused(app, "R2", lambda: correct(version, started.student))
    assert_refused(app, "R2", lambda: correct(version + 5, started.coach))
    correct(version, started.coach, {"outcomes": ["LO2"]})
    corrections = app.get_trajectory(started.id).corrections
    assert corrections[0]["corrects_version"] == version


# R3 Pinned rules


def test_r3_trajectory_keeps_its_program_version(app: Bewijsketen, program: uuid.UUID) -> None:
    j = Journey(app, program, "student-1")
    j.start()
    stricter = dict(SOFTWARE_DEVELOPER) | {"settings": {"min_evidence_per_outcome": 4}}
    app.execute(c.PublishProgramVersion(program_id=program, **stricter), ADMIN)
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
        e for e in app.trajectory_events(j.id) if isinstance(e, Trajectory.AssessmentConcluded)
    ]
    assert concluded[0].program_version == 1
    later = Journey(app, program, "student-2")
    later.start()
    assert app.get_trajectory(later.id).program_version == 2


def test_r3_start_needs_a_published_version(app: Bewijsketen) -> None:
    program_id = app.execute(
        c.RegisterProgram(code="EMPTY", title="No versions yet"), ADMIN
    ).aggregate_id
    for person, role in (("coach-1", StaffRole.COACH), ("mentor-1", StaffRole.MENTOR)):
        app.execute(c.RegisterStaff(program_id=program_id, person_id=person, role=role), ADMIN)
    start = c.StartTrajectory(
        program_id=program_id, student_id="s", cohort="c", coach_id="coach-1", mentor_id="mentor-1"
    )
    assert_refused(app, "R3", lambda: app.execute(start, ADMIN))


# R4 Valid references


def test_r4_unknown_outcome(app: Bewijsketen, started: Journey) -> None:
    sent = feedback(started, outcomes=["LO99"])
    assert_refused(app, "R4", lambda: app.execute(sent, started.student))


def test_r4_unknown_level(app: Bewijsketen, started: Journey) -> None:
    started.evidence(["LO1"])
    assert_refused(
        app,
        "R4",
        lambda: started.medium_stake({code: "excellent" for code in started.outcomes}),
    )


def test_r4_withdrawn_evidence_cannot_be_referenced(app: Bewijsketen, started: Journey) -> None:
    evidence_id = started.evidence(["LO1"])
    started.withdraw(evidence_id)
    sent = feedback(
        started, source=FeedbackSource.COACH, giver_id="coach-1", evidence_id=evidence_id
    )
    assert_refused(app, "R4", lambda: app.execute(sent, started.coach))


def test_r4_unknown_program_in_a_start(app: Bewijsketen) -> None:
    start = c.StartTrajectory(
        program_id=uuid.uuid4(), student_id="s", cohort="c", coach_id="coach-1", mentor_id="m"
    )
    assert_refused(app, "R4", lambda: app.execute(start, ADMIN))


# R5 Feedback


def test_r5_self_reflection_is_given_by_the_student(app: Bewijsketen, started: Journey) -> None:
    sent = feedback(started, giver_id="coach-1")
    # Self-reflection is the student's: the coach may not record it at all.
    assert_refused(app, "R5", lambda: app.execute(sent, started.coach))
    assert_refused(app, "R5", lambda: app.execute(sent, started.student))


def test_r5_peer_feedback_comes_from_a_fellow_student(
    app: Bewijsketen, program: uuid.UUID, started: Journey
) -> None:
    sent = feedback(started, source=FeedbackSource.PEER, giver_id="coach-2")
    # coach-2 coaches no one here: a stranger to the trajectory.
    assert_unseen(app, lambda: app.execute(sent, Actor("coach-2", Role.COACH)))
    # A student of another program, or of none, is a stranger too.
    peer = feedback(started, source=FeedbackSource.PEER, giver_id="student-2")
    assert_unseen(app, lambda: app.execute(peer, Actor("student-2", Role.STUDENT)))
    # Once student-2 studies in the program, they are a fellow student.
    Journey(app, program, "student-2").start()
    app.execute(peer, Actor("student-2", Role.STUDENT))
    # In person only: a fellow student does not record feedback for another. The refusal,
    # like every refusal of someone who may not read the trajectory, tells them nothing.
    other = feedback(started, feedback_id="f2", source=FeedbackSource.PEER, giver_id="student-3")
    assert_unseen(app, lambda: app.execute(other, Actor("student-2", Role.STUDENT)))


def test_r5_practice_feedback_on_behalf_or_answering_a_request(
    app: Bewijsketen, started: Journey
) -> None:
    practice = feedback(started, source=FeedbackSource.PRACTICE, giver_id="supervisor-1")
    # The student, coach or mentor record it on the giver's behalf.
    app.execute(practice, started.mentor)
    supervisor = Actor("supervisor-1", Role.EXTERNAL)
    unasked = feedback(
        started, feedback_id="f2", source=FeedbackSource.PRACTICE, giver_id="supervisor-1"
    )
    # Unasked, the supervisor is a stranger to the trajectory.
    assert_unseen(app, lambda: app.execute(unasked, supervisor))
    request = started.on(
        c.RequestFeedback,
        request_id="rq-1",
        requested_from="supervisor-1",
        source=FeedbackSource.PRACTICE,
        outcomes=["LO1"],
    )
    app.execute(request, started.student)
    # Asked, they answer the request in person, and only it; a refusal tells them nothing.
    assert_unseen(app, lambda: app.execute(unasked, supervisor))
    answer = unasked.model_copy(update={"request_id": "rq-1"})
    app.execute(answer, supervisor)
    # Answered: the request no longer opens the trajectory to them.
    again = answer.model_copy(update={"feedback_id": "f3"})
    assert_unseen(app, lambda: app.execute(again, supervisor))


def test_r5_feedback_names_outcomes_or_criteria(app: Bewijsketen, started: Journey) -> None:
    sent = feedback(started, outcomes=[])
    assert_refused(app, "R5", lambda: app.execute(sent, started.student))


# R6 Medium-stakes in order


def medium_stake(journey: Journey, portfolio: list[str]) -> c.HoldMediumStake:
    return journey.on(
        c.HoldMediumStake,
        portfolio=portfolio,
        feedback="f",
        rationale="r",
        levels={code: "vakkundig" for code in journey.outcomes},
    )


def test_r6_medium_stake_by_the_coach_only(app: Bewijsketen, started: Journey) -> None:
    started.evidence(["LO1"])
    sent = medium_stake(started, started.evidence_ids)
    assert_refused(app, "R6", lambda: app.execute(sent, started.mentor))


def test_r6_at_most_two_in_order(app: Bewijsketen, started: Journey) -> None:
    started.evidence(["LO1"])
    first = started.medium_stake("vakkundig")
    second = started.medium_stake("vakkundig")
    assert (first.value, second.value) == (1, 2)
    moments = [m.moment for m in app.get_trajectory(started.id).medium_stakes]
    assert moments == [50, 70]
    assert_refused(app, "R6", lambda: started.medium_stake("vakkundig"))


def test_r6_interim_portfolio_is_not_empty(app: Bewijsketen, started: Journey) -> None:
    sent = medium_stake(started, [])
    assert_refused(app, "R6", lambda: app.execute(sent, started.coach))


# R7 Green light


def green_light(journey: Journey, decision: str = "give", advice: str = "") -> c.DecideGreenLight:
    return journey.on(c.DecideGreenLight, decision=decision, rationale="ok", advice=advice)


def test_r7_green_light_after_the_second_medium_stake(app: Bewijsketen, started: Journey) -> None:
    started.evidence(["LO1"])
    started.medium_stake("vakkundig")
    assert_refused(app, "R7", lambda: app.execute(green_light(started), started.coach))


def test_r7_only_the_trajectorys_coach(app: Bewijsketen, started: Journey) -> None:
    started.evidence(["LO1"])
    started.medium_stake("vakkundig")
    started.medium_stake("bekwaam")
    assert_refused(app, "R7", lambda: app.execute(green_light(started), started.mentor))
    assert_unseen(app, lambda: app.execute(green_light(started), Actor("coach-2", Role.COACH)))
    withheld = green_light(started, "withhold")
    assert_refused(app, "R7", lambda: app.execute(withheld, started.coach))
    app.execute(green_light(started, "withhold", "Gather more evidence on LO3"), started.coach)
    assert app.get_trajectory(started.id).green_light is GreenLight.WITHHELD


# R8 Early route


def early(journey: Journey) -> c.RequestEarlyHighStake:
    return journey.on(c.RequestEarlyHighStake, motivation="ready")


def test_r8_not_before_the_first_medium_stake(app: Bewijsketen, started: Journey) -> None:
    assert_refused(app, "R8", lambda: app.execute(early(started), started.student))


def test_r8_strictly_more_than_half_at_vakkundig(app: Bewijsketen) -> None:
    four = dict(SOFTWARE_DEVELOPER) | {"outcomes": SOFTWARE_DEVELOPER["outcomes"][:4]}
    program_id = setup_program(app, code="FOUR", definition=four)
    j = Journey(app, program_id, "student-1")
    j.start()
    j.evidence_for_all()
    half = {"LO1": "vakkundig", "LO2": "bekwaam", "LO3": "ontwikkelend", "LO4": "beginnend"}
    j.medium_stake(half)
    error = assert_refused(app, "R8", lambda: app.execute(early(j), j.student))
    assert "2 of 4" in error.message
    j.medium_stake(half | {"LO3": "vakkundig"})
    app.execute(early(j), j.student)
    app.execute(j.on(c.DecideEarlyHighStake, grant=True, rationale="Strong portfolio"), j.coach)
    assert j.request_high_stake() == 1
    assert app.get_trajectory(j.id).attempts[0].early is True


def test_r8_the_coach_decides(app: Bewijsketen, started: Journey) -> None:
    started.evidence_for_all()
    started.medium_stake("bekwaam")
    app.execute(early(started), started.student)
    decide = started.on(c.DecideEarlyHighStake, grant=True, rationale="ok")
    assert_refused(app, "R8", lambda: app.execute(decide, started.student))
    assert_unseen(app, lambda: app.execute(decide, Actor("coach-2", Role.COACH)))


# R9 High-stake request


def test_r9_needs_a_green_light(app: Bewijsketen, started: Journey) -> None:
    started.evidence_for_all()
    started.medium_stake("vakkundig")
    started.medium_stake("bekwaam")
    assert_refused(app, "R9", lambda: started.request_high_stake())


def test_r9_portfolio_covers_every_outcome_twice(app: Bewijsketen, green: Journey) -> None:
    t = app.get_trajectory(green.id)
    lo5 = [e for e in green.evidence_ids if t.evidence[e].outcomes == ["LO5"]]
    sent = green.on(
        c.RequestHighStake,
        portfolio=[e for e in green.evidence_ids if e != lo5[0]],
        reading_guide_uri="u",
        reading_guide_sha256=content_hash("g"),
    )
    error = assert_refused(app, "R9", lambda: app.execute(sent, green.student))
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
    app.execute(
        c.RegisterStaff(program_id=green.program_id, person_id="coach-1", role=StaffRole.ASSESSOR),
        ADMIN,
    )
    attempt = green.request_high_stake()
    green.assign(attempt, ("coach-1", "assessor-2"))
    assert app.get_trajectory(green.id).attempts[0].assessors == ["coach-1", "assessor-2"]


# R11 Independent judgment


def test_r11_only_assigned_assessors_and_once(app: Bewijsketen, green: Journey) -> None:
    attempt = green.request_high_stake()
    green.assign(attempt)
    # assessor-3 is registered but assesses no attempt here: a stranger to the trajectory.
    assert_unseen(app, lambda: green.judge(attempt, "assessor-3", "bekwaam"))
    green.judge(attempt, "assessor-1", "bekwaam")
    assert_refused(app, "R11", lambda: green.judge(attempt, "assessor-1", "bekwaam"))


def test_r11_an_assessor_of_one_attempt_judges_only_that_one(
    app: Bewijsketen, green: Journey
) -> None:
    failing = {code: "bekwaam" for code in green.outcomes} | {"LO1": "ontwikkelend"}
    first = green.request_high_stake()
    green.assign(first, ("assessor-1", "assessor-3"))
    green.judge(first, "assessor-1", failing, Verdict.FAIL)
    green.judge(first, "assessor-3", failing, Verdict.FAIL)
    green.conclude(first)
    green.votes(first)
    green.development_plan(first)
    second = green.request_high_stake()
    green.assign(second, ("assessor-1", "assessor-2"))
    assert_refused(app, "R11", lambda: green.judge(second, "assessor-3", "bekwaam"))


def test_r11_every_outcome_has_a_rationale(app: Bewijsketen, green: Journey) -> None:
    attempt = green.request_high_stake()
    green.assign(attempt)
    sent = green.on(
        c.SubmitJudgment,
        attempt=attempt,
        levels={code: "bekwaam" for code in green.outcomes},
        level_rationales={"LO1": "fine"},
        verdict=Verdict.PASS,
        rationale="ok",
    )
    assert_refused(app, "R11", lambda: app.execute(sent, Actor("assessor-1", Role.ASSESSOR)))


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
    attempt = judged(green, {code: "bekwaam" for code in green.outcomes} | {"LO2": "vakkundig"})
    error = assert_refused(app, "R12", lambda: green.conclude(attempt))
    assert "LO2" in error.message


# R13 No compensation


def test_r13_one_outcome_below_pass_fails_however_high_the_rest(
    app: Bewijsketen, green: Journey
) -> None:
    levels = {code: "professional" for code in green.outcomes} | {"LO4": "vakkundig"}
    first = green.request_high_stake()
    green.assign(first)
    green.judge(first, "assessor-1", levels, Verdict.FAIL)
    green.judge(first, "assessor-2", levels, Verdict.FAIL)
    # assessor-3 assesses nothing here: a stranger to the trajectory.
    assert_unseen(app, lambda: green.conclude(first, "assessor-3"))
    assert green.conclude(first) is False
    concluded = [
        e for e in app.trajectory_events(green.id) if isinstance(e, Trajectory.AssessmentConcluded)
    ]
    assert concluded[0].levels == levels
    assert concluded[0].below_pass_level == ["LO4"]
    assert_refused(app, "R13", lambda: green.conclude(first))


def test_r13_only_an_assessor_of_the_attempt_concludes(app: Bewijsketen, green: Journey) -> None:
    levels = {code: "bekwaam" for code in green.outcomes} | {"LO4": "vakkundig"}
    first = green.request_high_stake()
    green.assign(first, ("assessor-1", "assessor-3"))
    green.judge(first, "assessor-1", levels, Verdict.FAIL)
    green.judge(first, "assessor-3", levels, Verdict.FAIL)
    green.conclude(first, "assessor-1")
    green.votes(first)
    green.development_plan(first)
    second = green.request_high_stake()
    green.assign(second, ("assessor-1", "assessor-2"))
    green.judge(second, "assessor-1", "bekwaam")
    green.judge(second, "assessor-2", "bekwaam")
    assert_refused(app, "R13", lambda: green.conclude(second, "assessor-3"))


# R14 Committee


def vote(journey: Journey, attempt: int, person: str, choice: Vote = Vote.RATIFY) -> Any:
    sent = journey.on(c.CastVote, attempt=attempt, vote=choice, rationale="ok")
    return journey.app.execute(sent, Actor(person, Role.COMMITTEE))


def test_r14_votes(app: Bewijsketen, green: Journey) -> None:
    app.execute(
        c.RegisterStaff(
            program_id=green.program_id, person_id="assessor-1", role=StaffRole.COMMITTEE
        ),
        ADMIN,
    )
    attempt = judged(green, "bekwaam")
    assert_refused(app, "R14", lambda: vote(green, attempt, "committee-1"))  # not concluded yet
    green.conclude(attempt)
    # Not on the program's committee: the trajectory does not exist for them.
    assert_unseen(app, lambda: vote(green, attempt, "outsider"))
    assert_refused(app, "R14", lambda: vote(green, attempt, "assessor-1"))  # assessed it
    assert vote(green, attempt, "committee-1").value is None
    assert_refused(app, "R14", lambda: vote(green, attempt, "committee-1"))
    assert vote(green, attempt, "committee-2").value is Decision.RATIFIED


def test_r14_tie_waits_and_referral_reopens(app: Bewijsketen, green: Journey) -> None:
    attempt = judged(green, "bekwaam")
    green.conclude(attempt)
    assert vote(green, attempt, "committee-1").value is None
    assert vote(green, attempt, "committee-2", Vote.REFER_BACK).value is None
    referred = vote(green, attempt, "committee-3", Vote.REFER_BACK).value
    assert referred is Decision.REFERRED_BACK
    t = app.get_trajectory(green.id)
    assert t.attempts[0].round == 2 and t.attempts[0].passed is None
    green.agree(attempt, "bekwaam")
    assert green.conclude(attempt) is True
    assert green.votes(attempt) is Decision.RATIFIED


# R15 Resit


def test_r15_development_plan_before_a_resit(app: Bewijsketen, green: Journey) -> None:
    failing = {code: "bekwaam" for code in green.outcomes} | {"LO1": "ontwikkelend"}
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


def test_r15_the_plan_is_the_students_or_the_coachs(app: Bewijsketen, green: Journey) -> None:
    plan = green.on(c.RecordDevelopmentPlan, attempt=1, plan="More evidence")
    assert_refused(app, "R15", lambda: app.execute(plan, green.mentor))


# R16 Closed is closed


def test_r16_closed_after_a_ratified_pass(app: Bewijsketen, program: uuid.UUID) -> None:
    j = Journey(app, program, "student-1")
    j.to_ratified_pass()
    assert_refused(app, "R16", lambda: j.evidence(["LO1"]))
    assert_refused(app, "R16", lambda: j.feedback(FeedbackSource.SELF, "student-1", ["LO1"]))
    correction = j.on(c.RecordCorrection, corrects_version=2, reason="typo")
    assert_refused(app, "R16", lambda: app.execute(correction, j.student))
    version = app.get_trajectory(j.id).version
    appeal = j.on(
        c.RecordCorrection,
        corrects_version=version,
        reason="Appeal upheld: decision stands with amended rationale",
        details={"appeal": "upheld"},
    )
    app.execute(appeal, Actor("committee-3", Role.COMMITTEE))
    assert app.get_trajectory(j.id).corrections[-1]["details"] == {"appeal": "upheld"}


def test_r16_a_closed_trajectory_reveals_nothing_to_strangers(
    app: Bewijsketen, program: uuid.UUID
) -> None:
    j = Journey(app, program, "student-1")
    j.to_ratified_pass()
    Journey(app, program, "student-2").start()
    peer = feedback(j, source=FeedbackSource.PEER, giver_id="student-2")
    # A classmate learns nothing from the refusal: it reads exactly like no trajectory at all.
    refused = assert_unseen(app, lambda: app.execute(peer, Actor("student-2", Role.STUDENT)))
    missing = assert_unseen(
        app,
        lambda: app.execute(
            peer.model_copy(update={"trajectory_id": uuid.uuid4()}),
            Actor("student-2", Role.STUDENT),
        ),
    )
    assert str(refused).replace(str(j.id), "ID") == str(missing).split(" ")[0] + " ID not found"


# Who may manage programs, start trajectories, reassign and assign (R1, R3, R10)


def test_program_management_is_for_admins(app: Bewijsketen, program: uuid.UUID) -> None:
    coach = Actor("coach-1", Role.COACH)
    assert_refused(app, "R3", lambda: app.execute(c.RegisterProgram(code="X", title="X"), coach))
    publish = c.PublishProgramVersion(program_id=program, **SOFTWARE_DEVELOPER)
    assert_refused(app, "R3", lambda: app.execute(publish, coach))
    staff = c.RegisterStaff(program_id=program, person_id="p", role=StaffRole.ASSESSOR)
    assert_refused(app, "R3", lambda: app.execute(staff, coach))


def test_start_and_reassign_permissions(app: Bewijsketen, program: uuid.UUID) -> None:
    def start(coach: str = "coach-1", student: str = "student-1") -> c.StartTrajectory:
        return c.StartTrajectory(
            program_id=program, student_id=student, cohort="c", coach_id=coach, mentor_id="mentor-1"
        )

    assert_refused(app, "R1", lambda: app.execute(start(), Actor("student-1", Role.STUDENT)))
    assert_refused(app, "R7", lambda: app.execute(start("nobody"), ADMIN))
    # A coach registered for the program starts the trajectories they coach themselves.
    assert_refused(app, "R1", lambda: app.execute(start("coach-2"), Actor("coach-1", Role.COACH)))
    # A coach who is not on the program's staff starts nothing, not even for themselves.
    assert_refused(app, "R1", lambda: app.execute(start("coach-9"), Actor("coach-9", Role.COACH)))
    j = Journey(app, program, "student-1")
    j.start()
    reassign = j.on(c.ReassignCoach, coach_id="coach-2", reason="leave")
    assert_refused(app, "R1", lambda: app.execute(reassign, j.coach))
    assert_refused(
        app,
        "R7",
        lambda: app.execute(j.on(c.ReassignCoach, coach_id="outsider", reason="leave"), ADMIN),
    )
    app.execute(reassign, ADMIN)
    assert app.get_trajectory(j.id).coach_id == "coach-2"


def test_assessors_are_assigned_by_committee_or_admin(app: Bewijsketen, green: Journey) -> None:
    attempt = green.request_high_stake()
    assign = green.on(c.AssignAssessors, attempt=attempt, assessor_ids=["assessor-1", "assessor-2"])
    assert_refused(app, "R10", lambda: app.execute(assign, green.coach))
