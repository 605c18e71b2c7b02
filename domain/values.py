"""Value types shared by the aggregates: roles, levels of feedback sources, verdicts, the actor."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Role(Enum):
    STUDENT = "student"
    COACH = "coach"
    MENTOR = "mentor"
    ASSESSOR = "assessor"
    COMMITTEE = "committee"
    QUALITY = "quality"
    INSPECTOR = "inspector"
    ADMIN = "admin"
    # Someone outside the school (a workplace supervisor, a client) who answers the feedback
    # requests addressed to them, and does nothing else.
    EXTERNAL = "external"
    # The institution's privacy officer (functionaris gegevensbescherming): sees what is due for
    # erasure, runs the retention job, erases on request and exports anyone's data. Reads no
    # trajectory otherwise.
    PRIVACY = "privacy"


class StaffRole(Enum):
    """Roles a person can be registered in for a program (R7, R10, R14)."""

    COACH = "coach"
    MENTOR = "mentor"
    ASSESSOR = "assessor"
    COMMITTEE = "committee"


class FeedbackSource(Enum):
    SELF = "self"
    PEER = "peer"
    COACH = "coach"
    PRACTICE = "practice"
    CLIENT = "client"


class EvidenceKind(Enum):
    ASSIGNMENT = "assignment"
    REFLECTION = "reflection"
    PRACTICE = "practice"
    PRESENTATION = "presentation"
    REPORT = "report"
    VIDEO = "video"
    PRODUCT = "product"


class TrafficLight(Enum):
    GREEN = "green"
    ORANGE = "orange"
    RED = "red"


class Verdict(Enum):
    PASS = "pass"
    FAIL = "fail"
    DOUBT = "doubt"


class Vote(Enum):
    RATIFY = "ratify"
    REFER_BACK = "refer_back"


class GreenLight(Enum):
    """The coach's decision on the normal route to the high-stake (R7)."""

    GIVEN = "given"
    WITHHELD = "withheld"


class EarlyRoute(Enum):
    """Where a request for the early route stands (R8)."""

    REQUESTED = "requested"
    GRANTED = "granted"
    REFUSED = "refused"


class Decision(Enum):
    """What the committee decided on a concluded assessment (R14)."""

    RATIFIED = "ratified"
    REFERRED_BACK = "referred_back"


class Result(Enum):
    """The ratified result of a high-stake attempt."""

    PASSED = "passed"
    FAILED = "failed"


class Phase(Enum):
    """Where a trajectory stands; derived from its events, never set directly."""

    ORIENTATION = "orientation"
    LOW_STAKES = "low_stakes"
    MEDIUM_STAKES = "medium_stakes"
    HIGH_STAKE = "high_stake"
    RESIT = "resit"
    CLOSED = "closed"


@dataclass(frozen=True)
class Actor:
    """Who performs a command: a person id and the role they act in (R1). Never a name."""

    person_id: str
    role: Role


@dataclass(frozen=True)
class CommandRef:
    """The idempotency key of the request that caused an event, and a fingerprint of its body."""

    key: str
    fingerprint: str
