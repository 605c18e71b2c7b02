"""Bodies of the medium-stakes and the high-stake: levels, green light, judgments, votes."""

from __future__ import annotations

from typing import Literal

from pydantic import ConfigDict, Field, JsonValue

from api.schemas.common import (
    MAX_INT,
    MAX_ITEMS,
    Body,
    Code,
    CommandResponse,
    ItemId,
    Level,
    PersonId,
    Sha256,
    Text,
    Uri,
)
from domain.values import Verdict, Vote

EXAMPLE_SHA256 = "5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8"
LEVELS_EXAMPLE: dict[str, JsonValue] = {c: "bekwaam" for c in ("LO1", "LO2", "LO3", "LO4", "LO5")}


class MediumStakeRecord(Body):
    """A medium-stake (50% or 70%): interim portfolio, a level per outcome, feedback (R6)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "portfolio": ["ev-1", "ev-2"],
                    "levels": LEVELS_EXAMPLE,
                    "feedback": "Strong progress on LO3",
                    "rationale": "Levels set against the rubric",
                }
            ]
        }
    )

    portfolio: list[ItemId] = Field(max_length=MAX_ITEMS, description="Evidence ids.")
    levels: dict[Code, Level] = Field(max_length=MAX_ITEMS, description="A level per outcome.")
    feedback: Text = Field("", description="The coach's feedback.")
    rationale: Text = Field(description="Why these levels.")


class MediumStakeHeld(CommandResponse):
    number: int = Field(description="1 for the first medium-stake, 2 for the second.")


class GreenLightDecision(Body):
    """The coach gives the green light for the high-stake, or withholds it with advice (R7)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"decision": "give", "rationale": "Enough evidence on every outcome"},
                {
                    "decision": "withhold",
                    "rationale": "LO4 is thin",
                    "advice": "Gather two more test reports for LO4",
                },
            ]
        }
    )

    decision: Literal["give", "withhold"]
    rationale: Text
    advice: Text = Field("", description="When withholding: what to gather more evidence on.")


class EarlyHighStakeRequest(Body):
    """The student asks for the early route after the first medium-stake (R8)."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"motivation": "Every outcome is vakkundig already"}]}
    )

    motivation: Text = ""


class EarlyHighStakeDecision(Body):
    """The coach grants or refuses a pending early-route request (R8)."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"grant": True, "rationale": "Strong interim portfolio"}]}
    )

    grant: bool
    rationale: Text


class HighStakeRequest(Body):
    """The student requests the high-stake with a portfolio and a reading guide (R9)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "portfolio": [
                        "ev-1",
                        "ev-2",
                        "ev-3",
                        "ev-4",
                        "ev-5",
                        "ev-6",
                        "ev-7",
                        "ev-8",
                        "ev-9",
                        "ev-10",
                    ],
                    "reading_guide_uri": "https://portfolio.example.nl/student-01/guide",
                    "reading_guide_sha256": EXAMPLE_SHA256,
                }
            ]
        }
    )

    portfolio: list[ItemId] = Field(max_length=MAX_ITEMS, description="Evidence ids.")
    reading_guide_uri: Uri
    reading_guide_sha256: Sha256
    ai_explanation: Text = Field(
        "", description="Required when a portfolio item declares AI or external use."
    )


class HighStakeRequested(CommandResponse):
    attempt: int = Field(description="The attempt number (1, then 2 for a resit, ...).")


class AssessorAssignment(Body):
    """At least two distinct registered assessors, not all the coach (R10)."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"assessor_ids": ["assessor-1", "assessor-2"]}]}
    )

    assessor_ids: list[PersonId] = Field(max_length=20)


class JudgmentSubmission(Body):
    """An assessor's independent judgment: a level and rationale per outcome, a verdict (R11)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "levels": LEVELS_EXAMPLE,
                    "level_rationales": {c: "The portfolio shows it" for c in LEVELS_EXAMPLE},
                    "verdict": "pass",
                    "rationale": "Holistic judgment of the portfolio",
                }
            ]
        }
    )

    levels: dict[Code, Level] = Field(max_length=MAX_ITEMS)
    level_rationales: dict[Code, Text] = Field(max_length=MAX_ITEMS)
    verdict: Verdict
    rationale: Text


class CriterionInterviewRecord(Body):
    """The record of a criterion-based interview (CGI), held on doubt or disagreement (R12)."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"notes": "Asked about the test strategy of LO4"}]}
    )

    notes: Text


class FinalLevelsAgreement(Body):
    """The assessors' agreed final level per outcome (R12)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"levels": LEVELS_EXAMPLE, "rationale": "Agreed after the CGI"}]
        }
    )

    levels: dict[Code, Level] = Field(max_length=MAX_ITEMS)
    rationale: Text


class Conclusion(Body):
    """Concludes the assessment: passed iff every outcome reaches the pass level (R13)."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"rationale": "Every outcome at least bekwaam"}]}
    )

    rationale: Text


class AssessmentConcluded(CommandResponse):
    passed: bool = Field(description="Whether every outcome reached the pass level.")


class VoteSubmission(Body):
    """A committee member's vote on the concluded assessment (R14)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"vote": "ratify", "rationale": "Procedure followed, well argued"}]
        }
    )

    vote: Vote
    rationale: Text


class VoteCast(CommandResponse):
    decision: Literal["ratified", "referred_back"] | None = Field(
        description="The committee's decision if this vote completed the quorum."
    )


class DevelopmentPlanRecord(Body):
    """After a ratified fail, the plan before a resit (R15)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"attempt": 1, "plan": "Two more test reports on LO4, then a resit"}]
        }
    )

    attempt: int = Field(ge=1, le=MAX_INT, description="The failed attempt.")
    plan: Text
