"""The school's OpenID Connect provider: its metadata and keys, the tokens it signs, and the
API's authenticator that accepts its access tokens beside the API's own.

A provider's access token (a JWT, as SURFconext and Microsoft Entra ID issue them for an API) is
accepted when its signature checks against the provider's JWKS and its `iss`, `aud` and `exp`
hold; the person is the configured claim, the role the one role its roles claim grants (an
event records a single role, R1: a token that grants several is refused, since it does not say
which one the caller acts in). The API's own tokens (`bwk_…`) go to the token store as before.
"""

from __future__ import annotations

import hashlib
import threading
import time
from dataclasses import dataclass
from typing import Any

import httpx
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from api.settings import Settings
from api.tokens import TOKEN_PREFIX, Authenticator, load_authenticator
from api.web.config import ProviderConfig
from domain.values import Actor, Role

# Algorithms a provider may sign with; "none" and symmetric ones never.
ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "ES256", "ES384", "EdDSA")
METADATA_SECONDS = 3600.0
# A token naming a key the set does not hold makes the keys be fetched again, but not more often.
REFETCH_SECONDS = 30.0
LEEWAY_SECONDS = 30


class ProviderError(RuntimeError):
    """The provider cannot be reached or answered something that is not OpenID Connect."""


@dataclass(frozen=True)
class Claims:
    """What a verified token says about who is calling."""

    person_id: str
    name: str | None
    roles: list[Role]
    raw: dict[str, Any]


class Provider:
    """Discovery (`/.well-known/openid-configuration`) and the key set, fetched when first
    needed and kept; thread-safe."""

    def __init__(self, config: ProviderConfig, timeout: float = 5.0) -> None:
        self.config = config
        self.timeout = timeout
        self._lock = threading.Lock()
        self._metadata: tuple[float, dict[str, Any]] | None = None
        self._keys: tuple[float, KeySet] | None = None

    def _get(self, url: str) -> dict[str, Any]:
        try:
            response = httpx.get(url, timeout=self.timeout)
            response.raise_for_status()
            data = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise ProviderError(f"{url}: {exc}") from None
        if not isinstance(data, dict):
            raise ProviderError(f"{url}: not a JSON object")
        return data

    def metadata(self) -> dict[str, Any]:
        with self._lock:
            if self._metadata is not None and time.monotonic() < self._metadata[0]:
                return self._metadata[1]
        found = self._get(self.config.issuer + "/.well-known/openid-configuration")
        if str(found.get("issuer", "")).rstrip("/") != self.config.issuer:
            raise ProviderError(f"the provider calls itself {found.get('issuer')!r}")
        for key in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
            if not isinstance(found.get(key), str):
                raise ProviderError(f"the provider's metadata has no {key}")
        with self._lock:
            self._metadata = (time.monotonic() + METADATA_SECONDS, found)
        return found

    def keys(self, refresh: bool = False) -> KeySet:
        with self._lock:
            cached = self._keys
        if cached is not None and not (refresh and time.monotonic() > cached[0]):
            return cached[1]
        keys = KeySet.import_key_set(self._get(str(self.metadata()["jwks_uri"])))  # type: ignore[arg-type]
        with self._lock:
            self._keys = (time.monotonic() + REFETCH_SECONDS, keys)
        return keys

    def verify(self, token: str, audience: str, nonce: str | None = None) -> Claims:
        """The claims of a JWT the provider signed for `audience`; JoseError or ProviderError
        if it is not one (bad signature, other issuer or audience, expired, wrong nonce)."""
        try:
            decoded = jwt.decode(token, self.keys(), algorithms=ALGORITHMS)
        except JoseError:
            # The provider may have rolled its keys since they were fetched.
            decoded = jwt.decode(token, self.keys(refresh=True), algorithms=ALGORITHMS)
        options: dict[str, Any] = {
            "iss": {"essential": True, "value": self.config.issuer},
            "aud": {"essential": True, "value": audience},
            "exp": {"essential": True},
        }
        if nonce is not None:
            options["nonce"] = {"essential": True, "value": nonce}
        jwt.JWTClaimsRegistry(leeway=LEEWAY_SECONDS, **options).validate(decoded.claims)
        return self.claims(dict(decoded.claims))

    def claims(self, raw: dict[str, Any]) -> Claims:
        person = raw.get(self.config.person_claim)
        if not isinstance(person, str) or not person.strip():
            raise ProviderError(f"the token has no {self.config.person_claim} claim")
        name = raw.get(self.config.name_claim)
        return Claims(
            person.strip(),
            name if isinstance(name, str) else None,
            self.config.roles_from(raw),
            raw,
        )


def _looks_like_jwt(token: str) -> bool:
    return token.count(".") == 2 and not token.startswith(TOKEN_PREFIX)


class AccessTokens:
    """Authenticates the provider's access tokens (JWT) for the API; verified tokens are
    remembered (by digest) until they expire, so a busy client costs one check."""

    def __init__(self, provider: Provider) -> None:
        self.provider = provider
        self._cache: dict[str, tuple[float, Actor]] = {}
        self._lock = threading.Lock()

    def cached(self, token: str) -> Actor | None:
        key = hashlib.sha256(token.encode()).hexdigest()
        entry = self._cache.get(key)
        if entry is None or entry[0] <= time.time():
            return None
        return entry[1]

    def authenticate(self, token: str) -> Actor | None:
        if not _looks_like_jwt(token):
            return None
        found = self.cached(token)
        if found is not None:
            return found
        try:
            claims = self.provider.verify(token, self.provider.config.expected_audience)
        except (JoseError, ProviderError, ValueError):
            return None
        if len(claims.roles) != 1:
            return None
        actor = Actor(claims.person_id, claims.roles[0])
        expires = claims.raw.get("exp")
        if isinstance(expires, int | float):
            with self._lock:
                if len(self._cache) > 10_000:
                    self._cache.clear()
                self._cache[hashlib.sha256(token.encode()).hexdigest()] = (float(expires), actor)
        return actor


class Either:
    """The API's own tokens first (`bwk_…`), the provider's JWTs otherwise."""

    def __init__(self, tokens: Authenticator, access: AccessTokens) -> None:
        self.tokens = tokens
        self.access = access

    def cached(self, token: str) -> Actor | None:
        if token.startswith(TOKEN_PREFIX):
            cached = getattr(self.tokens, "cached", None)
            return cached(token) if callable(cached) else None
        return self.access.cached(token)

    def authenticate(self, token: str) -> Actor | None:
        if token.startswith(TOKEN_PREFIX):
            return self.tokens.authenticate(token)
        return self.access.authenticate(token)

    def close(self) -> None:
        close = getattr(self.tokens, "close", None)
        if callable(close):
            close()


def build_authenticator(settings: Settings) -> Authenticator:
    """The authenticator the settings name; with a provider configured, composed with one for
    the provider's access tokens."""
    own = load_authenticator(settings.authenticator, settings)
    config = settings.web.provider
    if config is None:
        return own
    return Either(own, AccessTokens(Provider(config)))


def own_tokens(authenticator: object) -> object:
    """The API's own token store inside a composed authenticator (or the authenticator)."""
    return getattr(authenticator, "tokens", authenticator)
