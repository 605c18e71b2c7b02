"""GET /persons/{id}: a person's display name, for those who may know it.

The events carry person ids only; names live in the person registry. Staff of any program are
known by name to everyone signed in (students see who coaches and assesses them); a student
only to themselves and to those who may read one of their trajectories. To anyone else the
person does not exist.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Response
from pydantic import BaseModel, Field

from api.deps import StateDep, may_read
from api.problems import problems
from api.responses import json_response
from domain import policy
from domain.errors import NotFound, ReadNotPermitted
from domain.values import Actor, StaffRole

router = APIRouter(tags=["persons"])

PersonId = Annotated[
    str,
    Path(
        min_length=1,
        max_length=200,
        pattern=r"^[^\x00-\x20\x7f-\xa0]+$",
        description="The person's id.",
    ),
]
Reader = Annotated[Actor, Depends(may_read(policy.READS["person"]))]


class PersonView(BaseModel):
    id: str
    name: str = Field(description="The display name, as the person registry has it.")
    staff: bool = Field(description="Registered as staff for a program.")


@router.get(
    "/persons/{person_id}",
    response_model=PersonView,
    operation_id="get_person",
    summary="A person's display name",
    responses=problems(401, 404, 422),
)
def get_person(person_id: PersonId, state: StateDep, actor: Reader) -> Response:
    """Staff are known to everyone signed in; a student to themselves and to those who may
    read one of their trajectories. Otherwise 404, as for a person who does not exist."""
    directory = state.application.directory
    staff = any(directory.programs_where(person_id, role) for role in StaffRole)
    name = state.persons.all().get(person_id)
    known = staff or actor.person_id == person_id or _reads_a_trajectory_of(state, actor, person_id)
    if name is None or not known:
        raise policy.not_found("person", person_id)
    return json_response(PersonView(id=person_id, name=name, staff=staff))


def _reads_a_trajectory_of(state: Any, actor: Actor, student_id: str) -> bool:
    """Whether the actor may read one of the student's trajectories: asked of the record itself
    (the directory and the access policy), so a trajectory started a moment ago counts."""
    app = state.application
    for trajectory_id in app.directory.trajectories_of(student_id):
        try:
            app.read_access(actor, app.get_trajectory(trajectory_id))
        except (NotFound, ReadNotPermitted):
            continue
        return True
    return False
