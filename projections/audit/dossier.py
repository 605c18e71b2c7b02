"""The decision dossier: the chain behind a trajectory's decisions, built from its events alone.

Input is the trajectory's events and its program's events as stored (plain JSON values, see
payload.py) with their log positions; output is plain data, in log order, with who, when and
why for every step. Pure: the API, the bundle writer and the offline verifier all call it, so
the same events always give the same dossier.

Judgments stay sealed (R11): until every assigned assessor of an attempt has judged, the
dossier shows that a judgment was submitted, by whom and when, but not its levels or verdict.

Every step has two times: `at`, when the event was recorded (the store's own time, UTC), and
`on`, the day its happening took place (Europe/Amsterdam): the day the event says, for a
conversation or meeting recorded later, or else the day it was recorded.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from projections.audit import names

FORMAT = "bewijsketen-dossier/2"
ZONE = ZoneInfo("Europe/Amsterdam")

# Which field says why, per event; the first non-empty one is the step's "why".
WHY_FIELDS = ("rationale", "reason", "advice", "motivation", "plan", "notes")
SEALED_FIELDS = ("levels", "level_rationales", "verdict", "rationale")


class DossierError(ValueError):
    """The events do not make a dossier (no trajectory, unknown attempt...)."""


@dataclass(frozen=True)
class DossierEvent:
    position: int
    aggregate_id: str
    version: int
    topic: str
    data: dict[str, Any]
    leaf_hash: str | None = None

    @property
    def name(self) -> str:
        """`Trajectory.EvidenceSubmitted`, `Program.VersionPublished`, ..."""
        return self.topic.rsplit(":", 1)[-1]

    @property
    def kind(self) -> str:
        return self.name.rsplit(".", 1)[-1]

    @property
    def aggregate_type(self) -> str:
        return self.name.split(".", 1)[0]


def _who(data: dict[str, Any]) -> dict[str, str] | None:
    actor = data.get("actor")
    if isinstance(actor, dict):
        return {"person_id": str(actor.get("person_id")), "role": str(actor.get("role"))}
    return None


def _recorded_on(data: dict[str, Any]) -> str | None:
    stamp = data.get("timestamp")
    if not isinstance(stamp, str):
        return None
    try:
        return datetime.fromisoformat(stamp).astimezone(ZONE).date().isoformat()
    except ValueError:
        return None


def _on(data: dict[str, Any]) -> str | None:
    """The day the event's happening took place: the day it says, or the day it was recorded."""
    stated = data.get("occurred_on")
    return stated if isinstance(stated, str) and stated else _recorded_on(data)


def _why(data: dict[str, Any]) -> str | None:
    for key in WHY_FIELDS:
        value = data.get(key)
        if isinstance(value, str) and value.strip():
            return value
    return None


def _fully_judged(events: list[DossierEvent]) -> dict[int, bool]:
    assessors: dict[int, set[str]] = {}
    judged: dict[int, set[str]] = {}
    for e in events:
        if e.kind == names.ASSESSORS_ASSIGNED:
            assessors[int(e.data["attempt"])] = set(e.data.get("assessor_ids", []))
        elif e.kind == names.JUDGMENT_SUBMITTED:
            who = _who(e.data)
            judged.setdefault(int(e.data["attempt"]), set()).add(who["person_id"] if who else "")
    return {n: bool(a) and judged.get(n, set()) >= a for n, a in assessors.items()}


def _cut(events: list[DossierEvent], attempt: int | None) -> list[DossierEvent]:
    """Everything up to the decision on `attempt` (all events when it is not decided yet)."""
    if attempt is None:
        return events
    if not any(
        e.kind == names.HIGH_STAKE_REQUESTED and e.data.get("attempt") == attempt for e in events
    ):
        raise DossierError(f"this trajectory has no high-stake attempt {attempt}")
    ratified = [
        e.position
        for e in events
        if e.kind == names.DECISION_RATIFIED and e.data.get("attempt") == attempt
    ]
    if not ratified:
        return events
    return [e for e in events if e.position <= ratified[0]]


def build_dossier(
    trajectory_id: str, events: list[DossierEvent], attempt: int | None = None
) -> dict[str, Any]:
    ordered = sorted(events, key=lambda e: e.position)
    trajectory_events = [e for e in ordered if e.aggregate_id == trajectory_id]
    if not trajectory_events or trajectory_events[0].kind != names.STARTED:
        raise DossierError(f"no trajectory {trajectory_id} among the events")
    ordered = _cut(ordered, attempt)
    trajectory_events = [e for e in ordered if e.aggregate_id == trajectory_id]
    started = trajectory_events[0]
    judged = _fully_judged(trajectory_events)
    program_events = [e for e in ordered if e.aggregate_type == "Program"]

    steps = [_step(e, judged) for e in ordered]
    definition = started.data.get("definition", {})
    version = int(started.data.get("program_version", 0))
    registered = next((e for e in program_events if e.kind == names.PROGRAM_REGISTERED), None)
    published = next(
        (
            e
            for e in program_events
            if e.kind == names.VERSION_PUBLISHED and e.data.get("number") == version
        ),
        None,
    )
    return {
        "format": FORMAT,
        "trajectory": {
            "id": trajectory_id,
            "student_id": started.data.get("student_id"),
            "cohort": started.data.get("cohort"),
            "coach_id": started.data.get("coach_id"),
            "mentor_id": started.data.get("mentor_id"),
            "program_id": started.data.get("program_id"),
            "program_version": version,
            "started_at": started.data.get("timestamp"),
            "started_on": _on(started.data),
            "started_by": _who(started.data),
            "events": len(trajectory_events),
        },
        "program": {
            "id": started.data.get("program_id"),
            "code": registered.data.get("code") if registered else None,
            "title": registered.data.get("title") if registered else None,
            "version": version,
            "published_at": published.data.get("timestamp") if published else None,
            "published_on": _on(published.data) if published else None,
            "published_by": _who(published.data) if published else None,
            "definition": definition,
            "rules_applied": {
                "rubric": definition.get("rubric", {}),
                "settings": definition.get("settings", {}),
            },
        },
        "attempt": attempt,
        "steps": steps,
        "outcomes": _outcomes(definition, trajectory_events, judged),
        "green_light": [
            {
                "given": e.kind == names.GREEN_LIGHT_GIVEN,
                "advice": e.data.get("advice"),
                "rationale": e.data.get("rationale"),
                "by": _who(e.data),
                "at": e.data.get("timestamp"),
                "on": _on(e.data),
                "position": e.position,
            }
            for e in trajectory_events
            if e.kind in (names.GREEN_LIGHT_GIVEN, names.GREEN_LIGHT_WITHHELD)
        ],
        "early_route": [
            {
                "step": e.kind,
                "why": _why(e.data),
                "by": _who(e.data),
                "at": e.data.get("timestamp"),
                "on": _on(e.data),
                "position": e.position,
            }
            for e in trajectory_events
            if e.kind in names.EARLY_ROUTE
        ],
        "attempts": _attempts(trajectory_events, judged, attempt),
        "corrections": [
            {
                "corrects_version": e.data.get("corrects_version"),
                "reason": e.data.get("reason"),
                "details": e.data.get("details"),
                "by": _who(e.data),
                "at": e.data.get("timestamp"),
                "on": _on(e.data),
                "position": e.position,
            }
            for e in trajectory_events
            if e.kind == names.CORRECTION_RECORDED
        ],
    }


def _step(e: DossierEvent, judged: dict[int, bool]) -> dict[str, Any]:
    data = {
        k: v
        for k, v in e.data.items()
        if k not in ("actor", "command", "timestamp", "originator_topic")
    }
    sealed = e.kind == names.JUDGMENT_SUBMITTED and not judged.get(int(e.data["attempt"]), False)
    if sealed:
        data = {k: v for k, v in data.items() if k not in SEALED_FIELDS} | {"sealed": True}
    return {
        "position": e.position,
        "aggregate": e.aggregate_type,
        "aggregate_id": e.aggregate_id,
        "version": e.version,
        "event": e.kind,
        "at": e.data.get("timestamp"),
        "on": _on(e.data),
        "recorded_later": _on(e.data) != _recorded_on(e.data),
        "who": _who(e.data),
        "why": None if sealed else _why(e.data),
        "leaf_hash": e.leaf_hash,
        "data": data,
    }


def _outcomes(
    definition: dict[str, Any], events: list[DossierEvent], judged: dict[int, bool]
) -> list[dict[str, Any]]:
    out = []
    for outcome in definition.get("outcomes", []):
        code = outcome.get("code")
        entry: dict[str, Any] = {
            "code": code,
            "title": outcome.get("title"),
            "qualification_refs": outcome.get("qualification_refs", []),
            "criteria": outcome.get("criteria", []),
            "baseline": None,
            "evidence": [],
            "feedback": [],
            "medium_stakes": [],
            "judgments": [],
            "final_levels": [],
            "concluded": [],
        }
        withdrawn = {
            e.data.get("evidence_id"): e for e in events if e.kind == names.EVIDENCE_WITHDRAWN
        }
        for e in events:
            d, who, at, on = e.data, _who(e.data), e.data.get("timestamp"), _on(e.data)
            if e.kind == names.BASELINE_MEASURED and d.get("outcome") == code:
                entry["baseline"] = {
                    "level": d.get("level"),
                    "rationale": d.get("rationale"),
                    "by": who,
                    "at": at,
                    "on": on,
                    "position": e.position,
                }
            elif e.kind == names.EVIDENCE_SUBMITTED and code in d.get("outcomes", []):
                gone = withdrawn.get(d.get("evidence_id"))
                entry["evidence"].append(
                    {
                        "evidence_id": d.get("evidence_id"),
                        "title": d.get("title"),
                        "kind": d.get("kind"),
                        "uri": d.get("uri"),
                        "sha256": d.get("sha256"),
                        "ai_use": d.get("ai_use"),
                        "external_sources": d.get("external_sources"),
                        "declaration": d.get("declaration"),
                        "by": who,
                        "at": at,
                        "on": on,
                        "position": e.position,
                        "withdrawn": None
                        if gone is None
                        else {
                            "reason": gone.data.get("reason"),
                            "at": gone.data.get("timestamp"),
                            "on": _on(gone.data),
                            "position": gone.position,
                        },
                    }
                )
            elif e.kind == names.FEEDBACK_GIVEN and code in d.get("outcomes", []):
                entry["feedback"].append(
                    {
                        "feedback_id": d.get("feedback_id"),
                        "source": d.get("source"),
                        "giver_id": d.get("giver_id"),
                        "text": d.get("text"),
                        "criteria": d.get("criteria", []),
                        "evidence_id": d.get("evidence_id"),
                        "recorded_by": who,
                        "at": at,
                        "on": on,
                        "position": e.position,
                    }
                )
            elif e.kind == names.MEDIUM_STAKE_HELD and code in d.get("levels", {}):
                entry["medium_stakes"].append(
                    {
                        "number": d.get("number"),
                        "moment": d.get("moment"),
                        "level": d["levels"][code],
                        "by": who,
                        "at": at,
                        "on": on,
                        "position": e.position,
                    }
                )
            elif e.kind == names.JUDGMENT_SUBMITTED:
                visible = judged.get(int(d["attempt"]), False)
                entry["judgments"].append(
                    {
                        "attempt": d.get("attempt"),
                        "assessor_id": who["person_id"] if who else None,
                        "sealed": not visible,
                        "level": d.get("levels", {}).get(code) if visible else None,
                        "rationale": d.get("level_rationales", {}).get(code) if visible else None,
                        "at": at,
                        "on": on,
                        "position": e.position,
                    }
                )
            elif e.kind == names.FINAL_LEVELS_AGREED and code in d.get("levels", {}):
                entry["final_levels"].append(
                    {
                        "attempt": d.get("attempt"),
                        "level": d["levels"][code],
                        "rationale": d.get("rationale"),
                        "by": who,
                        "at": at,
                        "on": on,
                        "position": e.position,
                    }
                )
            elif e.kind == names.ASSESSMENT_CONCLUDED and code in d.get("levels", {}):
                entry["concluded"].append(
                    {
                        "attempt": d.get("attempt"),
                        "level": d["levels"][code],
                        "below_pass_level": code in d.get("below_pass_level", []),
                        "by": who,
                        "at": at,
                        "on": on,
                        "position": e.position,
                    }
                )
        out.append(entry)
    return out


def _attempts(
    events: list[DossierEvent], judged: dict[int, bool], only: int | None
) -> list[dict[str, Any]]:
    attempts: dict[int, dict[str, Any]] = {}
    for e in events:
        d, who, at = e.data, _who(e.data), e.data.get("timestamp")
        number = d.get("attempt")
        if not isinstance(number, int):
            continue
        if e.kind == names.HIGH_STAKE_REQUESTED:
            attempts[number] = {
                "number": number,
                "early": d.get("early"),
                "requested_by": who,
                "requested_at": at,
                "requested_on": _on(d),
                "position": e.position,
                "portfolio": d.get("portfolio", []),
                "reading_guide": {
                    "uri": d.get("reading_guide_uri"),
                    "sha256": d.get("reading_guide_sha256"),
                    "ai_explanation": d.get("ai_explanation"),
                },
                "assessors": None,
                "judgments": [],
                "interviews": [],
                "final_levels": [],
                "conclusions": [],
                "votes": [],
                "decisions": [],
            }
            continue
        attempt = attempts.get(number)
        if attempt is None:
            continue
        base = {"by": who, "at": at, "on": _on(d), "position": e.position}
        if e.kind == names.ASSESSORS_ASSIGNED:
            attempt["assessors"] = {"assessor_ids": d.get("assessor_ids", []), **base}
        elif e.kind == names.JUDGMENT_SUBMITTED:
            if judged.get(number, False):
                attempt["judgments"].append(
                    {
                        "assessor_id": who["person_id"] if who else None,
                        "sealed": False,
                        "verdict": d.get("verdict"),
                        "levels": d.get("levels"),
                        "level_rationales": d.get("level_rationales"),
                        "rationale": d.get("rationale"),
                        **base,
                    }
                )
            else:
                attempt["judgments"].append(
                    {"assessor_id": who["person_id"] if who else None, "sealed": True, **base}
                )
        elif e.kind == names.CRITERION_INTERVIEW_HELD:
            attempt["interviews"].append({"notes": d.get("notes"), **base})
        elif e.kind == names.FINAL_LEVELS_AGREED:
            attempt["final_levels"].append(
                {"levels": d.get("levels"), "rationale": d.get("rationale"), **base}
            )
        elif e.kind == names.ASSESSMENT_CONCLUDED:
            attempt["conclusions"].append(
                {
                    "levels": d.get("levels"),
                    "passed": d.get("passed"),
                    "below_pass_level": d.get("below_pass_level"),
                    "program_version": d.get("program_version"),
                    "rationale": d.get("rationale"),
                    **base,
                }
            )
        elif e.kind == names.COMMITTEE_VOTE_CAST:
            attempt["votes"].append(
                {
                    "round": d.get("round"),
                    "vote": d.get("vote"),
                    "rationale": d.get("rationale"),
                    **base,
                }
            )
        elif e.kind in names.DECISIONS:
            attempt["decisions"].append(
                {
                    "decision": "ratified"
                    if e.kind == names.DECISION_RATIFIED
                    else "referred_back",
                    "round": d.get("round"),
                    "passed": d.get("passed"),
                    "program_version": d.get("program_version"),
                    "levels": d.get("levels"),
                    "rationale": d.get("rationale"),
                    **base,
                }
            )
        elif e.kind == names.DEVELOPMENT_PLAN_RECORDED:
            attempt["development_plan"] = {"plan": d.get("plan"), **base}
    selected = [a for n, a in sorted(attempts.items()) if only is None or n <= only]
    return selected
