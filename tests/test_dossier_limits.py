"""The dossier renders every event the domain accepted, at the limits of depth and size: a
correction whose free-form details nest as deep as the event store could encode, or carry
megabytes, written straight through the domain (past the API's own limits)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from domain.config import Settings
from domain.journey import Journey, setup_program
from domain.values import Actor, Role
from projections.audit.deep_json import dumps, dumps_iterative
from projections.audit.keys import private_pem
from tests.api_support import Api, api_settings, running_api

COMMITTEE = Actor("committee-1", Role.COMMITTEE)


@pytest.fixture
def api(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[Api]:
    key = Ed25519PrivateKey.generate()
    monkeypatch.setenv("BEWIJSKETEN_AUDIT_PRIVATE_KEY", private_pem(key).decode())
    with running_api(api_settings(settings)) as api:
        yield api


def nested(depth: int) -> dict[str, Any]:
    value: Any = "bottom"
    for level in range(depth):
        value = [value] if level % 2 else {"k": value}
    return {"deep": value}


def depth_of(value: Any) -> int:
    depth = 0
    while isinstance(value, dict | list):
        value = value["k"] if isinstance(value, dict) else value[0]
        depth += 1
    return depth


def deepest_correction(walk: Journey) -> int:
    """Records the deepest correction the domain accepts; returns its depth."""
    app = walk.app
    depth = 3000
    while True:
        try:
            app.record_correction(walk.id, 1, "Nested correction", nested(depth), COMMITTEE)
            return depth
        except RecursionError:
            # The event store's encoder gave up; nothing was written. Try shallower.
            depth -= 100
            assert depth > 0


def dossier(api: Api, walk: Journey) -> dict[str, Any]:
    response = api.get(f"/trajectories/{walk.id}/dossier", ("committee-1", Role.COMMITTEE))
    body: dict[str, Any] = response.json()
    return body


def test_a_deeply_nested_correction_does_not_break_the_dossier(api: Api) -> None:
    app = api.state.application
    walk = Journey(app, setup_program(app), "student-1")
    walk.start()
    app.record_correction(walk.id, 1, "Nested like the API once allowed", nested(300), COMMITTEE)
    deepest = deepest_correction(walk)
    body = dossier(api, walk)
    depths = [depth_of(c["details"]["deep"]) for c in body["corrections"]]
    assert depths == [300, deepest]
    # The steps carry the events' own data too.
    steps = [s for s in body["steps"] if s["event"] == "CorrectionRecorded"]
    assert [depth_of(s["data"]["details"]["deep"]) for s in steps] == [300, deepest]


def test_a_correction_of_megabytes_renders(api: Api) -> None:
    app = api.state.application
    walk = Journey(app, setup_program(app), "student-1")
    walk.start()
    text = "\x00\x1f tekst " * 700_000  # about 6 MB, control characters included
    app.record_correction(walk.id, 1, "Large", {"text": text}, COMMITTEE)
    body = dossier(api, walk)
    assert body["corrections"][0]["details"]["text"] == text


def test_the_iterative_encoder_writes_what_the_standard_one_writes() -> None:
    value = {"a": [1, 2.5, None, True, False, 'é\n"\x00', {"b": {}, "a": []}], "c": -3}
    assert dumps_iterative(value) == dumps(value)
    assert dumps_iterative(value, sort_keys=True) == dumps(value, sort_keys=True)
    deep = nested(20_000)
    assert dumps(deep).count("[") == 10_000
