"""The dossier renders every event the domain accepted, at the limits of depth and size.

Today a correction's details are bounded by the command (domain/fields.py); an older store may
hold deeper or larger ones, written before those bounds: such corrections, built past the
command's field rules, nest as deep as the event store could encode, or carry megabytes. The
dossier and the trajectory's view render them all."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from api.settings import Settings
from domain import commands as c
from domain.fields import MAX_DETAILS_BYTES, MAX_TEXT
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


def correct(walk: Journey, reason: str, details: dict[str, Any]) -> None:
    """A correction as older code stored it: past the command's bounds on its details."""
    sent = c.RecordCorrection.model_construct(
        trajectory_id=walk.id, corrects_version=1, reason=reason, details=details
    )
    walk.app.execute(sent, COMMITTEE)


def deepest_correction(walk: Journey) -> int:
    """Records the deepest correction the event store can encode; returns its depth."""
    depth = 3000
    while True:
        try:
            correct(walk, "Nested correction", nested(depth))
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
    correct(walk, "Nested like the API once allowed", nested(300))
    deepest = deepest_correction(walk)
    body = dossier(api, walk)
    depths = [depth_of(x["details"]["deep"]) for x in body["corrections"]]
    assert depths == [300, deepest]
    # The steps carry the events' own data too.
    steps = [s for s in body["steps"] if s["event"] == "CorrectionRecorded"]
    assert [depth_of(s["data"]["details"]["deep"]) for s in steps] == [300, deepest]
    # And the trajectory itself still reads.
    view = api.get(f"/trajectories/{walk.id}", ("committee-1", Role.COMMITTEE)).json()
    assert [depth_of(x["details"]["deep"]) for x in view["corrections"]] == [300, deepest]


def test_details_at_the_commands_limits_render(api: Api) -> None:
    app = api.state.application
    walk = Journey(app, setup_program(app), "student-1")
    walk.start()
    deepest = {"a": {"b": "bottom"}}  # two levels: the most a command allows
    # Texts as long as a text may be, as many as fit in the size a command allows.
    text = "tekst " * (MAX_TEXT // 6)
    largest = {f"t{i}": text for i in range(MAX_DETAILS_BYTES // (len(text) + 10))}
    assert MAX_DETAILS_BYTES - 2 * MAX_TEXT < len(json.dumps(largest)) <= MAX_DETAILS_BYTES
    for details in (deepest, largest):
        sent = walk.on(c.RecordCorrection, corrects_version=1, reason="r", details=details)
        app.execute(sent, COMMITTEE)
    refused = walk.on(c.RecordCorrection, corrects_version=1, reason="r", details=deepest)
    with pytest.raises(ValueError):
        c.RecordCorrection(**(refused.model_dump() | {"details": {"x": deepest}}))
    body = dossier(api, walk)
    assert [x["details"] for x in body["corrections"]] == [deepest, largest]


def test_a_correction_of_megabytes_renders(api: Api) -> None:
    app = api.state.application
    walk = Journey(app, setup_program(app), "student-1")
    walk.start()
    text = "\x00\x1f tekst " * 700_000  # about 6 MB, control characters included
    correct(walk, "Large", {"text": text})
    body = dossier(api, walk)
    assert body["corrections"][0]["details"]["text"] == text


def test_the_iterative_encoder_writes_what_the_standard_one_writes() -> None:
    value = {"a": [1, 2.5, None, True, False, 'é\n"\x00', {"b": {}, "a": []}], "c": -3}
    assert dumps_iterative(value) == dumps(value)
    assert dumps_iterative(value, sort_keys=True) == dumps(value, sort_keys=True)
    deep = nested(20_000)
    assert dumps(deep).count("[") == 10_000
