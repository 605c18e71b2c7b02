"""Bodies of the low-stakes chapter: evidence, feedback, progress checks, baseline, exhibitions."""

from __future__ import annotations

from pydantic import ConfigDict, Field

from api.schemas.common import (
    MAX_ITEMS,
    Body,
    Code,
    ItemId,
    Level,
    PersonId,
    Sha256,
    Text,
    Uri,
)
from domain.values import EvidenceKind, FeedbackSource, TrafficLight

EXAMPLE_SHA256 = "5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8"


class EvidenceSubmission(Body):
    """A piece of evidence (leerbewijs): a content reference and the SHA-256 of the content (R2)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "evidence_id": "ev-101",
                    "title": "Sprint plan with estimates",
                    "kind": "product",
                    "uri": "https://portfolio.example.nl/student-01/ev-101",
                    "sha256": EXAMPLE_SHA256,
                    "outcomes": ["LO1"],
                }
            ]
        }
    )

    evidence_id: ItemId
    title: Text = Field(max_length=500, description="What the evidence is.")
    kind: EvidenceKind = Field(description="The kind of evidence.")
    uri: Uri
    sha256: Sha256
    outcomes: list[Code] = Field(
        default_factory=list, max_length=MAX_ITEMS, description="Learning outcomes it shows."
    )
    criteria: list[Code] = Field(
        default_factory=list, max_length=MAX_ITEMS, description="Quality criteria it shows."
    )
    ai_use: bool = Field(False, description="An AI tool was used (declare how).")
    external_sources: bool = Field(False, description="External sources were used (declare).")
    declaration: Text = Field("", description="How AI or external sources were used (R9).")


class EvidenceWithdrawal(Body):
    """Withdraws evidence: it stays in the record, marked withdrawn (R2)."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"reason": "Uploaded the wrong version"}]}
    )

    reason: Text = Field(description="Why the evidence is withdrawn.")


class FeedbackRequestSubmission(Body):
    """The student asks someone for feedback on outcomes, optionally on one evidence item."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "request_id": "rq-1",
                    "requested_from": "coach-1",
                    "source": "coach",
                    "outcomes": ["LO1"],
                    "question": "Is my estimate realistic?",
                }
            ]
        }
    )

    request_id: ItemId
    requested_from: PersonId
    source: FeedbackSource
    outcomes: list[Code] = Field(min_length=0, max_length=MAX_ITEMS)
    evidence_id: ItemId | None = None
    question: Text = ""


class FeedbackSubmission(Body):
    """Feedback on outcomes or criteria, never on a product as such (R5)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "feedback_id": "fb-101",
                    "source": "self",
                    "giver_id": "student-01",
                    "outcomes": ["LO1"],
                    "text": "My plan was too optimistic; next time I estimate testing too.",
                }
            ]
        }
    )

    feedback_id: ItemId
    source: FeedbackSource = Field(description="self, peer, coach, practice or client.")
    giver_id: PersonId = Field(description="Who gives it (the student, for self-reflection).")
    outcomes: list[Code] = Field(default_factory=list, max_length=MAX_ITEMS)
    criteria: list[Code] = Field(default_factory=list, max_length=MAX_ITEMS)
    evidence_id: ItemId | None = Field(None, description="The evidence it is about, if any.")
    text: Text = Field(description="The feedback.")
    request_id: ItemId | None = Field(None, description="The request it answers, if any.")


class ProgressCheckRecord(Body):
    """An interim conversation with its traffic light (tussenevaluatie)."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"light": "orange", "notes": "LO4 lacks evidence"}]}
    )

    light: TrafficLight
    notes: Text = Field("", description="Required for orange and red: what must improve.")


class BaselineRecord(Body):
    """A starting measurement (0-meting) for one outcome."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"outcome": "LO1", "level": "beginnend", "rationale": "Intake talk"}]
        }
    )

    outcome: Code
    level: Level
    rationale: Text


class ExhibitionPublication(Body):
    """The student's own selection of key evidence, as a showcase."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"exhibition_id": "showcase-1", "title": "My best work", "evidence_ids": ["ev-1"]}
            ]
        }
    )

    exhibition_id: ItemId
    title: Text = Field(max_length=500)
    evidence_ids: list[ItemId] = Field(max_length=MAX_ITEMS)
