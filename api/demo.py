"""The demo on first start: seed the demo class into an empty store, then hand out a token for
one persona of each role so that /docs can be tried at once."""

from __future__ import annotations

import json
from pathlib import Path

from rich.console import Console

from api.state import AppState
from api.tokens import TokenStore
from domain.persistence.files import write_private
from domain.values import Role

console = Console()
PERSONAS_FILE = "demo-personas.json"
DEMO_STUDENTS = 25
DEMO_SEED = 7


def _personas_path(state: AppState) -> Path:
    return state.settings.data_dir / PERSONAS_FILE


def ensure_demo(state: AppState) -> dict[Role, str]:
    """Seeds the demo if the store is empty; returns the persona (person id) of each role."""
    from api.cli.demo import seed_with_progress

    path = _personas_path(state)
    if not state.application.recorder.max_notification_id():
        summary = seed_with_progress(state.application, state.settings, DEMO_STUDENTS, DEMO_SEED)
        personas = {role.value: person for role, person in summary.personas.items()}
        write_private(path, json.dumps(personas).encode("utf-8"))
        console.print(
            f"Seeded the demo: {len(summary.trajectories)} trajectories in "
            f"{', '.join(c.cohort for c in summary.classes)} (school year {summary.year.label}), "
            f"{summary.events} events; program {summary.program_id}"
        )
    if not path.exists():
        return {}
    stored = json.loads(path.read_text(encoding="utf-8"))
    return {Role(role): str(person) for role, person in stored.items()}


def announce_demo(state: AppState) -> dict[Role, str]:
    """Seeds if needed, prints the URL of /docs and a fresh token per persona; returns tokens."""
    personas = ensure_demo(state)
    tokens: dict[Role, str] = {}
    store = state.authenticator
    if isinstance(store, TokenStore):
        tokens = {role: store.create(person, role) for role, person in personas.items()}
    settings = state.settings
    if tokens:
        # Plain lines, never wrapped or cut: the tokens must survive copy and paste.
        print("Demo tokens (shown once; use one with Authorize in /docs):", flush=True)
        for role, token in tokens.items():
            print(f"  {role.value:<10} {personas[role]:<12} {token}", flush=True)
    elif personas:
        print("The authenticator is not the token store: sign in through it.", flush=True)
    print(f"API docs: http://{settings.host}:{settings.port}/docs", flush=True)
    return tokens
