"""The names of the events, for the parts of the audit log that work without the domain.

The offline bundle verifier rebuilds a dossier from a bundle's stored events alone: it has no
domain classes, so it knows events by the last part of their topic. This module is that table;
a test holds it equal to the events of the aggregates, so that no event can be missing here.
"""

from __future__ import annotations

STARTED = "Started"
COACH_REASSIGNED = "CoachReassigned"
MENTOR_REASSIGNED = "MentorReassigned"
BASELINE_MEASURED = "BaselineMeasured"
EVIDENCE_SUBMITTED = "EvidenceSubmitted"
EVIDENCE_WITHDRAWN = "EvidenceWithdrawn"
FEEDBACK_REQUESTED = "FeedbackRequested"
FEEDBACK_GIVEN = "FeedbackGiven"
PROGRESS_CHECKED = "ProgressChecked"
MEDIUM_STAKE_HELD = "MediumStakeHeld"
GREEN_LIGHT_GIVEN = "GreenLightGiven"
GREEN_LIGHT_WITHHELD = "GreenLightWithheld"
EARLY_HIGH_STAKE_REQUESTED = "EarlyHighStakeRequested"
EARLY_HIGH_STAKE_GRANTED = "EarlyHighStakeGranted"
EARLY_HIGH_STAKE_REFUSED = "EarlyHighStakeRefused"
HIGH_STAKE_REQUESTED = "HighStakeRequested"
ASSESSORS_ASSIGNED = "AssessorsAssigned"
JUDGMENT_SUBMITTED = "JudgmentSubmitted"
CRITERION_INTERVIEW_HELD = "CriterionInterviewHeld"
FINAL_LEVELS_AGREED = "FinalLevelsAgreed"
ASSESSMENT_CONCLUDED = "AssessmentConcluded"
COMMITTEE_VOTE_CAST = "CommitteeVoteCast"
DECISION_RATIFIED = "DecisionRatified"
DECISION_REFERRED_BACK = "DecisionReferredBack"
DEVELOPMENT_PLAN_RECORDED = "DevelopmentPlanRecorded"
CORRECTION_RECORDED = "CorrectionRecorded"
EXHIBITION_PUBLISHED = "ExhibitionPublished"
BORGING_FOLLOW_UP_RECORDED = "BorgingFollowUpRecorded"

PROGRAM_REGISTERED = "Registered"
VERSION_PUBLISHED = "VersionPublished"
STAFF_REGISTERED = "StaffRegistered"
STAFF_DEREGISTERED = "StaffDeregistered"

TRAJECTORY_EVENTS: tuple[str, ...] = (
    STARTED,
    COACH_REASSIGNED,
    MENTOR_REASSIGNED,
    BASELINE_MEASURED,
    EVIDENCE_SUBMITTED,
    EVIDENCE_WITHDRAWN,
    FEEDBACK_REQUESTED,
    FEEDBACK_GIVEN,
    PROGRESS_CHECKED,
    MEDIUM_STAKE_HELD,
    GREEN_LIGHT_GIVEN,
    GREEN_LIGHT_WITHHELD,
    EARLY_HIGH_STAKE_REQUESTED,
    EARLY_HIGH_STAKE_GRANTED,
    EARLY_HIGH_STAKE_REFUSED,
    HIGH_STAKE_REQUESTED,
    ASSESSORS_ASSIGNED,
    JUDGMENT_SUBMITTED,
    CRITERION_INTERVIEW_HELD,
    FINAL_LEVELS_AGREED,
    ASSESSMENT_CONCLUDED,
    COMMITTEE_VOTE_CAST,
    DECISION_RATIFIED,
    DECISION_REFERRED_BACK,
    DEVELOPMENT_PLAN_RECORDED,
    CORRECTION_RECORDED,
    EXHIBITION_PUBLISHED,
    BORGING_FOLLOW_UP_RECORDED,
)
PROGRAM_EVENTS: tuple[str, ...] = (
    PROGRAM_REGISTERED,
    VERSION_PUBLISHED,
    STAFF_REGISTERED,
    STAFF_DEREGISTERED,
)
# Events a committee's decision consists of.
DECISIONS: tuple[str, ...] = (DECISION_RATIFIED, DECISION_REFERRED_BACK)
EARLY_ROUTE: tuple[str, ...] = (
    EARLY_HIGH_STAKE_REQUESTED,
    EARLY_HIGH_STAKE_GRANTED,
    EARLY_HIGH_STAKE_REFUSED,
)
