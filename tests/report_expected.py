"""The annual report's figures computed independently, straight from the stored events.

Nothing here uses the read models, the report's code or the rule functions: each figure is
counted from the events by its own definition (docs/reports.md), so that the test compares two
computations of the same thing. Everything counts on the day it took place: the day the event
says (`occurred_on`), else the day it was recorded, in Europe/Amsterdam.
"""

from __future__ import annotations

import math
import statistics
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from domain.application import Bewijsketen
from domain.program import Program
from domain.trajectory import Trajectory as T
from domain.values import EarlyRoute, GreenLight, StaffRole, Verdict, Vote

LEVELS = ("verkennend", "beginnend", "ontwikkelend", "vakkundig", "bekwaam", "professional")
PASS = LEVELS.index("bekwaam")
QUORUM = 2
OUTCOMES = ("LO1", "LO2", "LO3", "LO4", "LO5")
DUTCH = ZoneInfo("Europe/Amsterdam")


def recorded_on(e: Any) -> date:
    return e.timestamp.astimezone(DUTCH).date()


def took_place(e: Any) -> date:
    """The day the event says it took place, else the Dutch day it was recorded."""
    stated = getattr(e, "occurred_on", None)
    return stated if stated is not None else recorded_on(e)


def seconds_between(first: Any, then: Any) -> float:
    """From one event to another: between the moments recorded when both were recorded on the
    day they took place, else in whole days between the days they took place."""
    if took_place(first) == recorded_on(first) and took_place(then) == recorded_on(then):
        return float((then.timestamp - first.timestamp).total_seconds())
    return float((took_place(then) - took_place(first)).days * 24 * 3600)


def stored_events(app: Bewijsketen) -> list[Any]:
    found: list[Any] = []
    start = 1
    while True:
        batch = app.recorder.select_notifications(start, 1000)
        if not batch:
            return found
        found += [app.mapper.to_domain_event(n) for n in batch]
        start = batch[-1].id + 1


def kappa(pairs: list[tuple[int, int]]) -> float | None:
    """Cohen's kappa with quadratic weights, in floats, from the list of rated pairs."""
    n = len(pairs)
    if not n:
        return None
    observed = sum((a - b) ** 2 for a, b in pairs) / n
    rows = defaultdict(int)
    cols = defaultdict(int)
    for a, b in pairs:
        rows[a] += 1
        cols[b] += 1
    expected = sum((i - j) ** 2 * ri * cj for i, ri in rows.items() for j, cj in cols.items()) / (
        n * n
    )
    return None if expected == 0 else 1 - observed / expected


def p90(values: list[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[math.ceil(0.9 * len(ordered)) - 1]


@dataclass
class Attempt:
    request: Any  # the HighStakeRequested event
    portfolio: list[str]
    ai_explained: bool
    route_before: bool
    givers: dict[str, int]
    assessors: list[str] = field(default_factory=list)
    coach: str = ""
    judgments: dict[str, tuple[Verdict, dict[str, str]]] = field(default_factory=dict)
    # Per assessor the day their judgment took place; complete on the latest of them.
    judgment_days: dict[str, date] = field(default_factory=dict)
    judged_on: date | None = None
    interview: bool = False
    # Each conclusion: [day it took place, levels, passed, votes of its round, decision or None]
    conclusions: list[list[Any]] = field(default_factory=list)
    follow_ups: set[str] = field(default_factory=set)
    first_version: int = 0
    referrals: int = 0
    withdrawn: set[str] = field(default_factory=set)
    corrected: bool = False


@dataclass
class Track:
    program_id: uuid.UUID
    cohort: str
    student: str
    coach: str
    evidence: dict[str, tuple[list[str], str, bool]] = field(default_factory=dict)
    givers: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    green: bool = False
    early_granted: bool = False
    attempts: dict[int, Attempt] = field(default_factory=dict)


def expected_report(
    app: Bewijsketen, programs: set[uuid.UUID], first: date, last: date
) -> dict[str, Any]:
    """The report's figures for the days first to last (both included) and these programs,
    from the events."""

    def inside(day: date) -> bool:
        return first <= day <= last

    tracks: dict[uuid.UUID, Track] = {}
    decisions: dict[tuple[uuid.UUID, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    durations: dict[uuid.UUID, list[float]] = defaultdict(list)
    corrections: dict[uuid.UUID, list[int]] = defaultdict(lambda: [0, 0])
    reasons: dict[tuple[bool, str], int] = defaultdict(int)
    votes: dict[tuple[uuid.UUID, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    terms: dict[uuid.UUID, list[list[Any]]] = defaultdict(list)
    for e in stored_events(app):
        if isinstance(e, Program.StaffRegistered | Program.StaffDeregistered):
            if e.role is not StaffRole.COMMITTEE or e.originator_id not in programs:
                continue
            if isinstance(e, Program.StaffRegistered):
                terms[e.originator_id].append([e.person_id, took_place(e), None])
            else:
                for term in terms[e.originator_id]:
                    if term[0] == e.person_id and term[2] is None:
                        term[2] = took_place(e)
            continue
        if isinstance(e, T.Started):
            tracks[e.originator_id] = Track(e.program_id, e.cohort, e.student_id, e.coach_id)
            continue
        t = tracks.get(e.originator_id)
        if t is None or t.program_id not in programs:
            continue
        cell = decisions[(t.program_id, t.cohort)]
        if isinstance(e, T.CoachReassigned):
            t.coach = e.coach_id
        elif isinstance(e, T.EvidenceSubmitted):
            t.evidence[e.evidence_id] = (
                list(e.outcomes),
                e.kind.value,
                e.ai_use or e.external_sources,
            )
        elif isinstance(e, T.EvidenceWithdrawn):
            for a in t.attempts.values():
                if e.evidence_id in a.portfolio:
                    a.withdrawn.add(e.evidence_id)
        elif isinstance(e, T.FeedbackGiven):
            for code in e.outcomes:
                t.givers[code].add(e.giver_id)
        elif isinstance(e, T.GreenLightGiven):
            t.green = True
        elif isinstance(
            e, T.EarlyHighStakeRequested | T.EarlyHighStakeGranted | T.EarlyHighStakeRefused
        ):
            if isinstance(e, T.EarlyHighStakeGranted):
                t.early_granted = True
            if inside(took_place(e)):
                step = {
                    T.EarlyHighStakeRequested: EarlyRoute.REQUESTED,
                    T.EarlyHighStakeGranted: EarlyRoute.GRANTED,
                    T.EarlyHighStakeRefused: EarlyRoute.REFUSED,
                }[type(e)]
                cell[f"early_route_{step.value}"] += 1
        elif isinstance(e, T.HighStakeRequested):
            t.attempts[e.attempt] = Attempt(
                e,
                list(e.portfolio),
                bool(e.ai_explanation.strip()),
                t.green or t.early_granted,
                {code: len(t.givers[code]) for code in OUTCOMES},
                first_version=e.originator_version,
            )
        elif isinstance(e, T.AssessorsAssigned):
            a = t.attempts[e.attempt]
            a.assessors, a.coach = list(e.assessor_ids), t.coach
        elif isinstance(e, T.JudgmentSubmitted):
            a = t.attempts[e.attempt]
            a.judgments[e.actor.person_id] = (e.verdict, dict(e.levels))
            if a.judged_on is None:
                a.judgment_days[e.actor.person_id] = took_place(e)
                if set(a.judgments) >= set(a.assessors):
                    a.judged_on = max(a.judgment_days[x] for x in a.assessors)
        elif isinstance(e, T.CriterionInterviewHeld):
            t.attempts[e.attempt].interview = True
        elif isinstance(e, T.AssessmentConcluded):
            t.attempts[e.attempt].conclusions.append(
                [took_place(e), dict(e.levels), e.passed, [], None]
            )
        elif isinstance(e, T.CommitteeVoteCast):
            t.attempts[e.attempt].conclusions[-1][3].append(e.vote)
            if inside(took_place(e)):
                votes[(t.program_id, e.actor.person_id)][e.vote.value] += 1
        elif isinstance(e, T.DecisionRatified | T.DecisionReferredBack):
            a = t.attempts[e.attempt]
            a.conclusions[-1][4] = "ratified" if isinstance(e, T.DecisionRatified) else "referred"
            if isinstance(e, T.DecisionReferredBack):
                a.referrals += 1
            if not inside(took_place(e)):
                continue
            cell["decisions"] += 1
            if isinstance(e, T.DecisionReferredBack):
                cell["referred_back"] += 1
                continue
            outcome = "passed" if e.passed else "not_passed"
            cell["ratified"] += 1
            cell[outcome] += 1
            cell[("resit_" if e.attempt > 1 else "first_attempt_") + outcome] += 1
            durations[t.program_id].append(seconds_between(a.request, e))
        elif isinstance(e, T.CorrectionRecorded):
            # The attempt whose events it corrects: the latest requested at or before them.
            earlier = [a for a in t.attempts.values() if a.first_version <= e.corrects_version]
            if earlier:
                max(earlier, key=lambda a: a.first_version).corrected = True
            if not inside(took_place(e)):
                continue
            committee = e.actor.role.value == "committee"
            corrections[t.program_id][int(committee)] += 1
            reasons[(committee, e.reason)] += 1
        elif isinstance(e, T.BorgingFollowUpRecorded):
            t.attempts[e.attempt].follow_ups.add(e.item)

    # ---- the assessment process and borging, per attempt
    interviews: dict[uuid.UUID, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    pair_levels: dict[tuple[uuid.UUID, str, str], list[tuple[int, int]]] = defaultdict(list)
    pair_attempts: dict[tuple[uuid.UUID, str, str], int] = defaultdict(int)
    items: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])  # applies, holds, exc, followed
    checks = all_ok = 0
    for t in tracks.values():
        if t.program_id not in programs:
            continue
        for a in t.attempts.values():
            if a.judged_on is not None and inside(a.judged_on):
                counts = interviews[t.program_id]
                doubt = any(v is Verdict.DOUBT for v, _ in a.judgments.values())
                split = any(
                    len({LEVELS.index(levels[code]) >= PASS for _, levels in a.judgments.values()})
                    > 1
                    for code in OUTCOMES
                )
                counts["assessments"] += 1
                counts["needed"] += int(doubt or split)
                counts["held"] += int(a.interview)
                counts["needed_and_held"] += int((doubt or split) and a.interview)
                counts["doubt"] += int(doubt)
                counts["disagreement"] += int(split)
                counts["doubt_and_disagreement"] += int(doubt and split)
                counts["independent"] += int(any(x != a.coach for x in a.assessors))
                counts["coach_assessor"] += int(a.coach in a.assessors)
                judged = sorted(a.judgments)
                for i, x in enumerate(judged):
                    for y in judged[i + 1 :]:
                        pair_attempts[(t.program_id, x, y)] += 1
                        for code in OUTCOMES:
                            pair_levels[(t.program_id, x, y)].append(
                                (
                                    LEVELS.index(a.judgments[x][1][code]),
                                    LEVELS.index(a.judgments[y][1][code]),
                                )
                            )
            if not a.conclusions or not inside(a.conclusions[-1][0]):
                continue
            _on, levels, passed, round_votes, decision = a.conclusions[-1]
            kinds = {t.evidence[x][1] for x in a.portfolio}
            per_outcome = {
                code: sum(1 for x in a.portfolio if code in t.evidence[x][0]) for code in OUTCOMES
            }
            declared = [x for x in a.portfolio if t.evidence[x][2]]
            ratify = round_votes.count(Vote.RATIFY)
            refer = round_votes.count(Vote.REFER_BACK)
            found = {
                "min_assessors": len(set(a.assessors)) >= 2 and t.student not in a.assessors,
                "independence": any(x != a.coach for x in a.assessors),
                "min_evidence": all(n >= 2 for n in per_outcome.values()),
                "evidence_variety": len(kinds) >= 2,
                "feedback_givers": all(n >= 2 for n in a.givers.values()),
                "green_light_before_request": a.route_before,
                "ai_use_explained": not declared or a.ai_explained,
                "no_compensation": passed == all(LEVELS.index(v) >= PASS for v in levels.values()),
                "quorum": None
                if decision is None
                else ratify + refer >= QUORUM and (decision == "ratified") == (ratify > refer),
                "no_referral": a.referrals == 0,
                "portfolio_intact": not a.withdrawn,
                "uncorrected": not a.corrected,
            }
            checks += 1
            all_ok += int(all(v is True for v in found.values()))
            for item, holds in found.items():
                if holds is None:
                    continue
                items[item][0] += 1
                items[item][1] += int(holds)
                if not holds:
                    items[item][2] += 1
                    items[item][3] += int(item in a.follow_ups)

    # ---- the committee: members registered on some day of the period
    members = {
        (pid, person)
        for pid, found_terms in terms.items()
        for person, since, until in found_terms
        if since <= last and (until is None or until >= first)
    }
    assert GreenLight.GIVEN  # (the route before the request counts the green light or early route)
    return {
        "decisions": {k: dict(v) for k, v in decisions.items()},
        "durations": dict(durations),
        "interviews": {k: dict(v) for k, v in interviews.items()},
        "pairs": {
            k: {
                "assessments": pair_attempts[k],
                "comparisons": len(v),
                "exact": sum(1 for x, y in v if x == y),
                "kappa": kappa(v),
            }
            for k, v in pair_levels.items()
        },
        "program_kappa": {
            pid: kappa(
                [p for (q, _, _), v in pair_levels.items() if q == pid for p in v]
                + [(y, x) for (q, _, _), v in pair_levels.items() if q == pid for x, y in v]
            )
            for pid in programs
        },
        "borging": {
            "checks": checks,
            "all_ok": all_ok,
            "items": {k: list(v) for k, v in items.items()},
        },
        "corrections": {k: list(v) for k, v in corrections.items()},
        "reasons": dict(reasons),
        "votes": {k: dict(v) for k, v in votes.items()},
        "members": members,
    }


def median(values: list[float]) -> float | None:
    return float(statistics.median(values)) if values else None
