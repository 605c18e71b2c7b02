"""schemathesis against the app's own OpenAPI document: every operation, generated input.

The app runs under uvicorn (real sockets). Each case is sent with a token of a role the
authorization matrix allows for the operation, so that it gets past the route's gate; every other
case names the real program, trajectory and attempt, so that generated commands also reach the
domain rules and the event store. Zero 5xx, and every response conforms to the documented
schema (status code, content type, body, headers).
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
from api.settings import ApiSettings
from domain.values import Role
from tests.api_support import HttpJourney, serving, setup_program
from tests.test_api_authorization import MATRIX, PERSONAS

MAX_EXAMPLES = 25


@dataclass
class Target:
    base_url: str
    tokens: dict[Role, str]
    real: dict[str, str]


def pick_role(operation: str) -> Role | None:
    """A role the matrix lets through (admin first: it reaches the most commands). A route
    without a row (test_api_authorization fails for it) is tried as the admin."""
    row = MATRIX.get(operation)
    if row is None:
        return Role.ADMIN
    for role in (Role.ADMIN, *Role):
        if row[role.value] in ("yes", "own"):
            return role
    return None


@pytest.fixture(scope="module")
def target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    data_dir = tmp_path_factory.mktemp("schemathesis")
    api_settings = ApiSettings(data_dir=data_dir, database_url=None, _env_file=None)
    with serving(api_settings) as api:
        program_id = setup_program(api)
        journey = HttpJourney(api, program_id, PERSONAS[Role.STUDENT])
        journey.to_green_light()
        tokens = {role: api.token(person, role) for role, person in PERSONAS.items()}
        real = {
            "program_id": program_id,
            "trajectory_id": journey.id,
            "attempt": "1",
            "number": "1",
            "evidence_id": "ev-1",
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
    create_app(ApiSettings(_env_file=None)).openapi(),
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
    role = pick_role(operation)
    headers = {"Authorization": f"Bearer {target.tokens[role]}"} if role else {}
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
