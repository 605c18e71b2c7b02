"""Sealed texts on the read side: what the read models keep of a sensitive value, and how it is
opened when it is shown.

The read models never hold the plaintext of a value the commands mark as personal data or free
text (`Command.sensitive_fields`). They fold events decoded without opening their envelopes
(`app.mapper.to_sealed_event`), and keep, where a table shows such a text, a *reference*: the
envelope itself, with the additional data that binds it to its place (the event's trajectory,
topic and field), so that it can be opened at serve time with the key store, or the placeholder
once its key is shredded. Where only a fact about a text is needed ("an explanation was given"),
that fact is derived and the text is not kept at all.

A reference is JSON: a plain string (a value of an event stored before encryption), the
placeholder, or `{"$sealed": 1, "key", "nonce", "data", "aad"}`. A table column that holds one
has the type `sealed` and stores that JSON as text.
"""

from __future__ import annotations

import base64
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from eventsourcing.persistence import StoredEvent

from domain.privacy import envelope
from domain.privacy.envelope import PLACEHOLDER, KeyLookup
from domain.privacy.keys import KeyStore
from domain.privacy.mapper import SealingMapper, candidates
from projections import codec

if TYPE_CHECKING:
    from domain.application import Bewijsketen

AAD = "aad"
# AES-GCM adds a 16-byte tag; the JSON of an empty string is two bytes.
_EMPTY_TEXT_BYTES = 16 + len('""')


@dataclass(frozen=True, slots=True)
class Keys:
    """What the decoder knows of the keys: those shredded when the events were read (whether a
    value can still be opened, known without unwrapping a key), and the key store's lookup
    (for the few values a fact is derived from)."""

    gone: frozenset[str]
    lookup: KeyLookup


class Sealed:
    """A sealed value as an event brings it to the read models: its envelope and its place
    (the additional data is made only when it is needed: most sealed values are not kept)."""

    __slots__ = ("envelope", "field", "keys", "topic", "trajectory_id")

    def __init__(
        self, sealed: dict[str, Any], trajectory_id: Any, topic: str, name: str, keys: Keys
    ) -> None:
        self.envelope = sealed
        self.trajectory_id = trajectory_id
        self.topic = topic
        self.field = name
        self.keys = keys

    @property
    def where(self) -> bytes:
        return envelope.aad(self.trajectory_id, self.topic, self.field)

    @property
    def alive(self) -> bool:
        return str(self.envelope["key"]) not in self.keys.gone

    def reference(self) -> Any:
        """What a read model keeps: the envelope and its place, or the placeholder."""
        if not self.alive:
            return PLACEHOLDER
        return {**self.envelope, AAD: self.where.decode()}

    def opened(self) -> Any:
        return envelope.open_sealed(self.envelope, self.keys.lookup, self.where)

    def given(self) -> bool:
        """Whether the text says anything. An empty text is told by the length of its
        ciphertext (only `""` seals to so few bytes), without a key; so is any text once its
        key is gone; the others are opened (a text of blanks says nothing either)."""
        if len(base64.b64decode(self.envelope["data"])) <= _EMPTY_TEXT_BYTES:
            return False
        value = self.opened() if self.alive else PLACEHOLDER
        if value == PLACEHOLDER:
            return True
        return bool(value.strip()) if isinstance(value, str) else bool(value)


def reference(value: Any) -> Any:
    """The reference a read model keeps of an event's value (a plain value stays as it is)."""
    return value.reference() if isinstance(value, Sealed) else value


def given(value: Any) -> bool:
    """Whether a text of an event says anything (sealed or not)."""
    if isinstance(value, Sealed):
        return value.given()
    return bool(value.strip()) if isinstance(value, str) else bool(value)


def open_reference(value: Any, lookup: KeyLookup) -> Any:
    """A reference opened for a reader: the text, or the placeholder when its key is gone."""
    if isinstance(value, dict) and envelope.is_sealed(value) and isinstance(value.get(AAD), str):
        sealed = {k: v for k, v in value.items() if k != AAD}
        return envelope.open_sealed(sealed, lookup, value[AAD].encode())
    return value


def dumps(value: Any) -> str:
    """A reference as a `sealed` column stores it."""
    return codec.dumps(value)


def open_column(text: Any, lookup: KeyLookup | None) -> Any:
    """A `sealed` column's text opened (None stays None; without a key store: the placeholder
    for anything sealed)."""
    if text is None:
        return None
    value = codec.loads(text) if isinstance(text, str | bytes) else text
    if lookup is None:
        return PLACEHOLDER if isinstance(value, dict) else value
    return open_reference(value, lookup)


Decoder = Callable[[StoredEvent], Any]

# Per key store: the shred generation and the keys shredded as of it (read again only when a
# shred moved the generation on, so that the runner's every step does not read them).
_SHREDDED: weakref.WeakKeyDictionary[KeyStore, tuple[int, frozenset[str]]] = (
    weakref.WeakKeyDictionary()
)


def shredded(keys: KeyStore) -> frozenset[str]:
    """The ids of the keys shredded, as of the key store's latest poll."""
    keys.refresh()
    generation = keys.generation
    found = _SHREDDED.get(keys)
    if found is None or found[0] != generation:
        found = _SHREDDED[keys] = (generation, keys.shredded_ids())
    return found[1]


def decoder(app: Bewijsketen) -> Decoder:
    """Decodes stored events for the read models: envelopes are not opened; each top-level
    envelope of a trajectory event becomes a `Sealed` (its place and the key store with it).
    Values of marked lists and dicts stay envelopes: no read model uses them. The keys shredded
    are read once, when the decoder is made (a shred after that is the purge's to apply)."""
    mapper = app.mapper
    assert isinstance(mapper, SealingMapper)
    to_sealed = mapper.to_sealed_event
    keys = Keys(shredded(app.keys), app.keys.lookup)
    is_sealed = envelope.is_sealed
    fields: dict[type[Any], tuple[str, ...]] = {}

    def decode(stored: StoredEvent) -> Any:
        event = to_sealed(stored)
        cls = type(event)
        names = fields.get(cls)
        if names is None:
            names = fields[cls] = candidates(cls)
        if names:
            state = event.__dict__
            for name in names:
                value = state.get(name)
                if type(value) is dict and is_sealed(value):
                    state[name] = Sealed(value, stored.originator_id, stored.topic, name, keys)
        return event

    return decode
