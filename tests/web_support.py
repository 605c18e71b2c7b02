"""What the web tests share: a real OpenID Connect provider on 127.0.0.1 (oidc-provider-mock),
the app under uvicorn signing in through it, and a class whose trajectories stand where the
pages have something to show.

The provider knows the personas as users whose `roles` claim says what they may act in.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta

import oidc_provider_mock
import werkzeug.serving

from domain.application import Bewijsketen
from domain.journey import Journey, Staff, setup_program
from domain.values import FeedbackSource, Role

CLIENT_ID = "bewijsketen-web"
CLIENT_SECRET = "test-secret-not-for-production"
NAMES = {
    "student-01": "Sanne de Vries",
    "student-02": "Daan Jansen",
    "student-03": "Noor Bakker",
    "student-04": "Milan Visser",
    "coach-1": "Ruben de Boer",
    "coach-2": "Femke Smit",
    "mentor-1": "Jesse Peters",
    "assessor-1": "Zoë El Amrani",
    "assessor-2": "Thijs Vos",
    "assessor-3": "Lieke Kok",
    "committee-1": "Iris Dekker",
    "committee-2": "Stijn Brouwer",
    "committee-3": "Esra Yilmaz",
    "quality-1": "Mila Hendriks",
    "privacy-1": "Anouk Verbeek",
}
# Who may sign in, with the roles the school's directory gives them.
USERS = {
    "committee-1": ["committee"],
    "committee-2": ["committee"],
    "assessor-1": ["assessor"],
    "assessor-2": ["assessor"],
    "coach-1": ["coach"],
    "quality-1": ["quality"],
    "privacy-1": ["privacy"],
    "student-01": ["student"],
    # Two roles: picks the one to act in after signing in.
    "assessor-3": ["assessor", "coach"],
}


@contextmanager
def oidc_provider(access_token_max_age: timedelta = timedelta(hours=1)) -> Iterator[str]:
    """oidc-provider-mock on a free port of 127.0.0.1; yields its issuer URL."""
    users = [
        oidc_provider_mock.User(sub=sub, claims={"name": NAMES[sub], "roles": roles})
        for sub, roles in USERS.items()
    ]
    app = oidc_provider_mock.app(
        require_nonce=True, user_claims=users, access_token_max_age=access_token_max_age
    )
    server = werkzeug.serving.make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


@dataclass
class Class:
    """The trajectories the web tests look at, by what they show."""

    program_id: uuid.UUID
    trajectories: dict[str, uuid.UUID] = field(default_factory=dict)


def seed_class(app: Bewijsketen) -> Class:
    """student-01: concluded, one committee vote of two cast; student-02: judged by assessor-1
    only; student-03: past both medium-stakes, waiting for the green light; student-04: a
    ratified pass."""
    program_id = setup_program(app, code="SD-AI", staff=Staff())
    made = Class(program_id)

    first = Journey(app, program_id, "student-01")
    first.to_green_light()
    attempt = first.request_high_stake()
    first.assign(attempt)
    first.judge(attempt, "assessor-1", "bekwaam")
    first.judge(attempt, "assessor-2", "vakkundig")
    first.interview(attempt)
    first.agree(attempt, "bekwaam")
    first.conclude(attempt)
    first.votes(attempt, members=("committee-2",))
    made.trajectories["awaiting-vote"] = first.id

    second = Journey(app, program_id, "student-02")
    second.to_green_light()
    attempt = second.request_high_stake()
    second.assign(attempt)
    second.judge(attempt, "assessor-1", "professional")
    made.trajectories["judging"] = second.id

    third = Journey(app, program_id, "student-03")
    third.start()
    third.evidence_for_all()
    for code in third.outcomes:
        third.feedback(FeedbackSource.SELF, third.student.person_id, [code])
        third.feedback(FeedbackSource.COACH, third.coach.person_id, [code])
    third.medium_stake("vakkundig")
    third.medium_stake("bekwaam")
    made.trajectories["green-light-due"] = third.id

    fourth = Journey(app, program_id, "student-04", coach_id="coach-2")
    fourth.to_ratified_pass()
    made.trajectories["passed"] = fourth.id
    return made


ROLE_OF = {sub: Role(roles[0]) for sub, roles in USERS.items()}
