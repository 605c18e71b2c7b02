"""Dossiers and bundles of sealed events: the dossier opens envelopes with the key store, a
bundle carries the live data keys so the offline verifier renders the same dossier, a shredded
value reads "[verwijderd]" and the bundle still verifies; keys.json is parsed strictly; a
bundle made before encryption still verifies."""

from __future__ import annotations

import base64
import json
import os
import zipfile
from pathlib import Path

import pytest

from domain.application import Bewijsketen
from domain.commands import Retention
from domain.journey import Journey, setup_program
from domain.privacy import envelope
from domain.values import FeedbackSource
from projections.audit import bundle_format as fmt
from projections.audit import envelopes
from projections.audit.bundle import write_zip
from projections.audit.bundle_verify import BundleTrust, verify_bundle, verify_bundle_bytes
from projections.audit.policy import parse_policy
from projections.audit.runtime import AuditRuntime
from projections.audit.source import dossier_of
from tests.test_audit_bundle import (
    audit,  # noqa: F401 - the fixture
    exported,
    failures,
    resit_journey,
    trust,
    with_manifest,
    zipped,
)

FIXTURES = Path(__file__).parent / "fixtures"
RATIONALE = "Genoeg bewijs op elke leeropbrengst, besproken met Anna"


def sealed_journey(app: Bewijsketen) -> Journey:
    journey = Journey(app, setup_program(app), "student-1")
    journey.start()
    journey.evidence_for_all()
    for code in journey.outcomes:
        journey.feedback(FeedbackSource.SELF, journey.student.person_id, [code])
    journey.medium_stake("vakkundig")
    journey.medium_stake("bekwaam")
    journey.green_light(RATIONALE)
    return journey


def test_an_envelope_of_the_domain_opens_with_the_verifiers_own_code() -> None:
    """The verifier's opener (written from docs/audit.md) agrees with the sealing mapper's."""
    key, key_id = os.urandom(32), "k-1"
    trajectory = "1b4e28ba-2fa1-51d2-883f-0016d3cca427"
    topic = "domain.trajectory:Trajectory.SubmitJudgment"
    state = {
        "rationale": envelope.seal_field("Waarom zo", key_id, key, trajectory, topic, "rationale"),
        "level_rationales": envelope.seal_field(
            {"LO1": "een", "LO2": "twee"}, key_id, key, trajectory, topic, "level_rationales"
        ),
        "notes": envelope.seal_field(["a", "b"], key_id, key, trajectory, topic, "notes"),
        "attempt": 1,
    }
    keys = {key_id: key}
    opened = envelopes.open_event(state, keys.get, trajectory, topic)
    assert opened.data == envelope.open_state(state, keys.get, trajectory, topic)
    assert opened.data["level_rationales"] == {"LO1": "een", "LO2": "twee"}
    assert opened.used == {key_id} and envelopes.key_ids(state) == envelope.key_ids(state)
    gone = envelopes.open_event(state, lambda _: None, trajectory, topic)
    assert gone.data == envelope.open_state(state, lambda _: None, trajectory, topic)
    assert gone.data["rationale"] == envelopes.PLACEHOLDER == envelope.PLACEHOLDER
    assert gone.missing == {key_id}
    # Moved to another place, it does not open.
    with pytest.raises(envelopes.EnvelopeError, match="rationale"):
        envelopes.open_event(state, keys.get, trajectory, topic.replace("Judgment", "Vote"))


def test_the_dossier_and_a_bundle_open_sealed_values_and_verify(
    audit: AuditRuntime,  # noqa: F811
) -> None:
    journey = sealed_journey(audit.app)
    raw = b"".join(r.state for r in audit.store.find_events([journey.id]))
    assert RATIONALE.encode() not in raw and b'"$sealed"' in raw
    dossier, _ = dossier_of(audit.app, audit.store, journey.id, None)
    assert RATIONALE in json.dumps(dossier, ensure_ascii=False)
    files = exported(audit, journey)
    keys = json.loads(files[fmt.KEYS])
    live = {k.key_id for k in audit.app.keys.keys_of("student-1") if not k.shredded}
    assert set(keys) == live and len(live) == 2  # formative and exam
    report = verify_bundle_bytes(zipped(files), trust(audit))
    assert report.ok, report.lines()
    assert RATIONALE in files[fmt.DOSSIER_HTML].decode()


def test_after_a_shred_the_dossier_and_a_fresh_bundle_read_verwijderd_and_verify(
    audit: AuditRuntime,  # noqa: F811
    tmp_path: Path,
) -> None:
    journey = sealed_journey(audit.app)
    other = Journey(audit.app, journey.program_id, "student-2")
    other.to_green_light()
    before = exported(audit, journey)
    audit.app.keys.shred("student-1", [Retention.FORMATIVE, Retention.EXAM])
    dossier, _ = dossier_of(audit.app, audit.store, journey.id, None)
    text = json.dumps(dossier, ensure_ascii=False)
    assert RATIONALE not in text and envelope.PLACEHOLDER in text
    files = exported(audit, journey)
    assert json.loads(files[fmt.KEYS]) == {}
    html = files[fmt.DOSSIER_HTML].decode()
    assert RATIONALE not in html and envelope.PLACEHOLDER in html
    path = tmp_path / "after.zip"
    write_zip(files, path)
    report = verify_bundle(path, trust(audit))
    assert report.ok, report.lines()
    assert any("shredded" in n for n in report.notes)
    # The same events are proven as before the shred: nothing stored was rewritten.
    assert json.loads(files[fmt.EVENTS].decode().splitlines()[0]) == json.loads(
        before[fmt.EVENTS].decode().splitlines()[0]
    )
    # A bundle made before the shred still verifies: it carries the keys it was made with.
    assert verify_bundle_bytes(zipped(before), trust(audit)).ok
    # The other student's dossier is as readable as ever.
    theirs = exported(audit, other)
    assert json.loads(theirs[fmt.KEYS]) and "Enough evidence" in theirs[fmt.DOSSIER_HTML].decode()


def test_keys_json_is_read_strictly(audit: AuditRuntime) -> None:  # noqa: F811
    journey = sealed_journey(audit.app)
    files = exported(audit, journey)
    keys = json.loads(files[fmt.KEYS])
    key_id = sorted(keys)[0]

    def verdict(body: bytes) -> str:
        return failures(
            verify_bundle_bytes(zipped(with_manifest(files | {fmt.KEYS: body})), trust(audit))
        )

    wrong = dict(keys) | {key_id: base64.b64encode(os.urandom(32)).decode()}
    refused = verdict(json.dumps(wrong).encode())
    assert f"{fmt.EVENTS} line" in refused and f"does not open with key {key_id}" in refused
    unused = dict(keys) | {"k-unused": base64.b64encode(os.urandom(32)).decode()}
    assert f"{fmt.KEYS} lists key k-unused" in verdict(json.dumps(unused).encode())
    short = dict(keys) | {key_id: base64.b64encode(b"short").decode()}
    assert "a data key is 32 bytes" in verdict(json.dumps(short).encode())
    doubled = files[fmt.KEYS].decode().replace("{", '{\n "' + key_id + '": "x",', 1)
    assert f"{fmt.KEYS} line" in verdict(doubled.encode())
    assert "not a JSON object" in verdict(b"[]\n")
    # Without keys.json a bundle of this format is incomplete.
    without = with_manifest({n: d for n, d in files.items() if n != fmt.KEYS})
    assert f"{fmt.KEYS} is missing" in failures(verify_bundle_bytes(zipped(without), trust(audit)))
    # Dropping a key to hide a text does not pass either: the dossier no longer matches.
    dropped = json.dumps({k: v for k, v in keys.items() if k != key_id}).encode()
    assert "dossier.json does not match" in verdict(dropped)


def test_an_envelope_moved_to_another_event_is_refused(audit: AuditRuntime) -> None:  # noqa: F811
    """Swapping two sealed values changes the stored bytes (so the proofs fail) and the AAD
    (so they do not open): both are named."""
    journey = resit_journey(audit.app)
    files = exported(audit, journey)
    lines = files[fmt.EVENTS].decode().splitlines()
    sealed: list[tuple[int, dict, str]] = []
    for i, line in enumerate(lines):
        row = json.loads(line)
        state = json.loads(base64.b64decode(row["state"]))
        for name, value in state.items():
            if envelope.is_sealed(value):
                sealed.append((i, row, name))
                break
    (i, first, name), (_, second, other) = sealed[0], sealed[-1]
    a = json.loads(base64.b64decode(first["state"]))
    b = json.loads(base64.b64decode(second["state"]))
    a[name] = b[other]
    first["state"] = base64.b64encode(json.dumps(a).encode()).decode()
    lines[i] = json.dumps(first, sort_keys=True)
    edited = with_manifest(files | {fmt.EVENTS: ("\n".join(lines) + "\n").encode()})
    found = failures(verify_bundle_bytes(zipped(edited), trust(audit)))
    assert "is not proven" in found or "proof" in found
    assert f"{fmt.EVENTS} line {i + 1}: the sealed value of {name}" in found


def test_a_bundle_made_before_encryption_still_verifies() -> None:
    """tests/fixtures/bundle-before-encryption.zip: exported by the release before values were
    sealed (format 2, plaintext events, no keys.json)."""
    policy = parse_policy((FIXTURES / "bundle-before-encryption.policy").read_text(), "policy")
    path = FIXTURES / "bundle-before-encryption.zip"
    report = verify_bundle(path, BundleTrust(policy))
    assert report.ok, report.lines()
    assert report.events == 55
    with zipfile.ZipFile(path) as archive:
        manifest = json.loads(archive.read(fmt.MANIFEST))
        assert manifest["format"] == fmt.V2_FORMAT and fmt.KEYS not in archive.namelist()
        events = archive.read(fmt.EVENTS)
    assert b"$sealed" not in b"".join(
        base64.b64decode(json.loads(line)["state"]) for line in events.splitlines()
    )


def test_a_whole_resit_shredded_formative_only_keeps_the_exam_record_and_verifies(
    audit: AuditRuntime,  # noqa: F811
) -> None:
    """Judgments, plans, votes (exam) stay readable when only formative data is shredded; a
    full shred then leaves every text as the placeholder; both bundles verify."""
    journey = resit_journey(audit.app)
    audit.app.keys.shred("student-1", [Retention.FORMATIVE])
    files = exported(audit, journey)
    assert verify_bundle_bytes(zipped(files), trust(audit)).ok
    dossier = json.loads(files[fmt.DOSSIER_JSON])
    plan = dossier["attempts"][0]["development_plan"]
    assert plan and envelope.PLACEHOLDER not in json.dumps(plan, ensure_ascii=False)
    feedback = [f for o in dossier["outcomes"] for f in o["feedback"]]
    steps = [s for s in dossier["steps"] if s["event"] == "FeedbackGiven"]
    assert feedback and steps and all(s["data"]["text"] == envelope.PLACEHOLDER for s in steps)
    assert len(json.loads(files[fmt.KEYS])) == 1  # the exam key only
    audit.app.keys.shred("student-1", [Retention.EXAM])
    files = exported(audit, journey)
    report = verify_bundle_bytes(zipped(files), trust(audit))
    assert report.ok, report.lines()
    assert json.loads(files[fmt.KEYS]) == {}
    judged = [s for s in dossier_of(audit.app, audit.store, journey.id, None)[0]["steps"]]
    rationales = [s["why"] for s in judged if s["event"] == "JudgmentSubmitted"]
    assert rationales and set(rationales) == {envelope.PLACEHOLDER}


def test_a_trajectory_begun_before_encryption_makes_a_bundle_that_verifies(
    audit: AuditRuntime,  # noqa: F811
) -> None:
    """Its first events plaintext (written as a release before encryption did), the later ones
    sealed: the dossier reads both, and the bundle carries only the keys the sealed ones use."""
    app = audit.app
    journey = Journey(app, setup_program(app), "student-1")
    keys = app.sealing_mapper.keys
    app.sealing_mapper.keys = None
    try:
        journey.start()
        journey.evidence_for_all()
    finally:
        app.sealing_mapper.keys = keys
    for code in journey.outcomes:
        journey.feedback(FeedbackSource.SELF, journey.student.person_id, [code])
    journey.medium_stake("vakkundig")
    journey.medium_stake("bekwaam")
    journey.green_light(RATIONALE)
    states = [json.loads(r.state) for r in audit.store.find_events([journey.id])]
    sealed = [any(envelope.is_sealed(v) for v in s.values()) for s in states]
    assert not any(sealed[:3]) and any(sealed)
    files = exported(audit, journey)
    report = verify_bundle_bytes(zipped(files), trust(audit))
    assert report.ok, report.lines()
    html = files[fmt.DOSSIER_HTML].decode()
    titles = [e.title for e in app.get_trajectory(journey.id).evidence.values()]
    assert RATIONALE in html and titles and all(t in html for t in titles)
