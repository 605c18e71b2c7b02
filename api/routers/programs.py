"""Programs: registration, versions and staff (commands for admins), and their views."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Response, status

from api.commands import CommandContext, IfNoneMatch, command, etag, etag_matches
from api.deps import ALL_ROLES, ApplicationDep, require_roles
from api.problems import Problem, problems
from api.responses import json_response
from api.schemas.common import CommandResponse
from api.schemas.programs import (
    ProgramDefinitionModel,
    ProgramRegistration,
    ProgramVersionPublished,
    ProgramVersionView,
    ProgramView,
    StaffRegistration,
)
from domain.program import ProgramDefinition
from domain.values import Actor, Role
from domain.views import program_view

router = APIRouter(tags=["programs"])

ProgramId = Annotated[uuid.UUID, Path(description="The program's id.")]
VersionNumber = Annotated[int, Path(ge=1, le=1_000_000, description="A published version.")]
Admin = Annotated[CommandContext, Depends(command(Role.ADMIN))]
AdminNoIfMatch = Annotated[CommandContext, Depends(command(Role.ADMIN, if_match=False))]
Reader = Annotated[Actor, Depends(require_roles(*ALL_ROLES))]

COMMAND_PROBLEMS = problems(400, 401, 403, 404, 409, 412, 422)


@router.post(
    "/programs",
    status_code=status.HTTP_201_CREATED,
    response_model=CommandResponse,
    summary="Register a program",
    responses=problems(400, 401, 403, 409, 422),
)
def register_program(body: ProgramRegistration, cmd: AdminNoIfMatch) -> Response:
    """The program's id derives from its code, so registering the same code twice is a 409
    (unless it is a repeat with the same Idempotency-Key)."""
    outcome = cmd.run(
        body,
        lambda ref, _: cmd.application.register_program(body.code, body.title, cmd.actor, ref),
        location=lambda pid: f"/programs/{pid}",
    )
    return cmd.answer(CommandResponse(**outcome.fields()), 201)


@router.post(
    "/programs/{program_id}/versions",
    status_code=status.HTTP_201_CREATED,
    response_model=ProgramVersionPublished,
    summary="Publish a new program version",
    responses=COMMAND_PROBLEMS,
)
def publish_version(program_id: ProgramId, body: ProgramDefinitionModel, cmd: Admin) -> Response:
    """Versions never change once published; trajectories stay on the version they started
    on (R3)."""
    definition = ProgramDefinition.from_dict(body.model_dump(mode="json"))
    outcome = cmd.run(
        body,
        lambda ref, expected: cmd.application.publish_program_version(
            program_id, definition, cmd.actor, ref, expected
        ),
        replay_value=lambda event: event.number,
    )
    cmd.headers["Location"] = f"/programs/{program_id}/versions/{outcome.value}"
    return cmd.answer(ProgramVersionPublished(**outcome.fields(), number=int(outcome.value)), 201)


@router.post(
    "/programs/{program_id}/staff",
    response_model=CommandResponse,
    summary="Register a staff member (coach, mentor, assessor, committee)",
    responses=problems(400, 401, 403, 404, 409, 422),
)
def register_staff(program_id: ProgramId, body: StaffRegistration, cmd: AdminNoIfMatch) -> Response:
    outcome = cmd.run(
        body,
        lambda ref, _: cmd.application.register_staff(
            program_id, body.person_id, body.role, cmd.actor, ref
        ),
    )
    return cmd.answer(CommandResponse(**outcome.fields()))


@router.post(
    "/programs/{program_id}/staff/deregistrations",
    response_model=CommandResponse,
    summary="Deregister a staff member",
    responses=problems(400, 401, 403, 404, 409, 422),
)
def deregister_staff(
    program_id: ProgramId, body: StaffRegistration, cmd: AdminNoIfMatch
) -> Response:
    """The registration stays in the program's history; the person no longer holds the role."""
    outcome = cmd.run(
        body,
        lambda ref, _: cmd.application.deregister_staff(
            program_id, body.person_id, body.role, cmd.actor, ref
        ),
    )
    return cmd.answer(CommandResponse(**outcome.fields()))


@router.get(
    "/programs/{program_id}",
    response_model=ProgramView,
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
    program = application.get_program(program_id)
    tag = etag(program.version)
    if etag_matches(if_none_match, program.version):
        return Response(status_code=304, headers={"ETag": tag})
    return json_response(ProgramView.model_validate(program_view(program)), headers={"ETag": tag})


@router.get(
    "/programs/{program_id}/versions/{number}",
    response_model=ProgramVersionView,
    summary="One published version of a program",
    responses=problems(401, 403, 404, 422),
)
def get_program_version(
    program_id: ProgramId, number: VersionNumber, application: ApplicationDep, actor: Reader
) -> Response:
    program = application.get_program(program_id)
    if number not in program.versions:
        raise Problem(
            404, "Not found", f"program {program_id} has no version {number}", kind="not-found"
        )
    return json_response(
        ProgramVersionView(
            program_id=program_id,
            number=number,
            definition=ProgramDefinitionModel.model_validate(program.versions[number]),
        )
    )
