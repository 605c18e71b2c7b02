"""One demo student's year, step by step: every step a command through `execute`.

`Student` wraps a `Journey` (the drivers the tests use too) with the student's Dutch texts
(`Writer`), the school year's calendar and the people around them. Each step first moves the
journey to the day it takes place; the journey never goes back in time.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

from domain import commands as c
from domain.demo.calendar import SchoolYear
from domain.demo.people import Cast
from domain.demo.texts import Writer
from domain.journey import Journey
from domain.values import (
    Actor,
    Decision,
    EvidenceKind,
    FeedbackSource,
    Role,
    TrafficLight,
    Verdict,
    Vote,
)

PASS_RANK = 4  # bekwaam, in the default rubric
# School weeks with low-stakes work: September to January, around the autumn and Christmas breaks.
LOW_STAKES_WEEKS = (2, 3, 4, 5, 6, 8, 9, 10, 11, 12, 13, 14, 15, 18, 19, 20)


@dataclass(frozen=True)
class Setting:
    """What every student of a class shares."""

    year: SchoolYear
    cast: Cast
    classmates: tuple[str, ...]


class Student:
    def __init__(self, journey: Journey, setting: Setting, writer: Writer, rng: random.Random):
        self.j = journey
        self.setting = setting
        self.w = writer
        self.rng = rng
        self.year = setting.year
        self.weekday = rng.randrange(0, 4)
        self.supervisor = rng.choice(setting.cast.supervisors)
        self.client = rng.choice(setting.cast.clients)
        self.titles: dict[str, str] = {}
        self.kinds: dict[str, EvidenceKind] = {}
        self.by_outcome: dict[str, list[str]] = {}
        self.assessors: dict[int, tuple[str, ...]] = {}
        self.checks: list[tuple[int, list[str]]] = []  # progress checks: version, outcomes named
        # What the student's commands did, kept here rather than read back from the store.
        self.stakes = 0
        self.attempts = 0
        self.declared: set[str] = set()

    # ---- time

    def week(self, week: int, weekday: int | None = None) -> Student:
        self.j.at(self.year.week(week, self.weekday if weekday is None else weekday))
        return self

    def ago(self, days: int) -> Student:
        self.j.at(self.year.ago(days))
        return self

    def meeting(self, week: int) -> Student:
        self.j.at(self.year.meeting(week))
        return self

    # ---- levels

    @property
    def outcomes(self) -> list[str]:
        return self.j.outcomes

    def level(self, rank: int) -> str:
        return self.j.levels[max(0, min(rank, len(self.j.levels) - 1))]

    def levels(self, low: int, high: int, **fixed: int) -> dict[str, str]:
        """A level per outcome, its rank drawn from [low, high] unless fixed."""
        return {
            code: self.level(fixed[code] if code in fixed else self.rng.randint(low, high))
            for code in self.outcomes
        }

    def final(self, **fixed: int) -> dict[str, str]:
        """Levels at the high-stake: bekwaam mostly, professional now and then."""
        return {
            code: self.level(fixed[code] if code in fixed else 5 if self.rng.random() < 0.3 else 4)
            for code in self.outcomes
        }

    def passes(self, level: str) -> bool:
        return self.j.levels.index(level) >= PASS_RANK

    def pick(self, exclude: Sequence[str] = ()) -> str:
        return self.rng.choice([c for c in self.outcomes if c not in exclude])

    # ---- the start and the low-stakes

    def orientation(self) -> None:
        """The intake in the first weeks: a baseline (0-meting) for every outcome."""
        self.week(1)
        for code in self.outcomes:
            level = self.level(self.rng.choice((0, 1, 1, 2)))
            self.j.run(
                self.j.on(
                    c.MeasureBaseline, outcome=code, level=level, rationale=self.w.baseline(level)
                ),
                self.j.coach,
            )

    def evidence(self, code: str, kind: EvidenceKind | None = None, ai: bool = False) -> str:
        chosen, title = self.w.evidence(code, kind)
        criteria = [f"{code}.{self.rng.randint(1, 2)}"] if self.rng.random() < 0.5 else []
        evidence_id = self.j.evidence(
            [code],
            kind=chosen,
            ai_use=ai,
            title=title,
            declaration=self.w.declaration() if ai else "",
            criteria=criteria,
            content=f"{self.j.student.person_id}\n{title}\n{self.rng.random()}",
        )
        self.titles[evidence_id] = title
        self.kinds[evidence_id] = chosen
        if ai:
            self.declared.add(evidence_id)
        self.by_outcome.setdefault(code, []).append(evidence_id)
        return evidence_id

    def feedback(self, source: FeedbackSource, code: str, evidence_id: str | None = None) -> None:
        text = self.w.feedback(source, code)
        if source is FeedbackSource.SELF:
            self.j.feedback(source, self.j.student.person_id, [code], text, evidence_id=evidence_id)
        elif source is FeedbackSource.COACH:
            self.j.feedback(source, self.j.coach.person_id, [code], text, evidence_id=evidence_id)
        elif source is FeedbackSource.PEER:
            peer = self.rng.choice(
                [p for p in self.setting.classmates if p != self.j.student.person_id]
            )
            self.j.feedback(source, peer, [code], text, evidence_id=evidence_id)
        else:
            self.external(source, code, asked=source is FeedbackSource.CLIENT)

    def external(self, source: FeedbackSource, code: str, asked: bool) -> None:
        """Practice or client feedback: asked for and given in person by the one outside the
        school, or told to the student, coach or mentor, who records it on their behalf."""
        giver = self.client if source is FeedbackSource.CLIENT else self.supervisor
        text = self.w.feedback(source, code)
        if asked:
            request = self.j.request_feedback(source, giver, [code], self.w.question(source, code))
            self.j.feedback(
                source,
                giver,
                [code],
                text,
                recorded_by=Actor(giver, Role.EXTERNAL),
                request_id=request,
            )
            return
        recorder = self.rng.choice((self.j.student, self.j.student, self.j.coach, self.j.mentor))
        self.j.feedback(source, giver, [code], text, recorded_by=recorder)

    def low_stakes(
        self,
        weeks: Sequence[int] = LOW_STAKES_WEEKS,
        per_outcome: int = 2,
        kind: EvidenceKind | None = None,
        only_self: Sequence[str] = (),
        peers: int = 2,
        externals: bool = True,
        asked: bool = False,
        checks: Sequence[tuple[int, TrafficLight]] = ((9, TrafficLight.GREEN),),
    ) -> None:
        """Evidence on every outcome with self-reflection, coach and peer feedback, and feedback
        from practice and a client; `only_self` outcomes get nothing but self-reflection. The
        mentor's progress checks (`checks`: week and light) fall in between."""
        total = per_outcome * len(self.outcomes)
        made: list[tuple[str, str]] = []
        pending = list(checks)
        for n in range(total):
            code = self.outcomes[n % len(self.outcomes)]
            week = weeks[n * len(weeks) // total]
            while pending and pending[0][0] <= week:
                check_week, light = pending.pop(0)
                self.week(check_week, 1)
                self.progress_check(light, [c for c in self.outcomes if c not in self.by_outcome])
            self.week(week)
            evidence_id = self.evidence(code, kind)
            made.append((code, evidence_id))
            if n < len(self.outcomes):
                self.feedback(FeedbackSource.SELF, code, evidence_id)
            elif code not in only_self:
                self.feedback(FeedbackSource.COACH, code, evidence_id)
        open_to_all = [(c, e) for c, e in made if c not in only_self]
        for code, evidence_id in self.rng.sample(open_to_all, min(peers, len(open_to_all))):
            self.feedback(FeedbackSource.PEER, code, evidence_id)
        if externals:
            allowed = [c for c in self.outcomes if c not in only_self]
            self.external(FeedbackSource.PRACTICE, self.rng.choice(allowed), asked)
            self.external(FeedbackSource.CLIENT, self.rng.choice(allowed), True)
        for check_week, light in pending:
            self.week(check_week, 1)
            self.progress_check(light, self._thin())

    def _thin(self) -> list[str]:
        """The outcomes with the least evidence."""
        fewest = min(len(self.by_outcome.get(c, [])) for c in self.outcomes)
        return [c for c in self.outcomes if len(self.by_outcome.get(c, [])) == fewest][:2]

    def more_evidence(self, codes: Sequence[str], coach: bool = True) -> None:
        for code in codes:
            evidence_id = self.evidence(code)
            if coach:
                self.feedback(FeedbackSource.COACH, code, evidence_id)

    def progress_check(self, light: TrafficLight, behind: Sequence[str] = ()) -> None:
        lagging = list(behind) or self._thin()
        result = self.j.progress_check(light, self.w.progress_notes(light, lagging))
        self.checks.append((result.version, lagging))

    def feedback_on(self, code: str, evidence_id: str) -> None:
        self.feedback(FeedbackSource.COACH, code, evidence_id)

    def version(self) -> int:
        """The trajectory's version after the latest command."""
        assert self.j.last is not None
        return self.j.last.version

    # ---- corrections (R2): a new event naming the one it corrects

    def notes_correction(self) -> None:
        """The mentor corrects the notes of their first progress check."""
        version, named = self.checks[0]
        right = self.pick(exclude=named)
        reason, notes = self.w.notes_correction(", ".join(named), right)
        self.j.correct(version, reason, {"notes": notes}, self.j.mentor)

    def own_correction(self, version: int, assessor: str, code: str) -> None:
        """An assessor corrects the rationale in their own judgment."""
        rationale = self.w.level_rationale(
            code, self.level(PASS_RANK), True, self._evidence_title(code)
        )
        self.j.correct(
            version,
            self.w.rationale_correction(code),
            {"level_rationales": {code: rationale}},
            Actor(assessor, Role.ASSESSOR),
        )

    def committee_correction(self, version: int, code: str) -> None:
        """On the student's appeal, the committee corrects a concluded level (R16 allows only
        the committee to correct a closed trajectory)."""
        level = self.level(5)
        member = Actor(self.setting.cast.staff.committee[0], Role.COMMITTEE)
        self.j.correct(version, self.w.appeal(code, level), {"levels": {code: level}}, member)

    def follow_up(self, attempt: int, item: str) -> None:
        """The committee records what it did about a borging exception of the attempt."""
        member = Actor(self.setting.cast.staff.committee[0], Role.COMMITTEE)
        self.j.follow_up(attempt, item, self.w.follow_up(item), member)

    def withdraw(self, evidence_id: str, replaced: bool = False) -> None:
        self.j.withdraw(evidence_id, self.w.withdrawal(replaced))
        for ids in self.by_outcome.values():
            if evidence_id in ids:
                ids.remove(evidence_id)

    # ---- medium-stakes, green light, early route

    def medium_stake(self, levels: dict[str, str]) -> None:
        portfolio = [ids[-1] for ids in self.by_outcome.values() if ids][:6]
        weakest = min(self.outcomes, key=lambda c: (self.j.levels.index(levels[c]), c))
        self.stakes += 1
        feedback, rationale = self.w.medium_stake(self.stakes, levels, weakest, len(self.titles))
        self.j.medium_stake(levels, portfolio=portfolio, feedback=feedback, rationale=rationale)

    def green_light(self) -> None:
        self.j.green_light(self.w.green_light())

    def withhold(self, code: str, level: str) -> None:
        advice, rationale = self.w.withhold(code, level)
        self.j.withhold_green_light(advice, rationale)

    def request_early(self) -> None:
        self.j.request_early(self.w.early_motivation())

    def decide_early(self, grant: bool, code: str = "") -> None:
        self.j.decide_early(grant, self.w.early_granted() if grant else self.w.early_refused(code))

    # ---- the high-stake

    def request(self) -> int:
        portfolio = self.j.portfolio()
        declared = [self.titles[e] for e in portfolio if e in self.declared]
        explanation = self.w.ai_explanation(declared) if declared else ""
        shown = {
            code: [self.titles[e] for e in self.by_outcome.get(code, [])] for code in self.outcomes
        }
        self.attempts += 1
        guide = self.w.guide(shown, explanation, self.attempts)
        return self.j.request_high_stake(explanation, guide=guide, portfolio=portfolio)

    def assign(self, attempt: int, panel: tuple[str, ...] | None = None) -> tuple[str, ...]:
        staff = self.setting.cast.staff
        chosen = panel or tuple(self.rng.sample(staff.assessors, 2))
        appointer = Actor(staff.committee[0], Role.COMMITTEE)
        self.j.assign(attempt, chosen, by=appointer)
        self.assessors[attempt] = chosen
        return chosen

    def judge(
        self, attempt: int, assessor: str, levels: dict[str, str], verdict: Verdict | None = None
    ) -> int:
        below = [c for c in self.outcomes if not self.passes(levels[c])]
        verdict = verdict or (Verdict.PASS if not below else Verdict.FAIL)
        rationales = {
            code: self.w.level_rationale(
                code, levels[code], self.passes(levels[code]), self._evidence_title(code)
            )
            for code in self.outcomes
        }
        doubtful = below or [self.pick()]
        result = self.j.judge(
            attempt,
            assessor,
            levels,
            verdict,
            level_rationales=rationales,
            rationale=self.w.verdict_rationale(verdict, doubtful),
        )
        return result.version

    def _evidence_title(self, code: str) -> str | None:
        ids = self.by_outcome.get(code) or []
        return self.titles[self.rng.choice(ids)] if ids else None

    def interview(self, attempt: int, code: str, convinced: bool) -> None:
        title = self._evidence_title(code) or code
        self.j.interview(
            attempt, self.assessors[attempt][0], notes=self.w.interview(code, title, convinced)
        )

    def agree(self, attempt: int, levels: dict[str, str], code: str, after_interview: bool) -> None:
        rationale = self.w.final_levels(
            code, levels[code], after_interview, self.passes(levels[code])
        )
        self.j.agree(attempt, levels, self.assessors[attempt][0], rationale=rationale)

    def agree_again(self, attempt: int, levels: dict[str, str], code: str) -> None:
        titles = [self.titles[e] for e in self.by_outcome.get(code, [])]
        self.j.agree(
            attempt, levels, self.assessors[attempt][1], rationale=self.w.second_round(code, titles)
        )

    def conclude(self, attempt: int, levels: dict[str, str]) -> bool:
        below = [c for c in self.outcomes if not self.passes(levels[c])]
        return self.j.conclude(
            attempt, self.assessors[attempt][0], rationale=self.w.conclusion(not below, below)
        )

    def votes(
        self,
        attempt: int,
        kind: str,
        code: str = "",
        members: int = 2,
    ) -> Decision | None:
        committee = self.setting.cast.staff.committee
        chosen = tuple(self.rng.sample(committee, members))
        vote = Vote.REFER_BACK if kind == "refer" else Vote.RATIFY
        rationales = tuple(self.w.vote(kind, code) for _ in chosen)
        return self.j.votes(attempt, chosen, vote, rationales)

    def development_plan(self, attempt: int, below: Sequence[str]) -> None:
        plan = self.w.development_plan(attempt, below, self.year.ago(45))
        self.j.development_plan(attempt, plan)

    def exhibit(self) -> None:
        chosen = [ids[-1] for ids in self.by_outcome.values() if ids][:4]
        self.j.exhibit(self.w.exhibition(), chosen)
