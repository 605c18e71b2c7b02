"""The forms: cast a vote, submit a judgment, give or withhold the green light, hold a
medium-stake. Each sends its command through `app.execute` as the signed-in actor, exactly as
the API's route does; a refusal shows the rule and the same Dutch sentence the API answers
(`detail_nl`, from `api.refusals`), and nothing is written.

Every form carries the session's CSRF token and an idempotency key of its own, so sending it
twice (a double click, a reload) records it once.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import orjson
from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import ValidationError

from api.refusals import dutch, rule_title
from api.routers.trajectories import rendered_view
from api.web.context import Hidden, Visit, page, parse_id, visitor
from api.web.forms import Form
from api.web.pages import definition_of
from domain import commands as c
from domain.errors import (
    DomainError,
    IdempotencyMismatch,
    NotFound,
    ReadNotPermitted,
    RuleViolation,
)

router = APIRouter()

STATUS = {"NotPermitted": 403, "InvalidInput": 422}


def _view(visit: Visit, tid: uuid.UUID) -> dict[str, Any]:
    _version, body = rendered_view(visit.state, tid, visit.actor)
    view: dict[str, Any] = orjson.loads(body)
    return view


def _attempt(view: dict[str, Any], number: int) -> dict[str, Any]:
    if not 1 <= number <= len(view["attempts"]):
        raise Hidden()
    attempt: dict[str, Any] = view["attempts"][number - 1]
    return attempt


def _form(
    visit: Visit,
    template: str,
    view: dict[str, Any],
    status: int = 200,
    refusal: dict[str, str] | None = None,
    values: dict[str, Any] | None = None,
    **context: Any,
) -> Response:
    definition = definition_of(visit.state, view["program_id"], view["program_version"])
    names = visit.names
    return visit.show(
        template,
        status,
        view=view,
        student=names.get(view["student_id"], view["student_id"]),
        definition=definition,
        refusal=refusal,
        values=values or {},
        idempotency=uuid.uuid4().hex,
        **context,
    )


def _send(
    visit: Visit,
    posted: Any,
    make: Callable[[], c.Command],
) -> tuple[Any, dict[str, str] | None, int]:
    """Runs the command; (its result, None, 200) or (None, the refusal, status)."""
    try:
        command = make()
    except ValidationError as exc:
        fields = ", ".join(sorted({str(e["loc"][0]) for e in exc.errors() if e.get("loc")}))
        return None, {"rule": "", "text": f"Ongeldige invoer in: {fields}."}, 422
    key = posted.get("idempotency") or None
    try:
        result = visit.state.application.execute(command, visit.actor, idempotency=key)
    except (NotFound, ReadNotPermitted):
        raise
    except RuleViolation as refused:
        status = STATUS.get(type(refused).__name__, 409)
        return (
            None,
            {"rule": rule_title(refused.rule), "text": dutch(refused.rule, refused.message)},
            status,
        )
    except IdempotencyMismatch:
        return None, {"rule": "", "text": "Dit formulier is al met andere gegevens verzonden."}, 422
    except DomainError:
        return (
            None,
            {"rule": "", "text": "Het traject is intussen gewijzigd; probeer opnieuw."},
            409,
        )
    return result, None, 200


def _refused_csrf(visit: Visit) -> Response:
    return visit.show("form_refused.html", 403)


# ---- vote


@router.get("/trajecten/{trajectory_id}/pogingen/{number}/stem")
@page
def vote_form(request: Request, trajectory_id: str, number: int) -> Response:
    visit = visitor(request)
    view = _view(visit, parse_id(trajectory_id))
    return _form(visit, "vote.html", view, attempt=_attempt(view, number))


@router.post("/trajecten/{trajectory_id}/pogingen/{number}/stem")
@page
def vote(request: Request, trajectory_id: str, number: int, posted: Form) -> Response:
    visit = visitor(request)
    if not posted.genuine(visit.session):
        return _refused_csrf(visit)
    tid = parse_id(trajectory_id)
    result, refusal, status = _send(
        visit,
        posted,
        lambda: c.CastVote(
            trajectory_id=tid,
            attempt=number,
            vote=posted.get("vote"),
            rationale=posted.raw("rationale"),
        ),
    )
    if refusal is not None:
        view = _view(visit, tid)
        values = {"vote": posted.get("vote"), "rationale": posted.raw("rationale")}
        return _form(
            visit, "vote.html", view, status, refusal, values, attempt=_attempt(view, number)
        )
    decision = result.value.value if result.value is not None else "vote"
    return RedirectResponse(f"/trajecten/{tid}/dossier?gedaan={decision}", status_code=303)


# ---- judgment


@router.get("/trajecten/{trajectory_id}/pogingen/{number}/oordeel")
@page
def judgment_form(request: Request, trajectory_id: str, number: int) -> Response:
    visit = visitor(request)
    view = _view(visit, parse_id(trajectory_id))
    return _form(visit, "judgment.html", view, attempt=_attempt(view, number))


@router.post("/trajecten/{trajectory_id}/pogingen/{number}/oordeel")
@page
def judgment(request: Request, trajectory_id: str, number: int, posted: Form) -> Response:
    visit = visitor(request)
    if not posted.genuine(visit.session):
        return _refused_csrf(visit)
    tid = parse_id(trajectory_id)
    view = _view(visit, tid)
    codes = definition_of(visit.state, view["program_id"], view["program_version"]).outcome_codes
    levels = {code: posted.get(f"level-{code}") for code in codes if posted.get(f"level-{code}")}
    rationales = {
        code: posted.raw(f"why-{code}") for code in codes if posted.raw(f"why-{code}").strip()
    }
    _result, refusal, status = _send(
        visit,
        posted,
        lambda: c.SubmitJudgment(
            trajectory_id=tid,
            attempt=number,
            levels=levels,
            level_rationales=rationales,
            verdict=posted.get("verdict"),
            rationale=posted.raw("rationale"),
        ),
    )
    if refusal is not None:
        values = {
            "levels": levels,
            "rationales": rationales,
            "verdict": posted.get("verdict"),
            "rationale": posted.raw("rationale"),
        }
        return _form(
            visit, "judgment.html", view, status, refusal, values, attempt=_attempt(view, number)
        )
    return RedirectResponse(f"/trajecten/{tid}?gedaan=oordeel", status_code=303)


# ---- green light


@router.get("/trajecten/{trajectory_id}/groen-licht")
@page
def green_light_form(request: Request, trajectory_id: str) -> Response:
    visit = visitor(request)
    return _form(visit, "green_light.html", _view(visit, parse_id(trajectory_id)))


@router.post("/trajecten/{trajectory_id}/groen-licht")
@page
def green_light(request: Request, trajectory_id: str, posted: Form) -> Response:
    visit = visitor(request)
    if not posted.genuine(visit.session):
        return _refused_csrf(visit)
    tid = parse_id(trajectory_id)
    _result, refusal, status = _send(
        visit,
        posted,
        lambda: c.DecideGreenLight(
            trajectory_id=tid,
            decision=posted.get("decision"),
            rationale=posted.raw("rationale"),
            advice=posted.raw("advice"),
        ),
    )
    if refusal is not None:
        values = {k: posted.raw(k) for k in ("decision", "rationale", "advice")}
        return _form(visit, "green_light.html", _view(visit, tid), status, refusal, values)
    return RedirectResponse(f"/trajecten/{tid}?gedaan=groen-licht", status_code=303)


# ---- medium-stake


@router.get("/trajecten/{trajectory_id}/medium-stake")
@page
def medium_stake_form(request: Request, trajectory_id: str) -> Response:
    visit = visitor(request)
    return _form(visit, "medium_stake.html", _view(visit, parse_id(trajectory_id)))


@router.post("/trajecten/{trajectory_id}/medium-stake")
@page
def medium_stake(request: Request, trajectory_id: str, posted: Form) -> Response:
    visit = visitor(request)
    if not posted.genuine(visit.session):
        return _refused_csrf(visit)
    tid = parse_id(trajectory_id)
    view = _view(visit, tid)
    codes = definition_of(visit.state, view["program_id"], view["program_version"]).outcome_codes
    levels = {code: posted.get(f"level-{code}") for code in codes if posted.get(f"level-{code}")}
    portfolio = posted.all("portfolio")
    _result, refusal, status = _send(
        visit,
        posted,
        lambda: c.HoldMediumStake(
            trajectory_id=tid,
            portfolio=portfolio,
            levels=levels,
            feedback=posted.raw("feedback"),
            rationale=posted.raw("rationale"),
        ),
    )
    if refusal is not None:
        values = {
            "portfolio": portfolio,
            "levels": levels,
            "feedback": posted.raw("feedback"),
            "rationale": posted.raw("rationale"),
        }
        return _form(visit, "medium_stake.html", view, status, refusal, values)
    return RedirectResponse(f"/trajecten/{tid}?gedaan=medium-stake", status_code=303)
