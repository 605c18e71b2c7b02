"""Over HTTP: a sealed text is opened when it is served (read models, trajectories, the web
timeline), and a shred evicts every decrypted copy the process kept, so the next answer reads
"[verwijderd]"; another student's answers are unchanged."""

from __future__ import annotations

from typing import Any

from api.settings import Settings
from domain.commands import Retention
from domain.journey import Journey, setup_program
from domain.privacy.envelope import PLACEHOLDER
from domain.values import Role
from projections import log
from projections.service import ProjectionService
from tests.api_support import api_settings, running_api
from tests.test_sealed_read_models import texts_of


def test_texts_are_opened_when_served_and_gone_after_a_shred(settings: Settings) -> None:
    from api.web import pages  # after the app: the web modules import one another

    with running_api(api_settings(settings)) as api:
        app = api.state.application
        program = setup_program(app)
        anna, bram = Journey(app, program, "student-a"), Journey(app, program, "student-b")
        anna.to_green_light()
        bram.to_green_light()
        texts = texts_of(app, anna.id)
        coach = ("coach-1", Role.COACH)
        head = log.head(app)

        def progress(journey: Journey) -> dict[str, Any]:
            answer: dict[str, Any] = api.get(
                f"/read-models/progress/{journey.id}", coach, params={"min_position": head}
            ).json()
            return answer

        def trajectory(journey: Journey) -> dict[str, Any]:
            answer: dict[str, Any] = api.get(f"/trajectories/{journey.id}", coach).json()
            return answer

        note = "Enough evidence on every outcome"
        assert progress(anna)["trajectory"]["green_light_note"] == note
        assert trajectory(anna)["green_light_note"] == note  # now kept, decrypted
        view = trajectory(anna)
        rows = pages.timeline(api.state, anna.id, anna.coach, view["version"], view)
        shown = "\n".join(str(r["what"]) for r in rows)
        assert [t for t in texts if t in shown]  # evidence titles, feedback texts
        kept = api.state.extras["web-timelines"]
        assert any(key[0] == anna.id for key in kept)
        bram_before = (progress(bram), trajectory(bram))

        assert app.keys.shred("student-a", [Retention.FORMATIVE, Retention.EXAM])
        service = api.state.services["projections"]
        assert isinstance(service, ProjectionService)
        assert service.purge([anna.id]) == 1

        # The process's own decrypted copies went with the keys.
        assert not any(key[0] == anna.id for key in kept)
        assert trajectory(anna)["green_light_note"] == PLACEHOLDER
        assert progress(anna)["trajectory"]["green_light_note"] == PLACEHOLDER
        view = trajectory(anna)
        rows = pages.timeline(api.state, anna.id, anna.coach, view["version"], view)
        shown = "\n".join(str(r["what"]) for r in rows)
        assert [t for t in texts if t in shown] == [] and PLACEHOLDER in shown
        # Another student's answers are as they were.
        assert (progress(bram), trajectory(bram)) == bram_before
