"""What each demo student's year holds: the happenings the issue of a real class brings.

A class of 25 plays the 25 scenarios below in this order (a larger class repeats them): passes
with agreement, doubt and disagreement (with a criterion interview), fails and resits with a
development plan, the early route granted and refused, green lights given and withheld, a
referral back by the committee and its second round, corrections by an author and by the
committee (an appeal), exhibitions, a withdrawn portfolio item, and students still under way
at the demo's "today" in every phase. The borging exceptions the rules allow (too few kinds of
evidence, too few feedback givers, a referral, a withdrawn portfolio item, a correction) each
occur at least once.

Weeks are school weeks from the first Monday of September (`domain.demo.calendar`); "ago" days
count back from today, after the summer.
"""

from __future__ import annotations

from collections.abc import Callable

from domain.demo.student import Student
from domain.values import Decision, EvidenceKind, TrafficLight, Verdict

GREEN, ORANGE, RED = TrafficLight.GREEN, TrafficLight.ORANGE, TrafficLight.RED
BEKWAAM, VAKKUNDIG = 4, 3


def _year_until_green_light(
    s: Student,
    ms2: dict[str, str] | None = None,
    kind: EvidenceKind | None = None,
    asked: bool = False,
    ai: bool = False,
) -> None:
    """Orientation, low-stakes, both medium-stakes and the green light, on schedule."""
    s.orientation()
    s.low_stakes(kind=kind, asked=asked, checks=((9, GREEN), (19, GREEN)))
    s.week(22)
    s.medium_stake(s.levels(2, 4))
    s.week(26)
    code = s.pick()
    evidence = s.evidence(code, kind, ai=ai)
    s.feedback_on(code, evidence)
    s.week(27, 1)
    s.progress_check(GREEN)
    s.week(31)
    s.medium_stake(ms2 or s.levels(VAKKUNDIG, BEKWAAM))
    s.week(32)
    s.green_light()


def _assessment(
    s: Student,
    final: dict[str, str],
    mode: str = "agree",
    code: str | None = None,
    convinced: bool = True,
    request_week: int = 34,
    judge_week: int = 37,
    ago: tuple[int, int] | None = None,
) -> tuple[int, bool]:
    """Request, assessors, judgments and the conclusion, in the given school weeks (or so many
    days ago, after the summer). `mode`: the assessors agree, differ (both pass; they agree the
    final levels), one doubts, or they disagree whether `code` reaches the pass level (both
    with a criterion interview)."""

    def when(step: int) -> None:
        if ago is None:
            s.week((request_week, request_week + 1, judge_week, judge_week + 1)[step])
        else:
            s.ago((ago[0], ago[0] - 3, ago[1], ago[1] - 2)[step])

    when(0)
    attempt = s.request()
    when(1)
    first, second = s.assign(attempt)
    when(2)
    code = code or s.pick()
    if mode == "agree":
        s.judge(attempt, first, final)
        s.judge(attempt, second, final)
    elif mode == "differ":
        other = dict(final)
        other[code] = s.level(5 if s.j.levels.index(final[code]) == BEKWAAM else BEKWAAM)
        s.judge(attempt, first, final)
        s.judge(attempt, second, other)
        when(3)
        s.agree(attempt, final, code, after_interview=False)
    else:
        other = dict(final) | {code: s.level(VAKKUNDIG)}
        mine = dict(final) | {code: s.level(BEKWAAM)}
        s.judge(attempt, first, mine)
        s.judge(attempt, second, other, Verdict.DOUBT if mode == "doubt" else Verdict.FAIL)
        when(3)
        s.interview(attempt, code, convinced)
        final = dict(final) | {code: s.level(BEKWAAM if convinced else VAKKUNDIG)}
        s.agree(attempt, final, code, after_interview=True)
    when(3)
    return attempt, s.conclude(attempt, final)


def passed(s: Student) -> None:
    _year_until_green_light(s)
    s.week(36)
    s.exhibit()
    attempt, _ = _assessment(s, s.final())
    s.meeting(40)
    s.votes(attempt, "pass")


def passed_ai(s: Student) -> None:
    _year_until_green_light(s, ai=True)
    attempt, _ = _assessment(s, s.final(), mode="differ")
    s.meeting(40)
    s.votes(attempt, "pass")


def early_granted(s: Student) -> None:
    """The early route, with feedback on the last outcome from the student alone."""
    s.orientation()
    s.low_stakes(only_self=[s.outcomes[-1]], checks=((9, GREEN), (19, GREEN)))
    s.week(22)
    s.medium_stake(s.levels(VAKKUNDIG, BEKWAAM))
    s.week(23)
    s.request_early()
    s.week(24)
    s.decide_early(True)
    attempt, _ = _assessment(s, s.final(), request_week=25, judge_week=28)
    s.meeting(30)
    s.votes(attempt, "pass")


def early_refused(s: Student) -> None:
    s.orientation()
    s.low_stakes(checks=((9, GREEN), (19, GREEN)))
    weak = s.pick()
    s.week(22)
    s.medium_stake(s.levels(VAKKUNDIG, BEKWAAM, **{weak: 2}))
    s.week(23)
    s.request_early()
    s.week(24)
    s.decide_early(False, weak)
    s.week(27)
    s.more_evidence([weak, weak])
    s.week(31)
    s.medium_stake(s.levels(VAKKUNDIG, BEKWAAM))
    s.week(32)
    s.green_light()
    attempt, _ = _assessment(s, s.final())
    s.meeting(40)
    s.votes(attempt, "pass")


def doubt_cgi(s: Student) -> None:
    _year_until_green_light(s)
    attempt, _ = _assessment(s, s.final(), mode="doubt")
    s.meeting(40)
    s.votes(attempt, "pass")


def disagreement_pass(s: Student) -> None:
    _year_until_green_light(s)
    attempt, _ = _assessment(s, s.final(), mode="disagree")
    s.meeting(40)
    s.votes(attempt, "pass")


def _failed(s: Student, mode: str = "agree") -> tuple[int, str]:
    """Fails the high-stake on one outcome; the committee ratifies; a development plan."""
    _year_until_green_light(s)
    code = s.pick()
    final = s.final(**{code: 2 if mode == "agree" else BEKWAAM})
    attempt, passed = _assessment(s, final, mode=mode, code=code, convinced=False)
    assert not passed
    s.meeting(40)
    assert s.votes(attempt, "fail") is Decision.RATIFIED
    s.week(42)
    s.development_plan(attempt, [code])
    return attempt, code


def disagreement_fail(s: Student) -> None:
    """Fails after disagreement and a CGI; still working on the development plan."""
    _, code = _failed(s, mode="disagree")
    s.ago(60)
    s.more_evidence([code])
    s.ago(30)
    s.progress_check(ORANGE, [code])


def failed_resit_passed(s: Student) -> None:
    """Fails, replaces an item of the failed portfolio (withdrawn), resits and passes."""
    _, code = _failed(s)
    s.ago(80)
    s.withdraw(s.by_outcome[code][0], replaced=True)
    s.more_evidence([code, code])
    s.ago(50)
    s.exhibit()
    attempt, _ = _assessment(s, s.final(), ago=(45, 30))
    s.ago(20)
    s.votes(attempt, "pass")


def failed_resit_judging(s: Student) -> None:
    _, code = _failed(s)
    s.ago(40)
    s.more_evidence([code])
    s.ago(20)
    attempt = s.request()
    s.ago(16)
    first, _ = s.assign(attempt)
    s.ago(4)
    s.judge(attempt, first, s.final())


def referred_back(s: Student) -> None:
    """The committee refers the conclusion back; the assessors argue it anew; ratified."""
    _year_until_green_light(s)
    final = s.final()
    attempt, _ = _assessment(s, final)
    code = s.pick()
    s.meeting(40)
    assert s.votes(attempt, "refer", code) is Decision.REFERRED_BACK
    s.week(41)
    s.agree_again(attempt, final, code)
    s.conclude(attempt, final)
    s.meeting(43)
    s.votes(attempt, "after_referral", code)
    s.meeting(44)
    s.follow_up(attempt, "no_referral")


def appeal(s: Student) -> None:
    """Passed; on the student's appeal the committee corrects one outcome's level."""
    _year_until_green_light(s)
    code = s.pick()
    attempt, _ = _assessment(s, s.final(**{code: BEKWAAM}))
    concluded = s.version()
    s.meeting(40)
    s.votes(attempt, "pass")
    s.meeting(44)
    s.committee_correction(concluded, code)
    s.follow_up(attempt, "uncorrected")


def assessor_correction(s: Student) -> None:
    """An assessor corrects their own judgment before the conclusion."""
    _year_until_green_light(s)
    final = s.final()
    s.week(34)
    attempt = s.request()
    s.week(35)
    first, second = s.assign(attempt)
    s.week(37)
    judged = s.judge(attempt, first, final)
    s.judge(attempt, second, final)
    s.week(38)
    s.own_correction(judged, first, s.pick())
    s.conclude(attempt, final)
    s.meeting(40)
    s.votes(attempt, "pass")


def correction(s: Student) -> None:
    """The mentor corrects the notes of a progress check; the year goes on and ends well."""
    s.orientation()
    s.low_stakes(checks=((9, ORANGE),))
    s.week(10, 2)
    s.notes_correction()
    s.week(19, 1)
    s.progress_check(GREEN)
    s.week(22)
    s.medium_stake(s.levels(2, 4))
    s.week(31)
    s.medium_stake(s.levels(VAKKUNDIG, BEKWAAM))
    s.week(32)
    s.green_light()
    attempt, _ = _assessment(s, s.final())
    s.meeting(40)
    s.votes(attempt, "pass")


def withheld_then_given(s: Student) -> None:
    s.orientation()
    s.low_stakes(checks=((9, GREEN), (19, ORANGE)))
    weak = s.pick()
    s.week(22)
    s.medium_stake(s.levels(2, 3))
    s.week(31)
    s.medium_stake(s.levels(VAKKUNDIG, BEKWAAM, **{weak: 2}))
    s.week(32)
    s.withhold(weak, s.level(2))
    s.week(34)
    s.more_evidence([weak])
    s.week(35, 1)
    s.progress_check(GREEN)
    s.week(36)
    s.more_evidence([weak])
    s.week(37)
    s.green_light()
    attempt, _ = _assessment(s, s.final(), request_week=38, judge_week=41)
    s.meeting(43)
    s.votes(attempt, "pass")


def withheld_open(s: Student) -> None:
    s.orientation()
    s.low_stakes(checks=((9, ORANGE), (19, GREEN)))
    weak = s.pick()
    s.week(23)
    s.medium_stake(s.levels(2, 3))
    s.week(31)
    s.medium_stake(s.levels(VAKKUNDIG, BEKWAAM, **{weak: 2}))
    s.week(32)
    s.withhold(weak, s.level(2))
    s.ago(25)
    s.more_evidence([weak])
    s.ago(21)
    s.progress_check(ORANGE, [weak])


def one_kind_portfolio(s: Student) -> None:
    """Passes with a portfolio of products only: too little variety, to follow up."""
    _year_until_green_light(s, kind=EvidenceKind.PRODUCT)
    attempt, _ = _assessment(s, s.final())
    s.meeting(40)
    s.votes(attempt, "pass")


def passed_professional(s: Student) -> None:
    _year_until_green_light(s, ms2=s.final())
    s.week(36)
    s.exhibit()
    keeps = s.pick()
    attempt, _ = _assessment(s, s.levels(5, 5, **{keeps: BEKWAAM}))
    s.meeting(40)
    s.votes(attempt, "pass")


def passed_practice(s: Student) -> None:
    """Practice feedback given in person by the supervisor, answering the student's request."""
    _year_until_green_light(s, asked=True)
    s.week(36)
    s.exhibit()
    attempt, _ = _assessment(s, s.final(), mode="differ")
    s.meeting(40)
    s.votes(attempt, "pass")


def awaiting_committee(s: Student) -> None:
    """Fell behind in spring; concluded after the summer, one vote cast so far."""
    s.orientation()
    s.low_stakes(checks=((9, GREEN), (19, ORANGE)))
    s.week(24)
    s.medium_stake(s.levels(2, 3))
    s.week(28, 1)
    s.progress_check(RED)
    s.week(34, 1)
    s.progress_check(GREEN)
    s.week(35)
    s.medium_stake(s.levels(VAKKUNDIG, BEKWAAM))
    s.week(36)
    s.green_light()
    s.ago(40)
    attempt = s.request()
    s.ago(35)
    first, second = s.assign(attempt)
    s.ago(15)
    final = s.final()
    s.judge(attempt, first, final)
    s.judge(attempt, second, final)
    s.ago(10)
    s.conclude(attempt, final)
    s.ago(3)
    s.votes(attempt, "pass", members=1)


def judging_now(s: Student) -> None:
    """Green light in spring, handed in the portfolio only this autumn; being judged."""
    _year_until_green_light(s)
    s.ago(14)
    attempt = s.request()
    s.ago(10)
    s.assign(attempt)


def medium_one(s: Student) -> None:
    s.orientation()
    s.low_stakes(checks=((9, GREEN), (19, ORANGE)))
    s.week(22)
    s.medium_stake(s.levels(1, 3))
    s.week(27, 1)
    s.progress_check(ORANGE)
    s.ago(30)
    s.more_evidence([s.pick(), s.pick()])
    s.ago(14)
    s.progress_check(GREEN)


def medium_two_pending(s: Student) -> None:
    s.orientation()
    s.low_stakes(checks=((9, ORANGE), (19, ORANGE)))
    s.week(27)
    s.medium_stake(s.levels(2, 3))
    s.ago(40)
    s.more_evidence([s.pick(), s.pick()])
    s.ago(12)
    s.medium_stake(s.levels(VAKKUNDIG, BEKWAAM))


def low_stakes_red(s: Student) -> None:
    """Red lights in the autumn and winter, nothing since January: at risk."""
    s.orientation()
    s.low_stakes(
        weeks=(2, 4, 6, 10, 12),
        per_outcome=1,
        peers=1,
        externals=False,
        checks=((9, RED), (19, RED)),
    )


def low_stakes_orange(s: Student) -> None:
    """A slow start, a withdrawn upload, catching up after the summer."""
    s.orientation()
    s.low_stakes(per_outcome=1, peers=1, checks=((9, ORANGE), (19, ORANGE)))
    s.week(20)
    s.withdraw(s.by_outcome[s.outcomes[0]][0])
    s.ago(35)
    s.more_evidence([s.outcomes[0], s.pick()])
    s.ago(18)
    s.progress_check(ORANGE)


def orientation_ill(s: Student) -> None:
    """Intake and baseline in September, then long-term ill: still in orientation."""
    s.orientation()


SCENARIOS: dict[str, Callable[[Student], None]] = {
    f.__name__: f
    for f in (
        passed,
        passed_ai,
        early_granted,
        early_refused,
        doubt_cgi,
        failed_resit_passed,
        referred_back,
        withheld_then_given,
        low_stakes_red,
        medium_one,
        appeal,
        one_kind_portfolio,
        failed_resit_judging,
        disagreement_fail,
        passed_professional,
        withheld_open,
        correction,
        awaiting_committee,
        passed_practice,
        orientation_ill,
        disagreement_pass,
        judging_now,
        low_stakes_orange,
        medium_two_pending,
        assessor_correction,
    )
}
