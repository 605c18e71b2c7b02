"""Helpers for the HTTP API tests: a client with tokens per persona, and a journey over HTTP.

Everything goes through HTTP; the application behind the client is only touched to count
events (what a test must check was or was not written) and to issue tokens.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings
from api.state import AppState
from api.tokens import TokenStore
from domain.journey import SOFTWARE_DEVELOPER, Staff, content_hash
from domain.values import Role

ADMIN = ("admin-1", Role.ADMIN)


def api_settings(settings: Settings) -> Settings:
    """The test's store settings, with everything else read from the environment now (a test
    may have set some of it since the store settings were made)."""
    return Settings(**settings.model_dump(exclude_unset=True), _env_file=None)


class Api:
    """A TestClient that speaks as a persona: `api.post(path, body, as_=(person, role))`."""

    def __init__(self, client: TestClient | httpx.Client, app: FastAPI | None = None) -> None:
        self.client = client
        if app is None:
            assert isinstance(client, TestClient), "an httpx client needs the app beside it"
            app = client.app  # type: ignore[assignment]
        assert app is not None
        self.app: FastAPI = app
        self._tokens: dict[tuple[str, Role], str] = {}

    @property
    def state(self) -> AppState:
        state: AppState = self.app.state.bewijsketen
        return state

    def token(self, person: str, role: Role) -> str:
        key = (person, role)
        if key not in self._tokens:
            store = self.state.authenticator
            assert isinstance(store, TokenStore)
            self._tokens[key] = store.create(person, role)
        return self._tokens[key]

    def headers(self, as_: tuple[str, Role] | None, **extra: str) -> dict[str, str]:
        headers = dict(extra)
        if as_ is not None:
            headers["Authorization"] = f"Bearer {self.token(*as_)}"
        return headers

    def post(
        self,
        path: str,
        body: Any,
        as_: tuple[str, Role] | None,
        expect: int | None = 200,
        headers: dict[str, str] | None = None,
    ) -> Any:
        # json.dumps escapes to ASCII, so bodies with text UTF-8 cannot hold (lone surrogates)
        # still travel, as a real client could send them.
        response = self.client.post(
            path,
            content=json.dumps(body).encode(),
            headers=self.headers(as_, **{"content-type": "application/json", **(headers or {})}),
        )
        if expect is not None:
            assert response.status_code == expect, (path, response.status_code, response.text)
        return response

    def get(
        self,
        path: str,
        as_: tuple[str, Role] | None,
        expect: int | None = 200,
        params: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> Any:
        response = self.client.get(
            path, params=params, headers=self.headers(as_, **(headers or {}))
        )
        if expect is not None:
            assert response.status_code == expect, (path, response.status_code, response.text)
        return response

    def event_count(self, aggregate_id: str | uuid.UUID) -> int:
        return len(list(self.state.application.events.get(uuid.UUID(str(aggregate_id)))))


@contextmanager
def running_api(settings: Settings) -> Iterator[Api]:
    with TestClient(create_app(settings)) as client:
        yield Api(client)


@contextmanager
def serving(settings: Settings) -> Iterator[Api]:
    """The app under uvicorn on a free local port, in a thread: real sockets, real lifespan."""
    app = create_app(settings)
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            yield Api(client, app)
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def setup_program(api: Api, code: str = "SD-AI", staff: Staff | None = None) -> str:
    """Registers and publishes the demo program and its staff, over HTTP, as the admin."""
    staff = staff or Staff()
    created = api.post("/programs", {"code": code, "title": "Software developer"}, ADMIN, 201)
    program_id = str(created.json()["id"])
    api.post(f"/programs/{program_id}/versions", SOFTWARE_DEVELOPER, ADMIN, 201)
    for role, people in (
        ("coach", staff.coaches),
        ("mentor", staff.mentors),
        ("assessor", staff.assessors),
        ("committee", staff.committee),
    ):
        for person in people:
            api.post(f"/programs/{program_id}/staff", {"person_id": person, "role": role}, ADMIN)
    return program_id


class HttpJourney:
    """One student's trajectory, driven over HTTP by the personas who act in it."""

    def __init__(
        self, api: Api, program_id: str, student_id: str, coach_id: str = "coach-1"
    ) -> None:
        self.api = api
        self.program_id = program_id
        self.student = (student_id, Role.STUDENT)
        self.coach = (coach_id, Role.COACH)
        self.mentor = ("mentor-1", Role.MENTOR)
        self.id = ""
        outcomes: list[dict[str, object]] = SOFTWARE_DEVELOPER["outcomes"]
        self.outcomes = [str(o["code"]) for o in outcomes]
        self.evidence_ids: list[str] = []
        self.positions: list[int] = []
        self._n = 0

    @property
    def path(self) -> str:
        return f"/trajectories/{self.id}"

    def _next(self, prefix: str) -> str:
        self._n += 1
        return f"{prefix}-{self._n}"

    def command(
        self, suffix: str, body: Any, as_: tuple[str, Role], expect: int = 200
    ) -> dict[str, Any]:
        answer: dict[str, Any] = self.api.post(self.path + suffix, body, as_, expect).json()
        if expect in (200, 201):
            self.positions.append(int(answer["position"]))
        return answer

    def start(self) -> dict[str, Any]:
        body = {
            "program_id": self.program_id,
            "student_id": self.student[0],
            "cohort": "2026-A",
            "coach_id": self.coach[0],
            "mentor_id": self.mentor[0],
        }
        answer: dict[str, Any] = self.api.post("/trajectories", body, self.coach, 201).json()
        self.id = str(answer["id"])
        self.positions.append(int(answer["position"]))
        return answer

    def evidence_body(self, outcomes: list[str]) -> dict[str, Any]:
        evidence_id = self._next("ev")
        return {
            "evidence_id": evidence_id,
            "title": f"Evidence {evidence_id}",
            "kind": "product",
            "uri": f"https://portfolio.example.nl/{self.student[0]}/{evidence_id}",
            "sha256": content_hash(f"{self.id}/{evidence_id}"),
            "outcomes": outcomes,
        }

    def evidence(self, outcomes: list[str]) -> str:
        body = self.evidence_body(outcomes)
        self.command("/evidence", body, self.student)
        self.evidence_ids.append(body["evidence_id"])
        return str(body["evidence_id"])

    def evidence_for_all(self, per_outcome: int = 2) -> None:
        for _ in range(per_outcome):
            for code in self.outcomes:
                self.evidence([code])

    def feedback_body(self, source: str, giver: str, outcomes: list[str]) -> dict[str, Any]:
        return {
            "feedback_id": self._next("fb"),
            "source": source,
            "giver_id": giver,
            "outcomes": outcomes,
            "text": f"{source} feedback on {', '.join(outcomes)}",
        }

    def feedback(self, source: str, as_: tuple[str, Role], outcomes: list[str]) -> None:
        self.command("/feedback", self.feedback_body(source, as_[0], outcomes), as_)

    def medium_stake(self, level: str) -> dict[str, Any]:
        return self.command(
            "/medium-stakes",
            {
                "portfolio": self.evidence_ids[:3],
                "levels": {code: level for code in self.outcomes},
                "feedback": "Discussed the interim portfolio",
                "rationale": "Levels set against the rubric",
            },
            self.coach,
        )

    def to_green_light(self) -> None:
        self.start()
        self.evidence_for_all()
        for code in self.outcomes:
            self.feedback("self", self.student, [code])
            self.feedback("coach", self.coach, [code])
        self.medium_stake("vakkundig")
        self.medium_stake("bekwaam")
        self.command("/green-light", {"decision": "give", "rationale": "Ready"}, self.coach)

    def request_high_stake(self) -> int:
        answer = self.command(
            "/high-stakes",
            {
                "portfolio": self.evidence_ids,
                "reading_guide_uri": f"https://portfolio.example.nl/{self.student[0]}/guide",
                "reading_guide_sha256": content_hash(f"guide/{self.id}"),
            },
            self.student,
        )
        return int(answer["attempt"])

    def judgment_body(self, levels: dict[str, str], verdict: str = "pass") -> dict[str, Any]:
        return {
            "levels": levels,
            "level_rationales": {code: f"Shows {level}" for code, level in levels.items()},
            "verdict": verdict,
            "rationale": "Holistic judgment of the portfolio",
        }

    def levels(self, level: str, **overrides: str) -> dict[str, str]:
        return {code: overrides.get(code, level) for code in self.outcomes}
