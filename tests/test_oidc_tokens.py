"""The API accepts the provider's tokens (JWT, checked against its JWKS: signature, `iss`,
`aud`, `exp`) beside its own, against a real OpenID Connect provider on 127.0.0.1."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient

import api.oidc
from api.app import create_app
from api.oidc import own_tokens
from api.settings import Settings
from api.tokens import TokenStore
from domain.journey import Journey, setup_program
from domain.values import Role
from tests.web_support import CLIENT_ID, CLIENT_SECRET, oidc_provider

REDIRECT = "http://127.0.0.1:9/terug"


def provider_token(issuer: str, sub: str) -> str:
    """A token the provider signed for this client, by the authorization code flow."""
    params = {
        "response_type": "code",
        "client_id": CLIENT_ID,
        "redirect_uri": REDIRECT,
        "scope": "openid profile",
        "state": "state-1",
        "nonce": "nonce-1",
    }
    answer = httpx.post(f"{issuer}/oauth2/authorize", params=params, data={"sub": sub})
    assert answer.status_code == 302, answer.text
    code = parse_qs(urlsplit(answer.headers["location"]).query)["code"][0]
    tokens = httpx.post(
        f"{issuer}/oauth2/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT,
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
        },
    )
    assert tokens.status_code == 200, tokens.text
    token: str = tokens.json()["id_token"]
    return token


@pytest.fixture
def issuer() -> Iterator[str]:
    with oidc_provider(access_token_max_age=timedelta(seconds=2)) as url:
        yield url


def app_for(settings: Settings, issuer: str, tmp: Path, **extra: object) -> TestClient:
    configured = Settings(
        **settings.model_dump(exclude_unset=True),
        oidc_issuer=issuer,
        oidc_client_id=CLIENT_ID,
        oidc_client_secret=CLIENT_SECRET,
        embedded_projections=False,
        audit_enabled=False,
        _env_file=None,
        **extra,
    )
    return TestClient(create_app(configured))


def test_the_api_takes_the_providers_tokens_beside_its_own(
    settings: Settings, issuer: str, tmp_path: Path
) -> None:
    with app_for(settings, issuer, tmp_path) as client:
        application = client.app.state.bewijsketen.application  # type: ignore[attr-defined]
        program_id = setup_program(application)
        journey = Journey(application, program_id, "student-01")
        journey.start()
        path = f"/trajectories/{journey.id}"

        token = provider_token(issuer, "committee-1")
        answer = client.get(path, headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code == 200, answer.text

        # The signature must hold: one changed character and the token is refused.
        head, payload, signature = token.split(".")
        flipped = signature[:10] + ("A" if signature[10] != "A" else "B") + signature[11:]
        refused = client.get(path, headers={"Authorization": f"Bearer {head}.{payload}.{flipped}"})
        assert refused.status_code == 401

        # A token that grants two roles does not say which one the caller acts in (R1).
        both = provider_token(issuer, "assessor-3")
        assert client.get(path, headers={"Authorization": f"Bearer {both}"}).status_code == 401

        # The API's own tokens still work beside them.
        store = own_tokens(client.app.state.bewijsketen.authenticator)  # type: ignore[attr-defined]
        assert isinstance(store, TokenStore)
        own = store.create("committee-1", Role.COMMITTEE)
        assert client.get(path, headers={"Authorization": f"Bearer {own}"}).status_code == 200


def test_a_token_for_another_audience_or_issuer_is_refused(
    settings: Settings, issuer: str, tmp_path: Path
) -> None:
    token = provider_token(issuer, "committee-1")
    with app_for(settings, issuer, tmp_path, oidc_audience="api://another-application") as client:
        answer = client.get("/programs", headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code == 401
    with oidc_provider() as other:
        foreign = provider_token(other, "committee-1")
    with app_for(settings, issuer, tmp_path) as client:
        answer = client.get("/programs", headers={"Authorization": f"Bearer {foreign}"})
        assert answer.status_code == 401
        assert (
            client.get("/programs", headers={"Authorization": f"Bearer {token}"}).status_code == 200
        )


def test_an_expired_token_is_refused(
    settings: Settings, issuer: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(api.oidc, "LEEWAY_SECONDS", 0)
    token = provider_token(issuer, "quality-1")
    # The provider's tokens live two seconds here.
    time.sleep(3)
    with app_for(settings, issuer, tmp_path) as client:
        answer = client.get("/programs", headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code == 401
