"""The pages: Mijn werk, Zoeken, Traject (with time travel) and the start page.

Each page reads through the functions of the API route that serves the same data (the list of
trajectories, a trajectory's view and history, the read models), with the visitor as actor, so
rows and trajectories are filtered by the same policy; the dossier, borging and audit pages are
in their own modules, the forms in `api.web.commands`.
"""

from __future__ import annotations

import threading
import uuid
from collections import OrderedDict
from datetime import datetime
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import RedirectResponse

from api.reading import Reading, reading
from api.routers.read_models import borging_checks, borging_exceptions
from api.routers.trajectories import list_trajectories, reads_of, rendered_view
from api.state import AppState
from api.web import dutch as nl
from api.web import privacy
from api.web.context import Hidden, Visit, current_session, page, parse_id, visitor
from domain.history import history
from domain.privacy.keys import ShredNotice
from domain.program import ProgramDefinition
from domain.trajectory import Trajectory
from domain.values import Actor, Role
from projections.audit import names, render

router = APIRouter()

Text = Annotated[str | None, Query(max_length=200)]


def read_now(state: AppState, name: str) -> Reading:
    """The read model as it stands (the API's `reading` without `min_position`)."""
    found: Reading = reading(name)(state, Response(), None)
    return found


@router.get("/")
def home(request: Request) -> Response:
    session = current_session(request)
    target = "/werk" if session is not None and session.signed_in else "/aanmelden"
    return RedirectResponse(target, status_code=303)


# ---- Mijn werk


def _trajectory_rows(visit: Visit, **filters: Any) -> list[dict[str, Any]]:
    read = read_now(visit.state, "progress")
    page_ = list_trajectories(visit.state, visit.actor, read, **filters)
    items: list[dict[str, Any]] = page_["items"]
    return items


def _awaiting_vote(visit: Visit) -> list[dict[str, Any]]:
    """Concluded attempts of the committee's programs that wait for a decision, on which this
    member has not voted and may vote (not an assessor of the attempt)."""
    state, actor = visit.state, visit.actor
    read = read_now(state, "borging")
    rows = borging_checks(actor, read, decision="pending", limit=200)["items"]
    names = visit.names
    out = []
    application = state.application
    for row in rows:
        tid = uuid.UUID(str(row["trajectory_id"]))
        number = int(row["attempt"])

        def look(t: Trajectory, number: int = number) -> tuple[bool, int, int]:
            application.read_access(actor, t)
            attempt = t.attempts[number - 1]
            may_vote = (
                attempt.decision is None
                and actor.person_id not in attempt.votes
                and actor.person_id not in attempt.assessors
            )
            return may_vote, len(attempt.votes), t.definition.settings.committee_quorum

        may_vote, votes, quorum = reads_of(state).read(tid, look)
        if may_vote:
            out.append(
                {
                    **row,
                    "student_name": names.get(str(row["student_id"])),
                    "votes": votes,
                    "quorum": quorum,
                }
            )
    return out


def _assessor_tasks(visit: Visit) -> list[dict[str, Any]]:
    """Attempts this assessor is assigned to that wait for their judgment, a CGI, the final
    levels or the conclusion."""
    state, actor = visit.state, visit.actor
    out = []
    for row in _trajectory_rows(visit, phase="high_stake", limit=200):
        tid = uuid.UUID(str(row["id"]))

        def look(t: Trajectory) -> list[tuple[int, str]]:
            state.application.read_access(actor, t)
            tasks = []
            step = t.next_step().step
            for attempt in t.attempts:
                if actor.person_id not in attempt.assessors or attempt.passed is not None:
                    continue
                if actor.person_id not in attempt.judgments:
                    tasks.append((attempt.number, "judgment"))
                elif step in ("criterion_interview", "final_levels", "conclusion"):
                    tasks.append((attempt.number, step))
            return tasks

        for number, task in reads_of(state).read(tid, look):
            out.append({**row, "attempt": number, "task": task})
    return out


COACH_STEPS = ("medium_stake_1", "medium_stake_2", "green_light", "early_route_decision")


def _coach_tasks(visit: Visit) -> list[dict[str, Any]]:
    rows = []
    for phase in ("low_stakes", "medium_stakes"):
        rows += _trajectory_rows(visit, coach_id=visit.actor.person_id, phase=phase, limit=200)
    return [r for r in rows if str(r["next_step"]).split(" ")[0] in COACH_STEPS]


@router.get("/werk")
@page
def my_work(request: Request) -> Response:
    visit = visitor(request)
    role = visit.actor.role
    context: dict[str, Any] = {"role": role.value}
    if role is Role.COMMITTEE:
        context["votes"] = _awaiting_vote(visit)
    elif role is Role.ASSESSOR:
        context["tasks"] = _assessor_tasks(visit)
    elif role is Role.COACH:
        context["coach_tasks"] = _coach_tasks(visit)
    if role in (Role.QUALITY, Role.INSPECTOR, Role.ADMIN, Role.COMMITTEE):
        read = read_now(visit.state, "borging")
        context["exceptions"] = borging_exceptions(visit.actor, read, limit=50)
    if role in (Role.STUDENT, Role.MENTOR):
        context["trajectories"] = _trajectory_rows(visit, limit=100)
    if visit.may(privacy.DUE):
        context |= privacy.due_context(visit)
    # A student downloads what is stored about them (the privacy officer's export, their own).
    context["own_export"] = role is Role.STUDENT and bool(context.get("trajectories"))
    return visit.show("work.html", **context)


# ---- Zoeken


@router.get("/zoeken")
@page
def search(
    request: Request,
    q: Text = None,
    cohort: Text = None,
    program: Text = None,
    phase: Text = None,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> Response:
    visit = visitor(request)
    programs = list(visit.state.application.directory.programs())
    filters: dict[str, Any] = {"limit": 50, "offset": offset}
    chosen_program = None
    if program:
        try:
            chosen_program = uuid.UUID(program)
        except ValueError:
            chosen_program = None
        filters["program_id"] = chosen_program
    if cohort:
        filters["cohort"] = cohort
    if phase in nl.PHASES:
        filters["phase"] = phase
    if q and q.strip() and all(ord(c) >= 32 and ord(c) != 127 for c in q):
        filters["q"] = q.strip()
    asked = bool(q or cohort or program or phase or offset)
    found = None
    if asked or visit.may("progress"):
        read = read_now(visit.state, "progress")
        found = list_trajectories(visit.state, visit.actor, read, **filters)
    return visit.show(
        "search.html",
        q=q or "",
        cohort=cohort or "",
        program=str(chosen_program or ""),
        phase=phase or "",
        programs=programs,
        phases=nl.PHASES,
        found=found,
        offset=offset,
    )


# ---- Traject


def definition_of(state: AppState, program_id: Any, version: int) -> ProgramDefinition:
    return state.application.get_program(uuid.UUID(str(program_id))).definition(version)


def local_moment(value: str) -> datetime:
    """A moment typed on a page (datetime-local) is Amsterdam time."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise Hidden() from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=nl.AMSTERDAM)
    return moment


def sealed_attempts(view: dict[str, Any]) -> set[int]:
    """Attempts whose judgments this reader may not see yet (R11)."""
    return {a["number"] for a in view["attempts"] if any(j["sealed"] for j in a["judgments"])}


TIMELINES = 1000
_TIMELINES_LOCK = threading.Lock()


def _timelines(state: AppState) -> OrderedDict[Any, list[dict[str, Any]]]:
    """The kept timelines. They hold decrypted texts, so a shred drops the student's (the key
    store tells of every shred: this process's at once, another's at its next poll)."""
    with _TIMELINES_LOCK:
        found: OrderedDict[Any, list[dict[str, Any]]] | None = state.extras.get("web-timelines")
        if found is None:
            cache = found = state.extras["web-timelines"] = OrderedDict()
            keys = state.application.keys

            def shredded(notice: ShredNotice) -> None:
                gone = set(keys.trajectories_of(notice.student_id))
                with _TIMELINES_LOCK:
                    for key in [k for k in cache if k[0] in gone]:
                        del cache[key]

            keys.on_shred(shredded)
    return found


def timeline(
    state: AppState, trajectory_id: uuid.UUID, actor: Actor, up_to: int, view: dict[str, Any]
) -> list[dict[str, Any]]:
    """The timeline up to a version, kept: events never change, so the rows of a trajectory up
    to version N for one reader (and what is sealed to them) are the same every time, until the
    student's keys are shredded."""
    sealed = sealed_attempts(view)
    key = (trajectory_id, up_to, actor, frozenset(sealed))
    state.application.keys.refresh()
    cache = _timelines(state)
    found = cache.get(key)
    if found is None:
        found = _timeline(state, trajectory_id, actor, up_to, sealed)
        with _TIMELINES_LOCK:
            cache[key] = found
            while len(cache) > TIMELINES:
                cache.popitem(last=False)
    return found


def _timeline(
    state: AppState, trajectory_id: uuid.UUID, actor: Actor, up_to: int, sealed: set[int]
) -> list[dict[str, Any]]:
    """The trajectory's events up to version `up_to` (the version the reader was shown, so
    never past their window), each said in Dutch (the dossier's words), judgments sealed as
    the view seals them."""
    application = state.application
    events = list(application.trajectory_events(trajectory_id))[:up_to]
    rows = []
    for event, row in zip(events, history(events), strict=True):
        data = {
            k: getattr(v, "value", v)
            for k, v in vars(event).items()
            if k not in ("originator_id", "originator_version", "timestamp", "actor", "command")
        }
        if row.event_type == names.JUDGMENT_SUBMITTED and data.get("attempt") in sealed:
            data["sealed"] = row.actor_id != actor.person_id
        text = render.TRAJECTORY_TEXTS.get(row.event_type)
        rows.append(
            {
                "version": row.version,
                "at": row.timestamp,
                "who": row.actor_id,
                "role": row.actor_role,
                "what": text(data) if text else row.event_type,
            }
        )
    return rows


def outcome_rows(view: dict[str, Any], definition: ProgramDefinition) -> list[dict[str, Any]]:
    out = []
    for outcome in definition.outcomes:
        code = outcome.code
        stakes = {m["number"]: m["levels"].get(code) for m in view["medium_stakes"]}
        feedback = [f for f in view["feedback"] if code in f["outcomes"]]
        attempt = view["attempts"][-1] if view["attempts"] else None
        out.append(
            {
                "code": code,
                "title": outcome.title,
                "baseline": view["baseline"].get(code),
                "ms1": stakes.get(1),
                "ms2": stakes.get(2),
                "evidence": view["evidence_per_outcome"].get(code, 0),
                "feedback": len(feedback),
                "givers": len({f["giver_id"] for f in feedback}),
                "judgments": [
                    {
                        "assessor": j["assessor_id"],
                        "sealed": j["sealed"],
                        "level": (j.get("levels") or {}).get(code),
                    }
                    for j in (attempt["judgments"] if attempt else [])
                ],
                "final": ((attempt or {}).get("concluded_levels") or {}).get(code)
                or ((attempt or {}).get("final_levels") or {}).get(code),
            }
        )
    return out


def actions(visit: Visit, view: dict[str, Any], current: bool) -> list[tuple[str, str]]:
    """The forms this visitor may open here (the domain decides when they send one)."""
    if not current or view["closed"]:
        return []
    base = f"/trajecten/{view['id']}"
    person, role = visit.actor.person_id, visit.actor.role
    found: list[tuple[str, str]] = []
    attempt = view["attempts"][-1] if view["attempts"] else None
    if role is Role.COACH and view["coach_id"] == person and attempt is None:
        if len(view["medium_stakes"]) < 2:
            found.append(("Medium-stake houden", f"{base}/medium-stake"))
        if len(view["medium_stakes"]) >= 2 and view["green_light"] != "given":
            found.append(("Groen licht geven of onthouden", f"{base}/groen-licht"))
    if attempt is not None and attempt["passed"] is None and role is Role.ASSESSOR:
        mine = [j for j in attempt["judgments"] if j["assessor_id"] == person]
        if person in attempt["assessors"] and not mine:
            found.append(("Oordeel geven", f"{base}/pogingen/{attempt['number']}/oordeel"))
    if (
        attempt is not None
        and role is Role.COMMITTEE
        and attempt["passed"] is not None
        and attempt["decision"] is None
    ):
        found.append(("Stemmen", f"{base}/pogingen/{attempt['number']}/stem"))
    return found


@router.get("/trajecten/{trajectory_id}")
@page
def trajectory_page(
    request: Request,
    trajectory_id: str,
    version: Annotated[int | None, Query(alias="versie", ge=1, le=2**31)] = None,
    as_of: Annotated[str | None, Query(alias="moment", max_length=40)] = None,
) -> Response:
    visit = visitor(request)
    tid = parse_id(trajectory_id)
    state = visit.state
    moment = local_moment(as_of) if as_of else None
    shown, body = rendered_view(state, tid, visit.actor, version, moment)
    view = orjson.loads(body)
    # The current version (for "as it stood"): only asked when looking into the past.
    latest = (
        shown
        if version is None and moment is None
        else reads_of(state).read(tid, lambda t: t.version)
    )
    definition = definition_of(state, view["program_id"], view["program_version"])
    names = visit.names
    dossier_readers = visit.may("dossier")
    return visit.show(
        "trajectory.html",
        view=view,
        names=names,
        student=names.get(view["student_id"], view["student_id"]),
        program=state.application.get_program(uuid.UUID(view["program_id"])),
        outcomes=outcome_rows(view, definition),
        lights=view["progress_checks"],
        events=timeline(state, tid, visit.actor, shown, view),
        shown=shown,
        latest=latest,
        travelling=shown != latest or moment is not None,
        moment=as_of or "",
        actions=actions(visit, view, shown == latest),
        dossier=dossier_readers,
    )
