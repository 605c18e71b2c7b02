"""Signing in and out: with the school's account (OpenID Connect, authorization code flow with
PKCE), or, for the demo of `make run` only, as one of its personas; choosing the role to act in.

The provider's ID token is checked against its keys (signature, `iss`, `aud`, `exp`, `nonce`);
its claims give the person id and the roles they may act in (`BEWIJSKETEN_OIDC_*`). Someone with
several roles chooses one, and every event they cause records that one role (R1).
"""

from __future__ import annotations

import hmac
import time
from dataclasses import replace
from typing import Annotated, Any
from urllib.parse import quote

import httpx
from authlib.common.security import generate_token
from authlib.oauth2.rfc6749.parameters import prepare_grant_uri
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import RedirectResponse
from joserfc.errors import JoseError

from api.demo import demo_personas
from api.oidc import Provider, ProviderError
from api.web.config import ProviderConfig
from api.web.context import (
    current_session,
    fresh_anonymous,
    local_path,
    sessions,
    state_of,
)
from api.web.forms import Form
from api.web.session import Session, signed_in_as
from api.web.templating import render
from domain.values import Role

router = APIRouter()

Back = Annotated[str | None, Query(alias="terug", max_length=2000)]


def provider_of(request: Request) -> Provider | None:
    state = state_of(request)
    config = state.settings.web.provider
    if config is None:
        return None
    found = state.extras.get("oidc-provider")
    if not isinstance(found, Provider):
        found = state.extras["oidc-provider"] = Provider(config)
    return found


def _show(
    request: Request, session: Session, template: str, status: int = 200, **context: Any
) -> Response:
    response = render(
        request, template, {"visit": None, "nav": [], "csrf": session.csrf, **context}, status
    )
    sessions(request).write(response, request, session)
    return response


def _redirect_uri(request: Request, config: ProviderConfig) -> str:
    return config.redirect_url or str(request.url_for("signin_callback"))


@router.get("/aanmelden", name="signin")
def signin_page(
    request: Request,
    back: Back = None,
    expired: Annotated[str | None, Query(alias="verlopen", max_length=5)] = None,
    signed_out: Annotated[str | None, Query(alias="afgemeld", max_length=5)] = None,
) -> Response:
    state = state_of(request)
    web = state.settings.web
    session = fresh_anonymous(current_session(request))
    personas = demo_personas(state) if web.demo_sign_in else {}
    names = state.persons.all()
    return _show(
        request,
        session,
        "signin.html",
        back=local_path(back),
        expired=bool(expired),
        signed_out=bool(signed_out),
        school=web.provider is not None,
        personas=[(role, person, names.get(person, person)) for role, person in personas.items()],
    )


@router.post("/aanmelden/demo")
def demo_signin(request: Request, posted: Form) -> Response:
    state = state_of(request)
    web = state.settings.web
    session = current_session(request)
    if not web.demo_sign_in:
        return _show(request, fresh_anonymous(session), "not_found.html", 404, signed_in=False)
    if not posted.genuine(session):
        return _refused_form(request, session)
    personas = demo_personas(state)
    try:
        role = Role(posted.get("role"))
    except ValueError:
        role = None
    person = personas.get(role) if role is not None else None
    if role is None or person is None or person != posted.get("person"):
        return _show(request, fresh_anonymous(session), "not_found.html", 404, signed_in=False)
    fresh = signed_in_as(
        person, state.persons.all().get(person), [role], web.session_lifetime.total_seconds()
    )
    response = RedirectResponse(local_path(posted.get("terug")), status_code=303)
    sessions(request).write(response, request, fresh)
    return response


@router.get("/aanmelden/school")
def school_signin(request: Request, back: Back = None) -> Response:
    provider = provider_of(request)
    session = fresh_anonymous(current_session(request))
    if provider is None:
        return _show(request, session, "not_found.html", 404, signed_in=False)
    try:
        endpoint = str(provider.metadata()["authorization_endpoint"])
    except ProviderError:
        return _show(request, session, "signin_failed.html", 502, reason="unreachable")
    config = provider.config
    verifier = generate_token(64)
    login = {
        "state": generate_token(32),
        "nonce": generate_token(32),
        "verifier": verifier,
        "back": local_path(back),
        "started": str(time.time()),
    }
    url = prepare_grant_uri(
        endpoint,
        config.client_id,
        "code",
        redirect_uri=_redirect_uri(request, config),
        scope=config.scopes,
        state=login["state"],
        nonce=login["nonce"],
        code_challenge=create_s256_code_challenge(verifier),
        code_challenge_method="S256",
    )
    response = RedirectResponse(url, status_code=303)
    sessions(request).write(response, request, replace(session, login=login))
    return response


@router.get("/aanmelden/terug", name="signin_callback")
def signin_callback(
    request: Request,
    code: Annotated[str | None, Query(max_length=4000)] = None,
    state: Annotated[str | None, Query(max_length=400)] = None,
    error: Annotated[str | None, Query(max_length=400)] = None,
) -> Response:
    provider = provider_of(request)
    session = fresh_anonymous(current_session(request))
    login = session.login
    cleared = replace(session, login={})
    if provider is None:
        return _show(request, cleared, "not_found.html", 404, signed_in=False)
    if error or not code or not login or not hmac.compare_digest(login["state"], state or ""):
        return _show(request, cleared, "signin_failed.html", 400, reason="refused")
    try:
        claims = _exchange(provider, request, code, login)
    except (ProviderError, JoseError, ValueError, httpx.HTTPError):
        return _show(request, cleared, "signin_failed.html", 400, reason="invalid")
    if not claims.roles:
        return _show(request, cleared, "signin_failed.html", 403, reason="no-role")
    web = state_of(request).settings.web
    fresh = signed_in_as(
        claims.person_id, claims.name, claims.roles, web.session_lifetime.total_seconds()
    )
    back = local_path(login.get("back"))
    target = back if fresh.role else f"/rol?terug={quote(back, safe='')}"
    response = RedirectResponse(target, status_code=303)
    sessions(request).write(response, request, fresh)
    return response


def _exchange(provider: Provider, request: Request, code: str, login: dict[str, str]) -> Any:
    """Code (and PKCE verifier) for tokens at the token endpoint; the ID token's claims,
    completed from the userinfo endpoint when the roles are not in it."""
    config = provider.config
    metadata = provider.metadata()
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": _redirect_uri(request, config),
        "code_verifier": login["verifier"],
        "client_id": config.client_id,
    }
    auth = (config.client_id, config.client_secret) if config.client_secret else None
    answer = httpx.post(
        str(metadata["token_endpoint"]), data=form, auth=auth, timeout=provider.timeout
    )
    answer.raise_for_status()
    tokens = answer.json()
    id_token = tokens.get("id_token")
    if not isinstance(id_token, str):
        raise ProviderError("the provider answered without an ID token")
    claims = provider.verify(id_token, config.client_id, nonce=login["nonce"])
    userinfo = metadata.get("userinfo_endpoint")
    if config.roles_claim not in claims.raw and isinstance(userinfo, str):
        extra = httpx.get(
            userinfo,
            headers={"Authorization": f"Bearer {tokens.get('access_token')}"},
            timeout=provider.timeout,
        )
        extra.raise_for_status()
        more = extra.json()
        if isinstance(more, dict) and more.get("sub") == claims.raw.get("sub"):
            claims = provider.claims(
                {**more, **claims.raw, config.roles_claim: more.get(config.roles_claim)}
            )
    return claims


@router.get("/rol")
def choose_role_page(request: Request, back: Back = None) -> Response:
    session = current_session(request)
    if session is None or not session.signed_in:
        return RedirectResponse("/aanmelden", status_code=303)
    return _show(request, session, "role.html", back=local_path(back), roles=session.roles)


@router.post("/rol")
def choose_role(request: Request, posted: Form) -> Response:
    session = current_session(request)
    if session is None or not session.signed_in:
        return RedirectResponse("/aanmelden", status_code=303)
    if not posted.genuine(session):
        return _refused_form(request, session)
    role = posted.get("role")
    if role not in session.roles:
        return _show(
            request,
            session,
            "role.html",
            422,
            back=local_path(posted.get("terug")),
            roles=session.roles,
            invalid=True,
        )
    response = RedirectResponse(local_path(posted.get("terug")), status_code=303)
    sessions(request).write(response, request, replace(session, role=role))
    return response


@router.post("/afmelden")
def sign_out(request: Request, posted: Form) -> Response:
    session = current_session(request)
    if session is not None and session.signed_in and not posted.genuine(session):
        return _refused_form(request, session)
    response = RedirectResponse("/aanmelden?afgemeld=1", status_code=303)
    sessions(request).clear(response, request)
    return response


def _refused_form(request: Request, session: Session | None) -> Response:
    anonymous = session or fresh_anonymous(None)
    return render(
        request,
        "form_refused.html",
        {"visit": None, "nav": [], "csrf": anonymous.csrf},
        403,
    )
