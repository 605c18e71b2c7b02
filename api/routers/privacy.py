"""Privacy: what is due for erasure, a student's access export, and erasure requests.

`GET /privacy/due` is for the privacy officer; `GET /privacy/students/{student_id}/export` for
the student themselves and the privacy officer, and to anyone else the student does not exist
(404, word for word as for an unknown id). An erasure request is recorded by a POST; the shred
itself is done by `bewijsketen privacy erase` and the retention job, which also rebuild the
read models.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Response
from pydantic import BaseModel, Field

from api.commands import CommandRoute, endpoint, response_model
from api.deps import StateDep, may_read
from api.privacy_export import make_export
from api.problems import problems
from api.responses import json_response
from domain import commands as c
from domain import policy
from domain.privacy import retention
from domain.values import Actor

router = APIRouter(tags=["privacy"])

StudentId = Annotated[
    str,
    Path(
        min_length=1,
        max_length=200,
        pattern=r"^[^\x00-\x20\x7f-\xa0]+$",
        description="The student's (pseudonymous) id.",
    ),
]
DueReader = Annotated[Actor, Depends(may_read(policy.READS["privacy_due"]))]
ExportReader = Annotated[Actor, Depends(may_read(policy.READS["privacy_export"]))]


class DueItem(BaseModel):
    student_id: str = Field(description="The student.")
    retention: Literal["formative", "exam"] = Field(description="The retention class due.")
    because: Literal["period", "request"] = Field(
        description="period: its retention period ended; request: an erasure request asks it."
    )
    since: date = Field(description="The day it became due.")
    request_id: uuid.UUID | None = Field(description="The erasure request it carries out.")
    trajectory_ids: list[uuid.UUID] = Field(description="The student's trajectories.")


class WaitingItem(BaseModel):
    student_id: str = Field(description="The student.")
    request_id: uuid.UUID = Field(description="The erasure request that waits.")
    hold_ends: date = Field(description="The first day the exam record may be erased.")
    trajectory_ids: list[uuid.UUID] = Field(description="The student's trajectories.")


class DueReport(BaseModel):
    today: date = Field(description="The day the schedule is computed for (Europe/Amsterdam).")
    due: list[DueItem] = Field(description="What may be erased now.")
    waiting: list[WaitingItem] = Field(
        description="Erasure requests of exam records under a legal hold, carried out by the "
        "retention job when the hold ends."
    )


def due_report(schedule: retention.Schedule) -> DueReport:
    return DueReport(
        today=schedule.today,
        due=[
            DueItem(
                student_id=d.student_id,
                retention=d.retention,
                because=d.because,
                since=d.since,
                request_id=d.request_id,
                trajectory_ids=list(d.trajectory_ids),
            )
            for d in schedule.due()
        ],
        waiting=[
            WaitingItem(
                student_id=w.student_id,
                request_id=w.request_id,
                hold_ends=w.hold_ends,
                trajectory_ids=list(w.trajectory_ids),
            )
            for w in schedule.waiting()
        ],
    )


@router.get(
    "/privacy/due",
    response_model=DueReport,
    operation_id="get_privacy_due",
    summary="What may be erased now",
    responses=problems(401, 403),
)
def get_due(state: StateDep, actor: DueReader) -> Response:
    """Per student and retention class: what may be erased now (its period ended, or an erasure
    request asks it), and the requests that wait for a legal hold to end."""
    return json_response(due_report(retention.schedule(state.application)))


@router.get(
    "/privacy/students/{student_id}/export",
    operation_id="get_access_export",
    summary="Everything stored about a student",
    response_class=Response,
    responses={
        200: {
            "description": "A zip of export.json and export.html (Dutch).",
            "content": {"application/zip": {"schema": {"type": "string", "format": "binary"}}},
        },
        **problems(401, 404, 422),
    },
)
def get_export(student_id: StudentId, state: StateDep, actor: ExportReader) -> Response:
    """Every event of every trajectory of the student with every text opened (also what others
    wrote about them), their person registry entry, the status of their keys and the privacy
    records about them; recorded in the privacy ledger. For the student themselves and the
    privacy officer; 404 for anyone else, as for a student of whom nothing is stored."""
    made = make_export(state.application, state.persons, actor, student_id)
    headers = {"Content-Disposition": f'attachment; filename="inzage-{made.sha256[:12]}.zip"'}
    return Response(made.content, media_type="application/zip", headers=headers)


ERASURE = CommandRoute(
    c.RequestErasure, "/privacy/students/{student_id}/erasure-requests", "privacy", 201
)
router.add_api_route(
    ERASURE.path,
    endpoint(ERASURE),
    methods=["POST"],
    status_code=ERASURE.status,
    response_model=response_model(ERASURE),
    summary=ERASURE.summary,
    description=ERASURE.description,
    operation_id=ERASURE.operation_id,
    responses=problems(400, 401, 403, 404, 409, 422),
)
