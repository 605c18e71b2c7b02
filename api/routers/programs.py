"""Reading programs: their versions and staff. The commands are in api/routers/commands.py."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Response
from pydantic import BaseModel, Field

from api.commands import IfNoneMatch, etag, etag_matches
from api.deps import ApplicationDep, may_read
from api.problems import Problem, problems
from api.reading import Limit, Offset
from api.responses import json_response
from api.schemas.programs import ProgramDefinitionView, ProgramVersionView, ProgramView
from domain import policy
from domain.values import Actor
from domain.views import program_view

router = APIRouter(tags=["programs"])

ProgramId = Annotated[uuid.UUID, Path(description="The program's id.")]
VersionNumber = Annotated[int, Path(ge=1, le=1_000_000, description="A published version.")]
Reader = Annotated[Actor, Depends(may_read(policy.READS["program"]))]


class ProgramItem(BaseModel):
    id: uuid.UUID
    code: str
    title: str
    latest_version: int | None
    version: int = Field(description="The program aggregate's version (its ETag).")


class ProgramPage(BaseModel):
    """One page of programs, ordered by code."""

    limit: int = Field(description="Page size asked for.")
    offset: int = Field(description="Programs skipped.")
    next_offset: int | None = Field(description="Offset of the next page; null on the last.")
    total: int = Field(description="All programs.")
    items: list[ProgramItem]


@router.get(
    "/programs",
    response_model=ProgramPage,
    operation_id="list_programs",
    summary="Every program, by code",
    responses=problems(401, 403, 422),
)
def list_programs(
    application: ApplicationDep,
    actor: Reader,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Response:
    """Every program the school runs this way, with its latest published version."""
    programs = list(application.directory.programs())
    chosen = programs[offset : offset + limit]
    more = offset + limit < len(programs)
    items = [
        ProgramItem(
            id=p.id, code=p.code, title=p.title, latest_version=p.latest_version, version=p.version
        )
        for p in chosen
    ]
    page = ProgramPage(
        limit=limit,
        offset=offset,
        next_offset=offset + limit if more else None,
        total=len(programs),
        items=items,
    )
    return json_response(page)


@router.get(
    "/programs/{program_id}",
    response_model=ProgramView,
    operation_id="get_program",
    summary="A program: its versions and staff",
    responses={
        304: {"description": "Not modified (If-None-Match)."},
        **problems(401, 403, 404, 422),
    },
)
def get_program(
    program_id: ProgramId,
    application: ApplicationDep,
    actor: Reader,
    if_none_match: IfNoneMatch = None,
) -> Response:
    """Its published versions and the staff registered per role; the ETag is its version."""
    program = application.get_program(program_id)
    tag = etag(program.version)
    if etag_matches(if_none_match, program.version):
        return Response(status_code=304, headers={"ETag": tag})
    return json_response(ProgramView.model_validate(program_view(program)), headers={"ETag": tag})


@router.get(
    "/programs/{program_id}/versions/{number}",
    response_model=ProgramVersionView,
    operation_id="get_program_version",
    summary="One published version of a program",
    responses=problems(401, 403, 404, 422),
)
def get_program_version(
    program_id: ProgramId, number: VersionNumber, application: ApplicationDep, actor: Reader
) -> Response:
    """The definition as published: outcomes, criteria, rubric and settings (R3)."""
    program = application.get_program(program_id)
    if number not in program.versions:
        raise Problem(
            404, "Not found", f"program {program_id} has no version {number}", kind="not-found"
        )
    return json_response(
        ProgramVersionView(
            program_id=program_id,
            number=number,
            definition=ProgramDefinitionView.model_validate(program.versions[number]),
        )
    )
