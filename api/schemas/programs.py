"""Bodies of the program resource: registration, versions (definitions) and staff."""

from __future__ import annotations

import uuid
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from api.schemas.common import (
    MAX_ITEMS,
    Body,
    Code,
    CommandResponse,
    Level,
    PersonId,
    Text,
)
from domain.journey import SOFTWARE_DEVELOPER
from domain.values import StaffRole

ProgramCode = Annotated[
    str,
    Field(
        min_length=1,
        max_length=100,
        pattern=r"^[^\x00-\x20\x7f-\xa0]+$",
        description="The program's short code; its id is derived from it.",
        examples=["SD-AI"],
    ),
]


class ProgramRegistration(Body):
    """Registers a new program (leerprogramma); publish a version before trajectories start."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"code": "SD-AI", "title": "Software developer: AI-tools"}]}
    )

    code: ProgramCode
    title: Text = Field(
        description="The program's title.", examples=["Software developer: AI-tools"]
    )


class CriterionModel(Body):
    code: Code = Field(description="Quality criterion code, unique within the version.")
    description: Text = Field(description="What the criterion asks for.")


class OutcomeModel(Body):
    code: Code = Field(description="Learning outcome code, unique within the version.")
    title: Text = Field(description="The observable result the outcome describes.")
    qualification_refs: list[Text] = Field(
        default_factory=list,
        max_length=MAX_ITEMS,
        description="The qualification file's core tasks and work processes it bundles.",
    )
    criteria: list[CriterionModel] = Field(default_factory=list, max_length=MAX_ITEMS)


class RubricModel(Body):
    levels: list[Level] = Field(
        default=["verkennend", "beginnend", "ontwikkelend", "vakkundig", "bekwaam", "professional"],
        min_length=2,
        max_length=20,
        description="Rubric levels, lowest first.",
    )
    pass_level: Level = Field("bekwaam", description="Every outcome must reach it (R13).")
    early_level: Level = Field("vakkundig", description="The level that counts for R8.")


class ProgramSettingsModel(Body):
    medium_stake_moments: tuple[
        Annotated[int, Field(ge=1, le=100)], Annotated[int, Field(ge=1, le=100)]
    ] = Field((50, 70), description="Percentages of the program at the two medium-stakes (R6).")
    early_fraction: float = Field(
        0.5, ge=0, lt=1, description="Strictly more than this share at the early level (R8)."
    )
    min_evidence_per_outcome: int = Field(2, ge=1, le=100, description="R9.")
    min_assessors: int = Field(2, ge=2, le=20, description="R10.")
    assessor_independence: bool = Field(True, description="R10: one assessor is not the coach.")
    committee_quorum: int = Field(2, ge=1, le=50, description="R14.")


class ProgramDefinitionModel(Body):
    """What a published version fixes: the rules trajectories started on it run under (R3)."""

    model_config = ConfigDict(json_schema_extra={"examples": [SOFTWARE_DEVELOPER]})

    title: Text = Field(description="Title of this version.")
    outcomes: list[OutcomeModel] = Field(min_length=1, max_length=50)
    rubric: RubricModel = Field(default_factory=RubricModel)
    settings: ProgramSettingsModel = Field(default_factory=ProgramSettingsModel)


class StaffRegistration(Body):
    """Registers a person in a staff role for the program (R7, R10, R14)."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"person_id": "assessor-4", "role": "assessor"}]}
    )

    person_id: PersonId
    role: StaffRole = Field(description="The staff role in this program.")


class ProgramVersionPublished(CommandResponse):
    number: int = Field(description="The number of the published version.", examples=[2])


class ProgramView(BaseModel):
    id: uuid.UUID
    code: str
    title: str
    version: int = Field(description="The program aggregate's version (its ETag).")
    versions: list[int] = Field(description="Numbers of the published versions.")
    latest_version: int | None
    staff: dict[str, list[str]] = Field(description="Person ids per staff role.")


class ProgramVersionView(BaseModel):
    program_id: uuid.UUID
    number: int
    definition: ProgramDefinitionModel = Field(description="The definition as published.")
