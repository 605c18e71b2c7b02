"""Views of the program resource."""

from __future__ import annotations

import uuid

from pydantic import BaseModel, Field

from domain.commands import OutcomeModel, ProgramSettingsModel, RubricModel


class ProgramDefinitionView(BaseModel):
    """What a published version fixes: the rules trajectories started on it run under (R3)."""

    title: str
    outcomes: list[OutcomeModel]
    rubric: RubricModel
    settings: ProgramSettingsModel


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
    definition: ProgramDefinitionView = Field(description="The definition as published.")
