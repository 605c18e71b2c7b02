"""A client generated from the API document with openapi-python-client compiles, passes mypy
(strict), and completes one real call per tag against a running server."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from api.openapi import document
from api.settings import Settings
from domain.journey import content_hash
from domain.values import Role
from tests.api_support import HttpJourney, serving, setup_program

BIN = Path(sys.executable).parent
PACKAGE = "bewijsketen_client"


@pytest.fixture(scope="module")
def client_package(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    root = tmp_path_factory.mktemp("client")
    spec = root / "openapi.json"
    spec.write_text(json.dumps(document()), encoding="utf-8")
    # The generator's formatting hooks are its own business, not the contract's.
    config = root / "config.yaml"
    config.write_text("post_hooks: []\n", encoding="utf-8")
    generate = [
        str(BIN / "openapi-python-client"),
        "generate",
        "--path",
        str(spec),
        "--meta",
        "none",
        "--output-path",
        str(root / PACKAGE),
        "--config",
        str(config),
    ]
    generated = subprocess.run(generate, capture_output=True, text=True, cwd=root, timeout=300)
    assert generated.returncode == 0, generated.stdout + generated.stderr
    assert "Warning" not in generated.stdout.replace("Skipping Integration", ""), generated.stdout
    sys.path.insert(0, str(root))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(root))
        for name in [m for m in sys.modules if m == PACKAGE or m.startswith(f"{PACKAGE}.")]:
            del sys.modules[name]


def test_the_generated_client_passes_strict_mypy(client_package: ModuleType) -> None:
    path = Path(client_package.__file__ or "").parent
    checked = subprocess.run(
        [str(BIN / "mypy"), "--strict", "--no-incremental", str(path)],
        capture_output=True,
        text=True,
        cwd=path.parent,
        timeout=600,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr


def call(package: ModuleType, tag: str, operation: str) -> Callable[..., Any]:
    module = importlib.import_module(f"{package.__name__}.api.{tag}.{operation}")
    function: Callable[..., Any] = module.sync_detailed
    return function


def test_one_real_call_per_tag(client_package: ModuleType, tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", database_url=None, _env_file=None)
    with serving(settings) as api:
        program_id = setup_program(api)
        journey = HttpJourney(api, program_id, "student-1")
        journey.start()
        api.state.persons.put_many({"coach-1": "Mark Visser"})
        models = importlib.import_module(f"{PACKAGE}.models")
        clients = importlib.import_module(f"{PACKAGE}.client")

        def as_(person: str, role: Role) -> Any:
            return clients.AuthenticatedClient(
                base_url=str(api.client.base_url).rstrip("/"), token=api.token(person, role)
            )

        student, coach = as_("student-1", Role.STUDENT), as_("coach-1", Role.COACH)
        quality = as_("quality-1", Role.QUALITY)
        anyone = clients.Client(base_url=str(api.client.base_url).rstrip("/"))
        tid = journey.id
        calls: dict[str, Callable[[], Any]] = {
            "trajectories": lambda: call(client_package, "trajectories", "get_trajectory")(
                tid, client=student
            ),
            "evidence_and_feedback": lambda: call(
                client_package, "evidence_and_feedback", "submit_evidence"
            )(
                tid,
                client=student,
                body=models.SubmitEvidence(
                    evidence_id="ev-gen",
                    title="Plan",
                    kind=models.EvidenceKind.PRODUCT,
                    uri="https://portfolio.example.nl/ev-gen",
                    sha256=content_hash("ev-gen"),
                    outcomes=["LO1"],
                ),
            ),
            # Refused by R7 (no medium-stakes yet): a well-typed answer all the same.
            "medium_stakes": lambda: call(client_package, "medium_stakes", "decide_green_light")(
                tid,
                client=coach,
                body=models.DecideGreenLight(
                    decision=models.DecideGreenLightDecision.GIVE, rationale="Ready"
                ),
            ),
            "high_stake": lambda: call(client_package, "high_stake", "request_high_stake")(
                tid,
                client=student,
                body=models.RequestHighStake(
                    portfolio=["ev-gen"],
                    reading_guide_uri="https://portfolio.example.nl/guide",
                    reading_guide_sha256=content_hash("guide"),
                ),
            ),
            "committee": lambda: call(client_package, "committee", "cast_vote")(
                tid,
                1,
                client=as_("committee-1", Role.COMMITTEE),
                body=models.CastVote(vote=models.Vote.RATIFY, rationale="Fine"),
            ),
            "programs": lambda: call(client_package, "programs", "list_programs")(client=student),
            "persons": lambda: call(client_package, "persons", "get_person")(
                "coach-1", client=student
            ),
            "read_models": lambda: call(client_package, "read_models", "list_progress")(
                client=quality
            ),
            "audit": lambda: call(client_package, "audit", "public_key")(client=anyone),
            "reports": lambda: call(client_package, "reports", "get_annual_report")(
                client=quality, year=2026
            ),
            "health": lambda: call(client_package, "health", "health")(client=anyone),
            "privacy": lambda: call(client_package, "privacy", "get_privacy_due")(
                client=as_("privacy-1", Role.PRIVACY)
            ),
        }
        tags = {tag["name"].replace(" ", "_").replace("-", "_") for tag in document()["tags"]}
        assert set(calls) == tags, "every tag needs a call here"
        expected = {"medium_stakes": 409, "high_stake": 409, "committee": 422}
        for tag, make in calls.items():
            response = make()
            assert response.status_code == expected.get(tag, 200), (tag, response.content)
            # The answer is parsed into the operation's declared model.
            assert response.parsed is not None, (tag, response.content)
        trajectory = calls["trajectories"]().parsed
        assert str(trajectory.id) == tid and trajectory.version == 2
        assert trajectory.evidence[0].evidence_id == "ev-gen"


def test_the_document_declares_every_tag_it_uses() -> None:
    spec = document()
    declared = {tag["name"] for tag in spec["tags"]}
    used = {tag for path in spec["paths"].values() for op in path.values() for tag in op["tags"]}
    assert used == declared


def test_every_operation_has_an_id_a_tag_a_summary_a_description_and_typed_answers() -> None:
    spec = document()
    ids = []
    for path, item in spec["paths"].items():
        for method, op in item.items():
            where = f"{method.upper()} {path}"
            ids.append(op["operationId"])
            assert len(op["tags"]) == 1 and op["summary"] and op["description"], where
            for status, response in op["responses"].items():
                if status.startswith("2"):
                    content = response.get("content", {})
                    assert content and all(c.get("schema") for c in content.values()), (
                        f"{where} {status} has no response schema"
                    )
    assert len(ids) == len(set(ids))
    assert all(i.replace("_", "").isalnum() and i.islower() for i in ids)
