"""Plain-data views of aggregates, for the API, the CLI and the dossier.

Assessor scores are sealed (R11): until every assigned assessor has judged an attempt, a view
shows nobody's levels or verdict except to the assessor who gave them.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from domain.program import Program
from domain.trajectory import Attempt, Trajectory
from domain.values import Actor


def _judgments_view(attempt: Attempt, viewer: Actor | None) -> list[dict[str, Any]]:
    sealed = not attempt.all_judged
    out = []
    for assessor_id, j in attempt.judgments.items():
        own = viewer is not None and viewer.person_id == assessor_id
        if sealed and not own:
            out.append(
                {
                    "assessor_id": assessor_id,
                    "sealed": True,
                    "submitted_at": j.submitted_at.isoformat(),
                    "occurred_on": _day(j.occurred_on),
                }
            )
        else:
            out.append(
                {
                    "assessor_id": assessor_id,
                    "sealed": False,
                    "levels": dict(j.levels),
                    "level_rationales": dict(j.level_rationales),
                    "verdict": j.verdict.value,
                    "rationale": j.rationale,
                    "submitted_at": j.submitted_at.isoformat(),
                    "occurred_on": _day(j.occurred_on),
                }
            )
    return out


def _day(day: date | None) -> str | None:
    return day.isoformat() if day is not None else None


def trajectory_view(t: Trajectory, viewer: Actor | None = None) -> dict[str, Any]:
    step = t.next_step()
    return {
        "id": str(t.id),
        "version": t.version,
        "modified_on": t.modified_on.isoformat(),
        "program_id": str(t.program_id),
        "program_version": t.program_version,
        "student_id": t.student_id,
        "cohort": t.cohort,
        "started_on": t.start_day.isoformat(),
        "coach_id": t.coach_id,
        "mentor_id": t.mentor_id,
        "phase": t.phase.value,
        "closed": t.closed,
        "outcomes": list(t.definition.outcome_codes),
        "baseline": dict(t.baseline),
        "evidence": [
            {
                "evidence_id": e.evidence_id,
                "title": e.title,
                "kind": e.kind.value,
                "uri": e.uri,
                "sha256": e.sha256,
                "outcomes": list(e.outcomes),
                "criteria": list(e.criteria),
                "ai_use": e.ai_use,
                "external_sources": e.external_sources,
                "declaration": e.declaration,
                "submitted_at": e.submitted_at.isoformat(),
                "occurred_on": _day(e.occurred_on),
                "withdrawn": e.withdrawn,
                "withdrawal_reason": e.withdrawal_reason,
            }
            for e in t.evidence.values()
        ],
        "evidence_per_outcome": t.evidence_per_outcome(),
        "feedback": [
            {
                "feedback_id": f.feedback_id,
                "source": f.source.value,
                "giver_id": f.giver_id,
                "outcomes": list(f.outcomes),
                "criteria": list(f.criteria),
                "evidence_id": f.evidence_id,
                "text": f.text,
                "request_id": f.request_id,
                "given_at": f.given_at.isoformat(),
                "occurred_on": _day(f.occurred_on),
            }
            for f in t.feedback
        ],
        "feedback_requests": [
            {
                "request_id": r.request_id,
                "requested_from": r.requested_from,
                "source": r.source.value,
                "outcomes": list(r.outcomes),
                "answered": r.answered,
            }
            for r in t.feedback_requests.values()
        ],
        "progress_checks": [
            {
                "light": p.light.value,
                "notes": p.notes,
                "checked_by": p.checked_by,
                "checked_at": p.checked_at.isoformat(),
                "occurred_on": _day(p.occurred_on),
            }
            for p in t.progress_checks
        ],
        "medium_stakes": [
            {
                "number": m.number,
                "moment": m.moment,
                "portfolio": list(m.portfolio),
                "levels": dict(m.levels),
                "feedback": m.feedback,
                "rationale": m.rationale,
                "held_by": m.held_by,
                "held_at": m.held_at.isoformat(),
                "occurred_on": _day(m.occurred_on),
            }
            for m in t.medium_stakes
        ],
        "green_light": t.green_light.value if t.green_light else None,
        "green_light_note": t.green_light_note,
        "early_route": t.early_route.value if t.early_route else None,
        "attempts": [
            {
                "number": a.number,
                "early": a.early,
                "portfolio": list(a.portfolio),
                "reading_guide": dict(a.reading_guide),
                "requested_at": a.requested_at.isoformat(),
                "assessors": list(a.assessors),
                "judgments": _judgments_view(a, viewer),
                "interview_held": a.interview_held,
                "final_levels": dict(a.final_levels) if a.final_levels is not None else None,
                "concluded_levels": dict(a.concluded_levels) if a.concluded_levels else None,
                "passed": a.passed,
                "round": a.round,
                "votes_cast": len(a.votes),
                "decision": a.decision.value if a.decision else None,
                "development_plan": a.development_plan,
            }
            for a in t.attempts
        ],
        "corrections": list(t.corrections),
        "exhibitions": {k: list(v) for k, v in t.exhibitions.items()},
        "next_step": {"step": step.step, "missing": list(step.missing)},
    }


def program_view(p: Program) -> dict[str, Any]:
    return {
        "id": str(p.id),
        "code": p.code,
        "title": p.title,
        "version": p.version,
        "versions": sorted(p.versions),
        "latest_version": p.latest_version,
        "staff": {role: sorted(people) for role, people in p.staff.items()},
    }
