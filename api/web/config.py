"""The web pages' part of the settings: the OpenID Connect provider and the session cookie."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from domain.values import Role

if TYPE_CHECKING:
    from api.settings import Settings


@dataclass(frozen=True)
class ProviderConfig:
    """Where the school's accounts are, and how their claims become a person and roles."""

    issuer: str
    client_id: str
    client_secret: str | None
    scopes: str = "openid profile"
    person_claim: str = "sub"
    name_claim: str = "name"
    roles_claim: str = "roles"
    role_values: dict[Role, frozenset[str]] = field(default_factory=dict)
    audience: str | None = None
    redirect_url: str | None = None

    def roles_from(self, claims: dict[str, object]) -> list[Role]:
        """The roles the claims grant, in the order of `Role`: a value grants a role if it is
        listed for it, or, for a role with no values configured, if it is the role's name."""
        raw = claims.get(self.roles_claim)
        values = {raw} if isinstance(raw, str) else set(raw) if isinstance(raw, list) else set()
        values = {str(v) for v in values}
        return [
            role for role in Role if values & self.role_values.get(role, frozenset({role.value}))
        ]

    @property
    def expected_audience(self) -> str:
        return self.audience or self.client_id


@dataclass(frozen=True)
class WebConfig:
    provider: ProviderConfig | None
    session_lifetime: timedelta
    session_secret: str | None
    secret_file: Path
    secure_cookies: bool
    demo: bool

    @property
    def demo_sign_in(self) -> bool:
        """The demo personas page: for `make run` (the demo) only, never beside a provider."""
        return self.demo and self.provider is None

    @classmethod
    def build(cls, settings: Settings) -> WebConfig:
        provider = None
        if settings.oidc_issuer:
            if not settings.oidc_client_id:
                raise ValueError("BEWIJSKETEN_OIDC_CLIENT_ID is required with an issuer")
            unknown = set(settings.oidc_role_values) - {r.value for r in Role}
            if unknown:
                raise ValueError(f"BEWIJSKETEN_OIDC_ROLE_VALUES names unknown roles: {unknown}")
            secret = settings.oidc_client_secret
            provider = ProviderConfig(
                issuer=settings.oidc_issuer.rstrip("/"),
                client_id=settings.oidc_client_id,
                client_secret=secret.get_secret_value() if secret else None,
                scopes=settings.oidc_scopes,
                person_claim=settings.oidc_person_claim,
                name_claim=settings.oidc_name_claim,
                roles_claim=settings.oidc_roles_claim,
                role_values={
                    Role(role): frozenset(values)
                    for role, values in settings.oidc_role_values.items()
                },
                audience=settings.oidc_audience,
                redirect_url=settings.oidc_redirect_url,
            )
        secret_value = settings.web_session_secret
        return cls(
            provider=provider,
            session_lifetime=timedelta(minutes=settings.web_session_minutes),
            session_secret=secret_value.get_secret_value() if secret_value else None,
            secret_file=settings.data_dir / "web-session.key",
            secure_cookies=settings.web_secure_cookies,
            demo=settings.seed_demo,
        )
