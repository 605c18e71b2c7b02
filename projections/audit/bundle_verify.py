"""Offline verification of a dossier bundle: needs the zip file and a trust policy, no
database, no domain.

Parsing is strict, and every refusal names the file (and the line, where there is one):
1. the zip holds each name once, only names of the format, every one listed in the manifest
   with its SHA-256, and the manifest lists nothing that is not there;
2. the checkpoint (C2SP signed note) is signed by a log key of the policy and cosigned by its
   quorum of witnesses (or, with `trust_bundle_key`, by the key the bundle names: a first look);
3. events.jsonl is strict JSON, one event per line, in position order; every aggregate's
   versions run 1..n without a gap (the trajectory's and its program's);
4. every event's leaf hash, recomputed from its stored bytes, is proven by its tlog-proof
   against the checkpoint; the proofs carry that very checkpoint;
5. held checkpoints (`against`) are consistent with the bundle's, by its consistency proofs;
6. the RFC 3161 timestamp, if any, covers the checkpoint (checked against the TSA's roots);
7. the sealed values of the events open with the data keys of keys.json (each key listed opens
   one at least; a value whose key is not there, shredded, reads as the placeholder), and
   dossier.json and dossier.html equal what the same builder and renderer make from the events.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import uuid
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography import x509

from projections.audit import bundle_format as fmt
from projections.audit import envelopes, strict_json
from projections.audit.checkpoint import Checkpoint, ExternalCheckpoint, from_note
from projections.audit.dossier import DossierError, DossierEvent, build_dossier
from projections.audit.keys import SigningKeyError, load_public_pem, raw_public
from projections.audit.leaf import encode_leaf
from projections.audit.merkle import leaf_hash, verify_consistency, verify_inclusion
from projections.audit.note import ED25519, NoteError, NoteVerifier, parse_vkey
from projections.audit.payload import decode_plain
from projections.audit.policy import Policy
from projections.audit.render import render_html
from projections.audit.timestamps import TimestampError, timestamped_bytes, verify_token
from projections.audit.tlog import decimal, hash_line, parse_proof
from projections.audit.trust import KeyChain, build_chain, witnessed_by

HOW_TO_PIN = (
    "no trust policy given: a bundle proves nothing without the log's own key, so it is not "
    "judged. Pin the key the school publishes (GET /audit/public-key, field vkey) in a policy "
    "file (c2sp.org/tlog-policy) with the line `log <vkey>`, its witnesses "
    "(`witness <name> <vkey>`) and a `quorum` line, then pass --policy FILE; "
    "or pass --trust-bundle-key for a first look that trusts the key inside the bundle"
)


@dataclass
class BundleTrust:
    policy: Policy | None = None
    trust_bundle_key: bool = False
    against: Sequence[ExternalCheckpoint] = ()
    tsa_roots: Sequence[x509.Certificate] = ()


@dataclass
class BundleReport:
    failures: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    refused: str | None = None
    events: int = 0
    tree_size: int | None = None
    key_id: str | None = None
    witnesses: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures and self.refused is None

    def fail(self, message: str) -> None:
        self.failures.append(message)

    def lines(self) -> list[str]:
        if self.refused is not None:
            return [f"NOT JUDGED: {self.refused}"]
        out = [f"WARNING: {w}" for w in self.warnings]
        out += [f"FAIL: {f}" for f in self.failures] + [f"note: {n}" for n in self.notes]
        if self.ok:
            witnessed = (
                f", cosigned by {', '.join(self.witnesses)}" if self.witnesses else ", no witness"
            )
            out.append(
                f"OK: {self.events} events proven against the checkpoint of tree size "
                f"{self.tree_size}, signed by key {self.key_id}{witnessed}; the rendering "
                "matches the events"
            )
        return out


# ---- 1. the zip and the manifest


def _read_zip(data: bytes, report: BundleReport) -> dict[str, bytes] | None:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        report.fail(f"the bundle is not a readable zip file: {exc}")
        return None
    with archive:
        infos = archive.infolist()
        if len(infos) > fmt.MAX_ENTRIES:
            report.fail(f"the zip has {len(infos)} entries, more than a bundle can have")
            return None
        first: dict[str, int] = {}
        for number, info in enumerate(infos, start=1):
            name = info.filename
            if name in first:
                report.fail(
                    f"{name} appears twice in the zip (entries {first[name]} and {number}): "
                    "readers would disagree on which one counts"
                )
            first.setdefault(name, number)
            if not fmt.known_name(name):
                report.fail(f"{name} (zip entry {number}) is not a file of the bundle format")
            if info.flag_bits & 0x1:
                report.fail(f"{name} (zip entry {number}) is encrypted")
        if report.failures:
            return None
        if sum(i.file_size for i in infos) > fmt.MAX_BYTES:
            report.fail("the zip unpacks to more than a bundle can hold")
            return None
        try:
            return {info.filename: archive.read(info) for info in infos}
        except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError) as exc:
            report.fail(f"the zip cannot be read: {exc}")
            return None


def _check_manifest(files: dict[str, bytes], report: BundleReport) -> dict[str, Any] | None:
    raw = files.get(fmt.MANIFEST)
    if raw is None:
        report.fail(f"{fmt.MANIFEST} is missing")
        return None
    try:
        manifest = strict_json.loads(raw)
    except strict_json.StrictJsonError as exc:
        report.fail(f"{fmt.MANIFEST} {exc}")
        return None
    text = raw.decode()
    formats = {fmt.FORMAT: 3, fmt.V2_FORMAT: 2, fmt.V1_FORMAT: 1}
    version = formats.get(str(manifest.get("format"))) if isinstance(manifest, dict) else None
    if version is None:
        found = manifest.get("format") if isinstance(manifest, dict) else None
        report.fail(
            f"{fmt.MANIFEST} line {strict_json.key_line(text, 'format') or 1}: format "
            f"{found!r}, expected {fmt.FORMAT!r} (or an earlier one, {fmt.V2_FORMAT!r} or "
            f"{fmt.V1_FORMAT!r})"
        )
        return None
    keys = fmt.MANIFEST_KEYS if version >= 2 else fmt.V1_MANIFEST_KEYS
    if set(manifest) != keys:
        report.fail(
            f"{fmt.MANIFEST} line 1: the manifest has the keys {sorted(keys)}, "
            f"not {sorted(manifest)}"
        )
        return None
    listed = manifest["files"]
    if not isinstance(listed, dict) or not all(isinstance(v, str) for v in listed.values()):
        report.fail(f"{fmt.MANIFEST}: `files` maps names to SHA-256 hex digests")
        return None
    for name in sorted(files):
        if not fmt.known_name(name, version):
            report.fail(f"{name} is not a file of the format {manifest['format']}")
    present = set(files) - {fmt.MANIFEST}
    for name in sorted(present - set(listed)):
        report.fail(f"{name} is in the zip but not listed in {fmt.MANIFEST}")
    for name in sorted(set(listed) - present):
        line = strict_json.key_line(text, name)
        report.fail(f"{fmt.MANIFEST} line {line}: lists {name}, which is not in the zip")
    for name in sorted(present & set(listed)):
        if hashlib.sha256(files[name]).hexdigest() != listed[name]:
            line = strict_json.key_line(text, name)
            report.fail(f"{name} was altered: its SHA-256 differs from {fmt.MANIFEST} line {line}")
    for name in fmt.required_files(version):
        if name not in files:
            report.fail(f"{name} is missing from the zip")
    manifest["_version"] = version
    return manifest


# ---- 2. the checkpoint and who vouches for it


def _check_checkpoint(
    files: dict[str, bytes], manifest: dict[str, Any], trust: BundleTrust, report: BundleReport
) -> tuple[Checkpoint, list[NoteVerifier]] | None:
    try:
        text = files[fmt.CHECKPOINT].decode("utf-8")
        checkpoint = from_note(text)
    except (KeyError, UnicodeDecodeError, ValueError) as exc:
        report.fail(f"{fmt.CHECKPOINT}: {exc}")
        return None
    report.tree_size = checkpoint.tree_size
    report.key_id = checkpoint.key_id
    if checkpoint.tree_size != manifest.get("tree_size") or checkpoint.origin != manifest.get(
        "origin"
    ):
        report.fail(f"{fmt.CHECKPOINT} and {fmt.MANIFEST} disagree on the origin or tree size")
    if trust.policy is not None:
        anchors = trust.policy.log_keys(checkpoint.origin)
        source = f"the policy {trust.policy.source}"
        if not anchors:
            report.fail(
                f"{fmt.CHECKPOINT} line 1: the origin {checkpoint.origin!r} is not a log of "
                f"{source}"
            )
            return None
    else:
        try:
            anchors = [parse_vkey(files.get(fmt.LOG_KEY, b"").decode().strip())]
        except (NoteError, UnicodeDecodeError) as exc:
            report.fail(f"{fmt.LOG_KEY} line 1: {exc}")
            return None
        source = f"the key in the bundle ({fmt.LOG_KEY})"
        report.warnings.append(
            f"trusting {source}, as --trust-bundle-key asks: this shows the bundle is intact "
            "and self-consistent, not that the school's log made it. Pin the published key in "
            "a policy (--policy) to judge it"
        )
    chain = build_chain(checkpoint.origin, anchors, [])
    refusal = chain.refusal(checkpoint, fmt.CHECKPOINT)
    if refusal is not None:
        report.fail(f"{refusal} (trusted: {source})")
    if trust.policy is not None:
        names, bad = witnessed_by(checkpoint, trust.policy)
        report.failures.extend(f"{fmt.CHECKPOINT}: {b}" for b in bad)
        report.witnesses = names
        if not trust.policy.satisfied(names):
            report.fail(
                f"{fmt.CHECKPOINT}: cosigned by {', '.join(names) or 'no witness of the policy'}"
                f"; the policy's quorum is {trust.policy.describe_quorum()}"
            )
    return checkpoint, [k for k, _ in chain.keys]


def _check_checkpoint_v1(
    files: dict[str, bytes], manifest: dict[str, Any], trust: BundleTrust, report: BundleReport
) -> Checkpoint | None:
    """A bundle of the first format: checkpoint.json (Ed25519 over the first format's note),
    public-key.pem, no cosignatures."""
    try:
        checkpoint = Checkpoint.from_json(strict_json.loads(files[fmt.V1_CHECKPOINT]))
        bundle_key = load_public_pem(files[fmt.V1_PUBLIC_KEY])
    except strict_json.StrictJsonError as exc:
        report.fail(f"{fmt.V1_CHECKPOINT} {exc}")
        return None
    except (ValueError, SigningKeyError) as exc:
        report.fail(f"{fmt.V1_CHECKPOINT} or {fmt.V1_PUBLIC_KEY}: {exc}")
        return None
    if not checkpoint.legacy:
        report.fail(f"{fmt.V1_CHECKPOINT}: not a checkpoint of the first format")
        return None
    report.tree_size, report.key_id = checkpoint.tree_size, checkpoint.key_id
    if (manifest["tree_size"], manifest["key_id"]) != (checkpoint.tree_size, checkpoint.key_id):
        report.fail(f"{fmt.V1_CHECKPOINT} and {fmt.MANIFEST} disagree on the tree size or key")
    own = NoteVerifier(checkpoint.origin, ED25519, raw_public(bundle_key))
    if trust.policy is not None:
        anchors, source = [k for k, _ in trust.policy.logs], f"the policy {trust.policy.source}"
        if trust.policy.quorum != "none":
            report.fail(
                f"{fmt.V1_CHECKPOINT}: a bundle of the first format carries no witness "
                f"cosignatures; the policy's quorum is {trust.policy.describe_quorum()} (judge "
                "it under a policy with `quorum none`)"
            )
    else:
        anchors, source = [own], f"the key in the bundle ({fmt.V1_PUBLIC_KEY})"
        report.warnings.append(
            f"trusting {source}, as --trust-bundle-key asks: this shows the bundle is intact "
            "and self-consistent, not that the school's log made it. Pin the published key in "
            "a policy (--policy) to judge it"
        )
    chain = KeyChain(checkpoint.origin, [(a, 0) for a in anchors if a.kind == ED25519])
    refusal = chain.refusal(checkpoint, fmt.V1_CHECKPOINT)
    if refusal is not None:
        report.fail(f"{refusal} (trusted: {source})")
    elif not checkpoint.signed_by(bundle_key):
        report.fail(f"{fmt.V1_PUBLIC_KEY} is not the key that signed {fmt.V1_CHECKPOINT}")
    return checkpoint


def _check_proofs_v1(
    files: dict[str, bytes],
    events: list[dict[str, Any]],
    checkpoint: Checkpoint,
    report: BundleReport,
) -> None:
    name = fmt.V1_PROOFS
    try:
        doc = strict_json.loads(files[name])
        if doc["tree_size"] != checkpoint.tree_size or doc["root_hash"] != (
            checkpoint.root_hash.hex()
        ):
            report.fail(f"{name} is made against another tree than {fmt.V1_CHECKPOINT}")
        proofs = {int(p["position"]): p for p in doc["proofs"]}
    except strict_json.StrictJsonError as exc:
        report.fail(f"{name} {exc}")
        return
    except (KeyError, TypeError, ValueError) as exc:
        report.fail(f"{name} is not valid: {exc}")
        return
    if len(proofs) != len(events) or set(proofs) != {e["position"] for e in events}:
        report.fail(f"{name} holds proofs for other positions than {fmt.EVENTS}")
    for item in events:
        proof = proofs.get(item["position"])
        where = f"{fmt.EVENTS} line {item['_line']}"
        try:
            assert proof is not None
            path = [bytes.fromhex(h) for h in proof["path"]]
            index = int(proof["leaf_index"])
        except (AssertionError, KeyError, TypeError, ValueError):
            report.fail(f"{name} has no well-formed proof for the event on {where}")
            continue
        if index != item["leaf_index"] or not verify_inclusion(
            index, checkpoint.tree_size, item["_leaf_hash"], path, checkpoint.root_hash
        ):
            report.fail(
                f"the event on {where} (position {item['position']}) is not proven by {name} to "
                "be in the signed tree: the event or the proof was altered"
            )


# ---- 3. the events


def _load_events(raw: bytes, report: BundleReport) -> list[dict[str, Any]]:
    name = fmt.EVENTS
    if not raw:
        report.fail(f"{name} is empty")
        return []
    lines = raw.split(b"\n")
    if lines[-1]:
        report.fail(f"{name} line {len(lines)}: the last line does not end in a newline")
    else:
        lines.pop()
    events: list[dict[str, Any]] = []
    previous: dict[str, Any] | None = None
    for number, line in enumerate(lines, start=1):
        where = f"{name} line {number}"
        try:
            item = strict_json.loads(line, first_line=number)
        except strict_json.StrictJsonError as exc:
            report.fail(f"{name} {exc}")
            continue
        problem = _event_problem(item)
        if problem is not None:
            report.fail(f"{where}: {problem}")
            continue
        try:
            item["_state"] = base64.b64decode(item["state"], validate=True)
        except (binascii.Error, ValueError):
            report.fail(f"{where}: `state` is not base64")
            continue
        item["_line"] = number
        item["_leaf_hash"] = leaf_hash(
            encode_leaf(
                item["position"],
                item["aggregate_id"],
                item["version"],
                item["topic"],
                item["_state"],
            )
        )
        if previous is not None and (
            item["position"] <= previous["position"] or item["leaf_index"] <= previous["leaf_index"]
        ):
            report.fail(
                f"{where}: position {item['position']} (leaf {item['leaf_index']}) follows "
                f"position {previous['position']} (leaf {previous['leaf_index']}) on line "
                f"{previous['_line']}: the lines must be in position order, each once"
            )
        previous = item
        events.append(item)
    return events


def _event_problem(item: Any) -> str | None:
    if not isinstance(item, dict):
        return "not a JSON object"
    keys = set(item)
    if not keys >= fmt.EVENT_KEYS or keys - fmt.EVENT_KEYS - fmt.EVENT_OPTIONAL:
        wanted = sorted(fmt.EVENT_KEYS)
        return f"an event has the keys {wanted} (and maybe payload), not {sorted(keys)}"
    for key in ("position", "leaf_index", "version"):
        value = item[key]
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            return f"`{key}` is not a non-negative integer"
    for key in ("aggregate_id", "topic", "state"):
        if not isinstance(item[key], str):
            return f"`{key}` is not a string"
    if "payload" in item and not isinstance(item["payload"], dict):
        return "`payload` is not an object"
    return None


def _check_complete(events: list[dict[str, Any]], trajectory_id: str, report: BundleReport) -> None:
    """Every aggregate's versions run 1..n: nothing in the middle was left out."""
    program_ids = set()
    for item in events:
        if item["aggregate_id"] == trajectory_id and item["version"] == 1:
            try:
                program = decode_plain(item["_state"]).get("program_id")
            except ValueError:
                program = (item.get("payload") or {}).get("program_id")
            if program is not None:
                program_ids.add(_uuid_text(program))
    last: dict[str, dict[str, Any]] = {}
    for item in events:
        aggregate = _uuid_text(item["aggregate_id"])
        where = f"{fmt.EVENTS} line {item['_line']}"
        if aggregate != trajectory_id and aggregate not in program_ids:
            report.fail(
                f"{where}: an event of {aggregate}, which is neither the trajectory nor its program"
            )
            continue
        kind = "the trajectory" if aggregate == trajectory_id else f"program {aggregate}"
        before = last.get(aggregate)
        expected = 1 if before is None else before["version"] + 1
        if item["version"] != expected:
            after = (
                ""
                if before is None
                else f" after version {before['version']} (line {before['_line']})"
            )
            report.fail(
                f"{where}: {kind} has version {item['version']}{after}; version {expected} is "
                "missing: an event was left out"
            )
        last[aggregate] = item
    if trajectory_id not in last:
        report.fail(f"{fmt.EVENTS}: no event of the trajectory {trajectory_id}")


def _uuid_text(value: Any) -> str:
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        return str(value)


# ---- 4. the proofs


def _check_proofs(
    files: dict[str, bytes],
    events: list[dict[str, Any]],
    checkpoint: Checkpoint,
    report: BundleReport,
) -> None:
    note = files[fmt.CHECKPOINT].decode()
    wanted = {fmt.proof_name(item["position"]): item for item in events}
    for name in sorted(n for n in files if fmt.proof_position(n) is not None):
        if name not in wanted:
            report.fail(f"{name}: there is no event at position {fmt.proof_position(name)}")
    for name, item in wanted.items():
        where = f"{fmt.EVENTS} line {item['_line']}"
        raw = files.get(name)
        if raw is None:
            report.fail(f"{name} is missing: the event on {where} has no proof")
            continue
        try:
            proof = parse_proof(raw.decode("utf-8"))
        except (NoteError, UnicodeDecodeError) as exc:
            report.fail(f"{name} {exc}" if str(exc).startswith("line") else f"{name}: {exc}")
            continue
        if proof.checkpoint != note:
            report.fail(f"{name}: its checkpoint differs from {fmt.CHECKPOINT}")
            continue
        if proof.index != item["leaf_index"]:
            report.fail(
                f"{name} line 2: index {proof.index}, but the event on {where} is leaf "
                f"{item['leaf_index']}"
            )
            continue
        if not verify_inclusion(
            proof.index,
            checkpoint.tree_size,
            item["_leaf_hash"],
            list(proof.path),
            checkpoint.root_hash,
        ):
            report.fail(
                f"{name}: the event on {where} (position {item['position']}) is not proven to be "
                "in the signed tree: the event or its proof was altered"
            )


# ---- 5. held checkpoints


def _check_against(
    files: dict[str, bytes],
    checkpoint: Checkpoint,
    keys: list[NoteVerifier],
    trust: BundleTrust,
    report: BundleReport,
) -> None:
    chain = build_chain(checkpoint.origin, keys, [])
    for held in trust.against:
        cp = held.checkpoint
        refusal = chain.refusal(cp, held.source)
        if refusal is not None:
            report.fail(refusal)
            continue
        if cp.tree_size == checkpoint.tree_size:
            if cp.root_hash != checkpoint.root_hash:
                report.fail(
                    f"{held.source} and {fmt.CHECKPOINT} have the same tree size "
                    f"{cp.tree_size} but different roots: the log forked"
                )
            continue
        name = fmt.consistency_name(cp.tree_size)
        raw = files.get(name)
        if raw is None:
            report.fail(
                f"the bundle holds no consistency proof from {held.source} (tree size "
                f"{cp.tree_size}): ask for an export made with --against that checkpoint"
            )
            continue
        first, second, path, problem = _parse_consistency(raw, name)
        if problem is not None:
            report.fail(problem)
            continue
        small, large = sorted((cp, checkpoint), key=lambda c: c.tree_size)
        if (first, second) != (small.tree_size, large.tree_size):
            report.fail(
                f"{name} line 1: it proves {first} → {second}, not {small.tree_size} → "
                f"{large.tree_size}"
            )
            continue
        if not verify_consistency(first, second, small.root_hash, large.root_hash, path):
            report.fail(
                f"{name}: {held.source} (tree size {cp.tree_size}) is not consistent with "
                f"{fmt.CHECKPOINT} (tree size {checkpoint.tree_size}): the log was rewritten"
            )
            continue
        report.notes.append(f"consistent with {held.source} (tree size {cp.tree_size})")


def _parse_consistency(raw: bytes, name: str) -> tuple[int, int, list[bytes], str | None]:
    try:
        lines = raw.decode("utf-8").split("\n")
        if lines[-1] != "" or len(lines) < 3:
            raise NoteError("line 1: the file has 'first M', 'second N' and hash lines")
        lines = lines[:-1]
        if not lines[0].startswith("first ") or not lines[1].startswith("second "):
            raise NoteError("line 1: the file starts with 'first M' and 'second N'")
        first = decimal(lines[0][6:], "line 1")
        second = decimal(lines[1][7:], "line 2")
        path = [hash_line(h, f"line {i}") for i, h in enumerate(lines[2:], start=3)]
    except (NoteError, UnicodeDecodeError) as exc:
        return 0, 0, [], f"{name}: {exc}"
    return first, second, path, None


# ---- 6., 7. timestamp and rendering


def _check_timestamp(
    files: dict[str, bytes], checkpoint: Checkpoint, trust: BundleTrust, report: BundleReport
) -> None:
    token = files.get(fmt.TIMESTAMP)
    if token is None:
        return
    if not trust.tsa_roots:
        report.notes.append(
            f"{fmt.TIMESTAMP} was not checked: give the TSA's root certificate (--tsa-roots)"
        )
        return
    try:
        check = verify_token(token, timestamped_bytes(checkpoint), list(trust.tsa_roots))
    except TimestampError as exc:
        report.fail(f"{fmt.TIMESTAMP}: {exc}")
        return
    report.notes.append(f"{fmt.TIMESTAMP}: the checkpoint existed at {check.gen_time.isoformat()}")


def _bundle_keys(files: dict[str, bytes], report: BundleReport) -> dict[str, bytes] | None:
    """The data keys of keys.json (none in a bundle of an earlier format); None if unreadable."""
    raw = files.get(fmt.KEYS)
    if raw is None:
        return {}
    try:
        return envelopes.parse_keys(strict_json.loads(raw))
    except strict_json.StrictJsonError as exc:
        report.fail(f"{fmt.KEYS} {exc}")
    except ValueError as exc:
        report.fail(f"{fmt.KEYS}: {exc}")
    return None


def _opened(
    data: dict[str, Any], item: dict[str, Any], keys: dict[str, bytes], sealed: SealedCount
) -> dict[str, Any] | None:
    try:
        opened = envelopes.open_event(data, keys.get, str(item["aggregate_id"]), item["topic"])
    except envelopes.EnvelopeError as exc:
        sealed.failed.append(f"{fmt.EVENTS} line {item['_line']}: {exc}")
        return None
    sealed.used |= opened.used
    sealed.missing |= opened.missing
    return opened.data


@dataclass
class SealedCount:
    used: set[str] = field(default_factory=set)
    missing: set[str] = field(default_factory=set)
    failed: list[str] = field(default_factory=list)


def _dossier_events(
    events: list[dict[str, Any]], report: BundleReport, keys: dict[str, bytes]
) -> list[DossierEvent]:
    out = []
    encrypted = 0
    sealed = SealedCount()
    for item in events:
        try:
            data = decode_plain(item["_state"])
        except ValueError:
            # Encrypted at rest: the bundle carries the decrypted payload, which no proof covers.
            payload = item.get("payload")
            encrypted += 1
            if not isinstance(payload, dict):
                report.fail(
                    f"{fmt.EVENTS} line {item['_line']}: the event is neither plain JSON nor "
                    "accompanied by its payload"
                )
                continue
            data = payload
        else:
            try:
                strict_json.loads(item["_state"])
            except strict_json.StrictJsonError as exc:
                report.fail(f"{fmt.EVENTS} line {item['_line']}: the stored bytes: {exc}")
                continue
            opened = _opened(data, item, keys, sealed)
            if opened is None:
                continue
            data = opened
        out.append(
            DossierEvent(
                item["position"],
                item["aggregate_id"],
                item["version"],
                item["topic"],
                data,
                item["_leaf_hash"].hex(),
            )
        )
    if encrypted:
        report.notes.append(
            f"{encrypted} events are encrypted at rest: their sealed bytes are proven, but their "
            "readable payload cannot be tied to those bytes without the decryption key"
        )
    for failure in sealed.failed:
        report.fail(failure)
    for key_id in sorted(set(keys) - sealed.used):
        report.fail(f"{fmt.KEYS} lists key {key_id}, which opens no sealed value of {fmt.EVENTS}")
    if sealed.missing:
        report.notes.append(
            f"values sealed with {len(sealed.missing)} keys not in {fmt.KEYS} (shredded) read "
            f"as {envelopes.PLACEHOLDER}"
        )
    return out


def _check_rendering(
    files: dict[str, bytes],
    manifest: dict[str, Any],
    events: list[dict[str, Any]],
    checkpoint: Checkpoint,
    report: BundleReport,
) -> None:
    attempt = manifest.get("attempt")
    keys = _bundle_keys(files, report)
    if keys is None:
        return
    try:
        dossier = build_dossier(
            str(manifest["trajectory_id"]),
            _dossier_events(events, report, keys),
            attempt if isinstance(attempt, int) else None,
        )
    except (DossierError, KeyError, TypeError, ValueError) as exc:
        report.fail(f"{fmt.EVENTS} does not make a dossier: {exc}")
        return
    if files.get(fmt.DOSSIER_JSON) != fmt.canonical_json(dossier):
        report.fail(f"{fmt.DOSSIER_JSON} does not match the dossier rebuilt from {fmt.EVENTS}")
    if files.get(fmt.DOSSIER_HTML) != render_html(dossier, checkpoint.to_json()):
        report.fail(f"{fmt.DOSSIER_HTML} does not match the rendering of {fmt.EVENTS}")


def verify_bundle_bytes(data: bytes, trust: BundleTrust | None = None) -> BundleReport:
    trust = trust or BundleTrust()
    report = BundleReport()
    if trust.policy is None and not trust.trust_bundle_key:
        report.refused = HOW_TO_PIN
        return report
    files = _read_zip(data, report)
    if files is None:
        return report
    manifest = _check_manifest(files, report)
    if manifest is None or report.failures:
        return report
    first_format = manifest["_version"] == 1
    if first_format:
        legacy = _check_checkpoint_v1(files, manifest, trust, report)
        if legacy is None:
            return report
        checkpoint, keys = legacy, list[NoteVerifier]()
    else:
        found = _check_checkpoint(files, manifest, trust, report)
        if found is None:
            return report
        checkpoint, keys = found
    events = _load_events(files[fmt.EVENTS], report)
    report.events = len(events)
    _check_complete(events, _uuid_text(manifest["trajectory_id"]), report)
    if first_format:
        _check_proofs_v1(files, events, checkpoint, report)
        if trust.against:
            report.fail("a bundle of the first format holds no consistency proofs (--against)")
    else:
        _check_proofs(files, events, checkpoint, report)
        _check_against(files, checkpoint, keys, trust, report)
        _check_timestamp(files, checkpoint, trust, report)
    _check_rendering(files, manifest, events, checkpoint, report)
    readme = {1: fmt.V1_README_TEXT, 2: fmt.V2_README_TEXT}.get(
        manifest["_version"], fmt.README_TEXT
    )
    if files.get(fmt.README) != readme.encode():
        report.fail(f"{fmt.README} differs from the standard text")
    return report


def verify_bundle(path: Path, trust: BundleTrust | None = None) -> BundleReport:
    try:
        data = path.read_bytes()
    except OSError as exc:
        report = BundleReport()
        report.fail(f"cannot read {path}: {exc.strerror}")
        return report
    return verify_bundle_bytes(data, trust)
