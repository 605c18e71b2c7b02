"""Request bodies over the size limit get 413, bodies nested too deep get 422: never a 500, and
the kept-alive connection serves the next request. Over a real socket (uvicorn)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from api.limits import DEFAULT_MAX_BYTES, DEFAULT_MAX_DEPTH, nesting_exceeds
from api.settings import Settings
from domain.values import Role
from tests.api_support import Api, api_settings, serving, setup_program

PROBLEM_JSON = "application/problem+json"
COACH = ("coach-1", Role.COACH)


@pytest.fixture
def api(settings: Settings) -> Iterator[Api]:
    with serving(api_settings(settings)) as api:
        yield api


def nested(depth: int) -> Any:
    value: Any = "leaf"
    for level in range(depth):
        value = [value] if level % 2 else {"k": value}
    return value


def connection_of(response: httpx.Response) -> Any:
    """The client's local address: the same one means the same kept-alive connection."""
    return response.extensions["network_stream"].get_extra_info("client_addr")


def start_body(program_id: str, **extra: Any) -> dict[str, Any]:
    return {
        "program_id": program_id,
        "student_id": "student-1",
        "cohort": "2026-A",
        "coach_id": "coach-1",
        "mentor_id": "mentor-1",
        **extra,
    }


def events(api: Api) -> int:
    return int(api.state.application.recorder.max_notification_id() or 0)


def test_a_body_over_the_limit_is_413_and_the_connection_stays(api: Api) -> None:
    program_id = setup_program(api)
    before = events(api)
    headers = api.headers(COACH, **{"content-type": "application/json"})
    first = api.client.get("/health")
    big = json.dumps(start_body(program_id, cohort="x" * (DEFAULT_MAX_BYTES + 10))).encode()
    refused = api.client.post("/trajectories", content=big, headers=headers)
    assert refused.status_code == 413, refused.text
    assert refused.headers["content-type"] == PROBLEM_JSON
    body = refused.json()
    assert body["type"].endswith("/body-too-large") and body["max_bytes"] == DEFAULT_MAX_BYTES

    # Without a Content-Length (chunked), the limit holds as the body arrives.
    def chunks() -> Iterator[bytes]:
        for i in range(0, len(big), 64 * 1024):
            yield big[i : i + 64 * 1024]

    chunked = api.client.post("/trajectories", content=chunks(), headers=headers)
    assert chunked.status_code == 413, chunked.text
    after = api.client.get("/health")
    assert after.status_code == 200
    assert connection_of(after) == connection_of(first)
    assert events(api) == before
    # A body within the limit is served as before.
    api.post("/trajectories", start_body(program_id), COACH, 201)


@pytest.mark.parametrize("depth", [DEFAULT_MAX_DEPTH + 1, 400, 5000])
def test_a_body_nested_too_deep_is_422_never_500(api: Api, depth: int) -> None:
    program_id = setup_program(api)
    before = events(api)
    first = api.client.get("/health")
    # Built as text: the standard library's encoder itself stops near 1,000 levels.
    text = json.dumps(start_body(program_id, cohort="@"))
    deep = text.replace('"@"', "[" * depth + '"x"' + "]" * depth).encode()
    headers = api.headers(COACH, **{"content-type": "application/json"})
    refused = api.client.post("/trajectories", content=deep, headers=headers)
    assert refused.status_code == 422, refused.text
    assert refused.headers["content-type"] == PROBLEM_JSON
    problem = refused.json()
    assert problem["type"].endswith("/body-too-deep")
    assert problem["max_depth"] == DEFAULT_MAX_DEPTH
    after = api.client.get("/health")
    assert after.status_code == 200 and connection_of(after) == connection_of(first)
    assert events(api) == before


def test_a_body_at_the_depth_limit_reaches_validation(api: Api) -> None:
    program_id = setup_program(api)
    # The body object itself is one level; the cohort brings it to the limit exactly.
    answer = api.post(
        "/trajectories", start_body(program_id, cohort=nested(DEFAULT_MAX_DEPTH - 1)), COACH, None
    )
    assert answer.status_code == 422
    assert answer.json()["type"].endswith("/validation")


def test_the_depth_count_ignores_brackets_inside_strings() -> None:
    assert not nesting_exceeds(json.dumps({"text": "[" * 1000 + '\\"{' * 50}).encode(), 32)
    assert nesting_exceeds(json.dumps(nested(33)).encode(), 32)
    assert not nesting_exceeds(json.dumps(nested(32)).encode(), 32)
    assert not nesting_exceeds(json.dumps([[1], [2]] * 100).encode(), 2)
    # Unbalanced text is left to the JSON parser, which reports it as invalid.
    assert not nesting_exceeds(b"]" * 100 + b"[" * 100, 32)
