"""schemathesis against the app's own OpenAPI document: every operation, generated input.

The app runs under uvicorn (real sockets). Each case is sent with a token of a persona whose
relation the operation's declaration allows (see docs/authorization.md), so that it gets past
the access check; every other case names the real program, trajectory and attempt, so that
generated commands also reach the domain rules and the event store. Zero 5xx, and every
response conforms to the documented schema (status code, content type, body, headers).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig

from api.app import create_app
from api.authorization import operations
from api.settings import Settings
from domain.policy import Relation
from domain.values import Role
from tests.api_support import HttpJourney, serving, setup_program

MAX_EXAMPLES = 25
# Who acts in the world below, by relation (admin first: it reaches the most commands).
PERSONAS: dict[Relation, tuple[str, Role]] = {
    Relation.ADMINISTRATION: ("admin-1", Role.ADMIN),
    Relation.STUDENT: ("student-1", Role.STUDENT),
    Relation.COACH: ("coach-1", Role.COACH),
    Relation.PROGRAM_COACH: ("coach-1", Role.COACH),
    Relation.MENTOR: ("mentor-1", Role.MENTOR),
    Relation.COMMITTEE: ("committee-1", Role.COMMITTEE),
    Relation.ASSESSOR: ("assessor-1", Role.ASSESSOR),
    Relation.OVERSIGHT: ("quality-1", Role.QUALITY),
    Relation.PRIVACY_OFFICER: ("privacy-1", Role.PRIVACY),
    Relation.DATA_SUBJECT: ("student-1", Role.STUDENT),
    Relation.ANYONE: ("admin-1", Role.ADMIN),
}


@dataclass
class Target:
    base_url: str
    tokens: dict[tuple[str, Role], str]
    real: dict[str, str]


DECLARED = {op.name: op for op in operations(create_app(Settings(_env_file=None)))}


def persona(operation: str) -> tuple[str, Role] | None:
    """A persona the operation's declaration lets through; None for a public one."""
    op = DECLARED[operation]
    if op.public:
        return None
    allowed = (
        op.command.issued_by.relations
        if op.command is not None
        else op.read.readers
        if op.read is not None
        else frozenset()
    )
    for relation, who in PERSONAS.items():
        if relation in allowed:
            return who
    raise LookupError(f"{operation}: no persona of this world may call it")


@pytest.fixture(scope="module")
def target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    data_dir = tmp_path_factory.mktemp("schemathesis")
    api_settings = Settings(data_dir=data_dir, database_url=None, _env_file=None)
    with serving(api_settings) as api:
        program_id = setup_program(api)
        journey = HttpJourney(api, program_id, "student-1")
        journey.to_green_light()
        tokens = {who: api.token(*who) for who in PERSONAS.values()}
        real = {
            "program_id": program_id,
            "trajectory_id": journey.id,
            "attempt": "1",
            "number": "1",
            "evidence_id": "ev-1",
            "student_id": "student-1",
        }
        yield Target(str(api.client.base_url).rstrip("/"), tokens, real)


# A schema-valid request may still be refused by the domain: 412 (If-Match names another
# version) and 422 (invalid input by a rule) join the statuses schemathesis accepts for it; the
# test itself checks that such a 422 is never a schema validation failure. A body the schema
# allows may still be larger than the API accepts at all (api/limits.py): 413. Unknown query
# parameters are ignored, as HTTP APIs commonly do, so they are not generated.
CONFIG = SchemathesisConfig.from_str("""
[generation]
allow-extra-parameters = false

[checks.positive_data_acceptance]
expected-statuses = ["2xx", "3xx", "401", "403", "404", "409", "412", "413", "422"]

[checks.negative_data_rejection]
expected-statuses = [
    "400", "401", "403", "404", "405", "406", "409", "413", "415", "422", "428", "429", "5xx"
]
""")
# The schema of an app built the same way (no store is opened: its lifespan never runs).
schema = schemathesis.openapi.from_dict(
    create_app(Settings(_env_file=None)).openapi(),
    config=CONFIG,
)
alternate = itertools.count()


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_api_conforms_to_its_schema(case: Any, target: Target) -> None:
    operation = f"{case.operation.method.upper()} {case.operation.path}"
    who = persona(operation)
    headers = {"Authorization": f"Bearer {target.tokens[who]}"} if who else {}
    positive = case.meta is not None and case.meta.generation.mode.is_positive
    if positive and next(alternate) % 2:
        for name in list(case.path_parameters or {}):
            if name in target.real:
                case.path_parameters[name] = target.real[name]
    response = case.call_and_validate(base_url=target.base_url, headers=headers)
    if positive and response.status_code == 422:
        problem = response.json()
        assert not problem["type"].endswith("/validation"), (
            f"{operation}: a request the schema allows failed validation: {problem}"
        )
