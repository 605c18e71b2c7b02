"""Which checkpoints to believe: the log's key chain and the witnesses' quorum.

The chain starts from trust anchors (the keys of a tlog-policy, or the first key the log
recorded) and grows only by announcements: a checkpoint signed by a trusted key whose
extension line `next-key <vkey>` names the next key, trusted from that tree size on. A
checkpoint signed by any other key is refused with "key changed". A checkpoint is witnessed
when the policy's quorum of witnesses cosigned it (c2sp.org/tlog-cosignature). Pure.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from projections.audit.checkpoint import Checkpoint, from_note
from projections.audit.keys import key_id as legacy_key_id
from projections.audit.note import ED25519, NoteError, NoteVerifier, parse_note, parse_vkey
from projections.audit.policy import Policy
from projections.audit.tlog import check_cosignature


@dataclass
class KeyChain:
    origin: str
    # (key, the smallest tree size it may sign): anchors from 0, announced keys from their
    # announcement's size.
    keys: list[tuple[NoteVerifier, int]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def describe(self) -> str:
        return ", ".join(k.vkey for k, _ in self.keys) or "none"

    def signer_of(self, checkpoint: Checkpoint) -> NoteVerifier | None:
        """The trusted key whose signature on this checkpoint verifies, if any."""
        for key, since in self.keys:
            if checkpoint.tree_size < since:
                continue
            public = Ed25519PublicKey.from_public_bytes(key.public)
            if checkpoint.legacy:
                if checkpoint.signed_by(public):
                    return key
            elif key.name == checkpoint.origin and checkpoint.signed_by(public):
                return key
        return None

    def refusal(self, checkpoint: Checkpoint, label: str) -> str | None:
        """Why this checkpoint is not to be believed, or None."""
        if self.signer_of(checkpoint) is not None:
            return None
        known = any(
            k.key_hex == checkpoint.key_id or _legacy_id(k) == checkpoint.key_id
            for k, _ in self.keys
        )
        if known:
            return (
                f"{label}: the signature does not verify under the log's key "
                f"{checkpoint.key_id}: the checkpoint was forged or altered"
            )
        return (
            f"key changed: {label} is signed by key {checkpoint.key_id[:16]}, which is not the "
            f"log's key ({self.describe()}) nor announced by it in a checkpoint"
        )


def _legacy_id(key: NoteVerifier) -> str:
    return legacy_key_id(Ed25519PublicKey.from_public_bytes(key.public))


def build_chain(
    origin: str, anchors: Sequence[NoteVerifier], announcements: Iterable[str]
) -> KeyChain:
    """The chain from the anchors through each announcement (signed notes, oldest first)."""
    chain = KeyChain(origin, [(a, 0) for a in anchors if a.kind == ED25519])
    for note in announcements:
        try:
            announcing = from_note(note)
            successor = parse_vkey(announcing.next_key or "")
        except (ValueError, NoteError) as exc:
            chain.problems.append(f"a recorded key announcement is not readable: {exc}")
            continue
        if any(k.public == successor.public for k, _ in chain.keys):
            continue
        if chain.signer_of(announcing) is None:
            chain.problems.append(
                f"key changed: the key {successor.vkey} was recorded at tree size "
                f"{announcing.tree_size} without an announcement signed by the log's key"
            )
            continue
        chain.keys.append((successor, announcing.tree_size))
    return chain


def witnessed_by(checkpoint: Checkpoint, policy: Policy) -> tuple[list[str], list[str]]:
    """(policy names of witnesses whose cosignature verifies, problems with bad ones)."""
    if checkpoint.legacy or not policy.witnesses:
        return [], []
    try:
        note = parse_note(checkpoint.note)
    except NoteError as exc:
        return [], [f"checkpoint at tree size {checkpoint.tree_size}: {exc}"]
    good, bad = [], []
    for name, witness in policy.witnesses.items():
        theirs = [s for s in note.signatures if s.by(witness.verifier)]
        if not theirs:
            continue
        if all(check_cosignature(witness.verifier, note, s) for s in theirs):
            good.append(name)
        else:
            bad.append(
                f"the cosignature of witness {name} on the checkpoint at tree size "
                f"{checkpoint.tree_size} does not verify"
            )
    return good, bad


def anchors_from(
    policy: Policy | None, origin: str, recorded_first: str | None
) -> tuple[list[NoteVerifier], str]:
    """The trust anchors and where they come from (for messages)."""
    if policy is not None:
        keys = policy.log_keys(origin)
        return keys, f"the policy {policy.source}"
    if recorded_first is not None:
        return [parse_vkey(recorded_first)], "the log's recorded first key"
    return [], "no key"
