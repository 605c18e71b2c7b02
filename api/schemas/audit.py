"""The answers of the audit log's routes: keys, checkpoints, proofs, leaves, verification.

docs/audit.md says what each field means to an outside verifier. The models name every field
the routes send; a field a route adds later shows up in the answer and fails the schema test.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class Answer(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LogKey(Answer):
    vkey: str = Field(description="A key of the log in the signed-note verifier-key format.")
    announced_in: str | None = Field(
        description="The checkpoint note, signed by the key before, that announced it."
    )


class PublicKey(Answer):
    algorithm: str = Field(examples=["Ed25519"])
    key_id: str = Field(description="SHA-256 of the raw public key, hex.")
    public_key: str = Field(description="The raw 32-byte Ed25519 key, base64.")
    pem: str = Field(description="The key as SubjectPublicKeyInfo PEM.")
    origin: str = Field(description="The log's origin line: the key name of its notes.")
    vkey: str = Field(description="The verifier key a trust policy pins (`log <vkey>`).")
    note_key_id: str = Field(description="The 4-byte signed-note key id, hex.")
    keys: list[LogKey] = Field(description="Every key the log has signed with, oldest first.")


class Checkpoint(Answer):
    format: str = Field(description="bewijsketen-checkpoint/2 (C2SP) or /1 (the earlier one).")
    origin: str
    tree_size: int
    root_hash: str = Field(description="The tree's root, hex.")
    issued_at: str = Field(description="When it was signed (UTC).")
    key_id: str
    signature: str = Field(description="The log's signature, base64.")
    note: str = Field(description="The signed note itself: what a verifier checks.")
    cosignatures: int | None = Field(None, description="Witnesses' cosignatures kept with it.")
    witnesses: list[str] | None = Field(
        None, description="The names of the witnesses that cosigned it."
    )
    public_key: str | None = Field(None, description="The signing key, when asked for.")


class CheckpointPage(Answer):
    """Signed checkpoints, oldest first, and where the sealer stands."""

    limit: int = Field(description="Page size asked for.")
    offset: int = Field(description="Checkpoints skipped.")
    next_offset: int | None = Field(description="Offset of the next page; null on the last.")
    total: int = Field(description="Checkpoints of a larger tree than `after`.")
    items: list[Checkpoint]
    sealer: dict[str, Any] = Field(description="The sealer's status (as at GET /health).")


class InclusionProof(Answer):
    position: int
    leaf_index: int
    tree_size: int
    leaf_hash: str
    root_hash: str
    path: list[str] = Field(description="The audit path, leaf to root, hex (RFC 9162).")
    checkpoint: Checkpoint | None


class ConsistencyProof(Answer):
    first: int
    second: int
    first_root: str
    second_root: str
    path: list[str] = Field(description="The consistency path, hex (RFC 9162).")
    first_checkpoint: Checkpoint | None
    second_checkpoint: Checkpoint | None


class LeafEncoding(Answer):
    version: int
    leaf: str
    leaf_hash: str


class Leaf(Answer):
    position: int
    leaf_index: int
    aggregate_id: str
    version: int
    topic: str
    event: str
    state: str = Field(description="The event's bytes as stored, base64.")
    leaf: str = Field(description="The leaf's bytes, base64.")
    leaf_hash: str = Field(description="SHA-256(0x00 ‖ leaf), hex.")
    sealed_leaf_hash: str = Field(description="The leaf hash the log sealed, hex.")
    matches_seal: bool
    encoding: LeafEncoding


class Divergence(Answer):
    kind: str
    position: int
    last_position: int | None
    subject: str
    found_by: str
    detail: str


class VerifyReport(Answer):
    ok: bool
    events: int
    sealed: int
    unsealed: int
    checkpoints_checked: int
    external_checkpoints_checked: int
    divergence: Divergence | None
    problems: list[str]
    notes: list[str]
    witnessed_tree_size: int | None
    timestamps_checked: int
