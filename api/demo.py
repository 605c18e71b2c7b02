"""The demo on first start: seed the demo class into an empty store, then hand out a token for
one persona of each role so that /docs can be tried at once; later starts hand out the same
tokens while they work."""

from __future__ import annotations

import json
from pathlib import Path

from rich.console import Console

from api.expiry import shown
from api.state import AppState
from api.tokens import IssuedToken, TokenStore
from domain.persistence.files import private_file, write_private
from domain.values import Actor, Role

console = Console()
PERSONAS_FILE = "demo-personas.json"
TOKENS_FILE = "demo-tokens.json"
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


def demo_personas(state: AppState) -> dict[Role, str]:
    """The persona (person id) of each role in the seeded demo; empty without a demo."""
    try:
        stored = json.loads(_personas_path(state).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {Role(role): str(person) for role, person in stored.items()}


def _read_tokens(path: Path) -> dict[str, dict[str, str]]:
    try:
        stored = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return stored if isinstance(stored, dict) else {}


def demo_tokens(
    store: TokenStore, personas: dict[Role, str], path: Path
) -> dict[Role, IssuedToken]:
    """A working token per persona: the one stored at `path` while it still works (not expired,
    not revoked, same person), a new one otherwise; returns them with what is known of each.

    The file holds the tokens themselves, so it is the owner's alone (0600); it exists only for
    the demo, so that each start shows the same tokens instead of minting more.
    """
    stored = _read_tokens(path)
    tokens: dict[Role, IssuedToken] = {}
    for role, person in personas.items():
        entry = stored.get(role.value)
        token = entry.get("token") if isinstance(entry, dict) else None
        if isinstance(token, str) and store.authenticate(token) == Actor(person, role):
            info = store.info(token)
            if info is not None:
                tokens[role] = IssuedToken(token, info)
                continue
        tokens[role] = store.issue(person, role)
    kept = {
        role.value: {"person": issued.info.person_id, "token": issued.token}
        for role, issued in tokens.items()
    }
    if kept != stored:
        write_private(path, json.dumps(kept, indent=2).encode("utf-8"))
    elif path.exists():
        private_file(path)
    return tokens


def announce_demo(state: AppState) -> dict[Role, str]:
    """Seeds if needed, prints the URL of /docs and a token per persona; returns the tokens."""
    personas = ensure_demo(state)
    tokens: dict[Role, IssuedToken] = {}
    store = getattr(state.authenticator, "tokens", state.authenticator)
    if isinstance(store, TokenStore):
        tokens = demo_tokens(store, personas, state.settings.data_dir / TOKENS_FILE)
    settings = state.settings
    if tokens:
        # Plain lines, never wrapped or cut: the tokens must survive copy and paste.
        print("Demo tokens (use one with Authorize in /docs):", flush=True)
        for role, issued in tokens.items():
            print(f"  {role.value:<10} {personas[role]:<12} {issued.token}", flush=True)
        until = min(issued.info.expires_at for issued in tokens.values())
        print(
            f"Valid until {shown(until)} at least; each start shows the same ones until they "
            f"expire (BEWIJSKETEN_TOKEN_LIFETIME). They are kept in {TOKENS_FILE} in the "
            "data directory.",
            flush=True,
        )
    elif personas:
        print("The authenticator is not the token store: sign in through it.", flush=True)
    print(f"API docs: http://{settings.host}:{settings.port}/docs", flush=True)
    how = "sign in as a demo persona" if settings.web.demo_sign_in else "sign in with the school"
    print(f"Web: http://{settings.host}:{settings.port}/ ({how})", flush=True)
    return {role: issued.token for role, issued in tokens.items()}
