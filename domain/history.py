"""A trajectory's history as rows a person can read: version, time, actor, event, summary."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class HistoryRow:
    version: int
    timestamp: datetime
    actor_id: str
    actor_role: str
    event_type: str
    summary: str


def _outcomes(e: Any) -> str:
    return ", ".join(getattr(e, "outcomes", []) or []) or "-"


SUMMARIES: dict[str, Callable[[Any], str]] = {
    "Started": lambda e: (
        f"started on program version {e.program_version}, cohort {e.cohort}, "
        f"coach {e.coach_id}, mentor {e.mentor_id}"
    ),
    "CoachReassigned": lambda e: f"coach is now {e.coach_id}: {e.reason}",
    "MentorReassigned": lambda e: f"mentor is now {e.mentor_id}: {e.reason}",
    "BaselineMeasured": lambda e: f"baseline {e.outcome}: {e.level}",
    "EvidenceSubmitted": lambda e: (
        f"evidence {e.evidence_id} ({e.kind.value}) for {_outcomes(e)}"
        + (" — declares AI/external use" if e.ai_use or e.external_sources else "")
    ),
    "EvidenceWithdrawn": lambda e: f"evidence {e.evidence_id} withdrawn: {e.reason}",
    "FeedbackRequested": lambda e: (
        f"asked {e.requested_from} for {e.source.value} feedback on {_outcomes(e)}"
    ),
    "FeedbackGiven": lambda e: f"{e.source.value} feedback by {e.giver_id} on {_outcomes(e)}",
    "ProgressChecked": lambda e: f"progress check: {e.light.value}",
    "MediumStakeHeld": lambda e: (
        f"medium-stake {e.number} ({e.moment}%): "
        + ", ".join(f"{k} {v}" for k, v in e.levels.items())
    ),
    "GreenLightGiven": lambda e: "green light given",
    "GreenLightWithheld": lambda e: f"green light withheld: {e.advice}",
    "EarlyHighStakeRequested": lambda e: "early high-stake requested",
    "EarlyHighStakeGranted": lambda e: "early high-stake granted",
    "EarlyHighStakeRefused": lambda e: "early high-stake refused",
    "HighStakeRequested": lambda e: (
        f"high-stake attempt {e.attempt} requested with "
        f"{len(e.portfolio)} evidence items" + (" (early route)" if e.early else "")
    ),
    "AssessorsAssigned": lambda e: (
        f"assessors for attempt {e.attempt}: {', '.join(e.assessor_ids)}"
    ),
    # Levels stay out of the history line: judgments are sealed until all have scored (R11).
    "JudgmentSubmitted": lambda e: f"judgment on attempt {e.attempt} submitted (sealed)",
    "CriterionInterviewHeld": lambda e: f"criterion interview (CGI) held for attempt {e.attempt}",
    "FinalLevelsAgreed": lambda e: f"final levels agreed for attempt {e.attempt}",
    "AssessmentConcluded": lambda e: (
        f"attempt {e.attempt} concluded: " + ("passed" if e.passed else "not passed")
    ),
    "CommitteeVoteCast": lambda e: f"committee vote on attempt {e.attempt}: {e.vote.value}",
    "DecisionRatified": lambda e: f"decision on attempt {e.attempt} ratified ({e.rationale})",
    "DecisionReferredBack": lambda e: (
        f"decision on attempt {e.attempt} referred back ({e.rationale})"
    ),
    "DevelopmentPlanRecorded": lambda e: f"development plan recorded after attempt {e.attempt}",
    "CorrectionRecorded": lambda e: f"correction of version {e.corrects_version}: {e.reason}",
    "ExhibitionPublished": lambda e: f"exhibition {e.title!r} with {len(e.evidence_ids)} items",
}


def event_type(domain_event: Any) -> str:
    return type(domain_event).__name__


def summarize(domain_event: Any) -> str:
    summary = SUMMARIES.get(event_type(domain_event))
    return summary(domain_event) if summary else event_type(domain_event)


def history(events: Iterable[Any]) -> list[HistoryRow]:
    return [
        HistoryRow(
            version=e.originator_version,
            timestamp=e.timestamp,
            actor_id=e.actor.person_id,
            actor_role=e.actor.role.value,
            event_type=event_type(e),
            summary=summarize(e),
        )
        for e in events
    ]
