"""The dossier bundle's layout, shared by the writer and the offline verifier (docs/audit.md).

    manifest.json             format, trajectory, attempt, tree size, origin, the SHA-256 of
                              every other file
    events.jsonl              one event per line in position order: its stored bytes (base64)
    checkpoint.txt            the checkpoint (C2SP signed note) with the witnesses' cosignatures
    proofs/<position>.tlog-proof   each event's inclusion proof (c2sp.org/tlog-proof@v1)
    consistency/<size>.txt    optional: consistency proofs from checkpoints a verifier holds
    checkpoint.tsr            optional: an RFC 3161 timestamp of the checkpoint
    log.vkey                  the log's verifier key, as the bundle claims it (not a trust anchor)
    keys.json                 the student's data keys that open the events' sealed values (those
                              not shredded): the bundle holds the readable dossier anyway
    dossier.json              the dossier as data, rebuilt from events.jsonl by the verifier
    dossier.html              the Dutch rendering, regenerated and compared byte for byte
    LEESMIJ.txt               how to verify, in Dutch (fixed text)
Pure: no database, no domain.
"""

from __future__ import annotations

import json
import re
from typing import Any

from projections.audit.note import b64

FORMAT = "bewijsketen-dossier-bundle/3"
MANIFEST = "manifest.json"
EVENTS = "events.jsonl"
CHECKPOINT = "checkpoint.txt"
LOG_KEY = "log.vkey"
KEYS = "keys.json"
TIMESTAMP = "checkpoint.tsr"
DOSSIER_JSON = "dossier.json"
DOSSIER_HTML = "dossier.html"
README = "LEESMIJ.txt"
PROOF_DIR = "proofs/"
CONSISTENCY_DIR = "consistency/"
FILES = (EVENTS, CHECKPOINT, LOG_KEY, KEYS, DOSSIER_JSON, DOSSIER_HTML, README)
OPTIONAL = (TIMESTAMP,)
MANIFEST_KEYS = frozenset(
    {"format", "trajectory_id", "attempt", "tree_size", "origin", "log_key", "files"}
)
EVENT_KEYS = frozenset({"position", "leaf_index", "aggregate_id", "version", "topic", "state"})
EVENT_OPTIONAL = frozenset({"payload"})
# A fixed time for every zip entry: the same bundle content gives the same zip bytes.
ZIP_TIME = (2000, 1, 1, 0, 0, 0)
# Bounds against zip bombs: a dossier is a few hundred events.
MAX_ENTRIES = 100_000
MAX_BYTES = 512 * 1024 * 1024

_PROOF_NAME = re.compile(r"proofs/(0|[1-9][0-9]*)\.tlog-proof")
_CONSISTENCY_NAME = re.compile(r"consistency/(0|[1-9][0-9]*)\.txt")


def proof_name(position: int) -> str:
    return f"{PROOF_DIR}{position}.tlog-proof"


def consistency_name(size: int) -> str:
    return f"{CONSISTENCY_DIR}{size}.txt"


def proof_position(name: str) -> int | None:
    match = _PROOF_NAME.fullmatch(name)
    return int(match.group(1)) if match else None


def consistency_size(name: str) -> int | None:
    match = _CONSISTENCY_NAME.fullmatch(name)
    return int(match.group(1)) if match else None


def required_files(version: int) -> tuple[str, ...]:
    """The files a bundle of this format version must hold besides the manifest."""
    return {1: V1_FILES, 2: V2_FILES}.get(version, FILES)


def known_name(name: str, version: int | None = None) -> bool:
    """Whether `name` belongs to a bundle of this format version (of any, if None)."""
    first = name in V1_FILES or name == MANIFEST
    second = (
        name in V2_FILES
        or name in OPTIONAL
        or name == MANIFEST
        or proof_position(name) is not None
        or consistency_size(name) is not None
    )
    third = second or name == KEYS
    return {1: first, 2: second, 3: third}.get(version or 0, first or third)


def consistency_text(first: int, second: int, path: list[bytes]) -> str:
    """A consistency proof from the tree of `first` leaves to the tree of `second`."""
    lines = [f"first {first}", f"second {second}", *(b64(h) for h in path)]
    return "".join(line + "\n" for line in lines)


README_TEXT = """Besluitdossier uit bewijsketen
==============================

Deze map is een zelfstandig, controleerbaar dossier van een besluit over een leertraject.

- dossier.html    het dossier om te lezen en af te drukken (tijdlijn, niveaus per leeropbrengst)
- events.jsonl    alle gebeurtenissen zoals ze zijn opgeslagen (base64), een per regel
- proofs/         per gebeurtenis het bewijs van opname in het logboek (c2sp.org/tlog-proof)
- checkpoint.txt  het ondertekende controlepunt (C2SP), met de handtekeningen van getuigen
- checkpoint.tsr  indien aanwezig: een tijdstempel van het controlepunt (RFC 3161)
- log.vkey        de sleutel die het dossier zelf noemt (vertrouw liever de gepubliceerde)
- keys.json       de sleutels die de versleutelde teksten van de student openen; teksten
                  waarvan de sleutel vernietigd is, staan er als [verwijderd]
- dossier.json    het dossier als gegevens
- manifest.json   de SHA-256 van elk bestand

Dit bestand bevat persoonsgegevens: bewaar en deel het zoals het dossier zelf.

Controleren zonder database:
    bewijsketen audit verify-export --policy <beleid> <dit-bestand>.zip
Het beleid (c2sp.org/tlog-policy) noemt de sleutel van het logboek zoals de instelling die
publiceert (GET /audit/public-key, veld vkey), de getuigen en hoeveel er moeten tekenen.
Het formaat staat beschreven in docs/audit.md, zodat u ook een eigen controle kunt schrijven.
"""


# The second format (bundles written before sealed values: no keys.json) is still verified.
V2_FORMAT = "bewijsketen-dossier-bundle/2"
V2_FILES = (EVENTS, CHECKPOINT, LOG_KEY, DOSSIER_JSON, DOSSIER_HTML, README)
V2_README_TEXT = """Besluitdossier uit bewijsketen
==============================

Deze map is een zelfstandig, controleerbaar dossier van een besluit over een leertraject.

- dossier.html    het dossier om te lezen en af te drukken (tijdlijn, niveaus per leeropbrengst)
- events.jsonl    alle gebeurtenissen zoals ze zijn opgeslagen (base64), een per regel
- proofs/         per gebeurtenis het bewijs van opname in het logboek (c2sp.org/tlog-proof)
- checkpoint.txt  het ondertekende controlepunt (C2SP), met de handtekeningen van getuigen
- checkpoint.tsr  indien aanwezig: een tijdstempel van het controlepunt (RFC 3161)
- log.vkey        de sleutel die het dossier zelf noemt (vertrouw liever de gepubliceerde)
- dossier.json    het dossier als gegevens
- manifest.json   de SHA-256 van elk bestand

Controleren zonder database:
    bewijsketen audit verify-export --policy <beleid> <dit-bestand>.zip
Het beleid (c2sp.org/tlog-policy) noemt de sleutel van het logboek zoals de instelling die
publiceert (GET /audit/public-key, veld vkey), de getuigen en hoeveel er moeten tekenen.
Het formaat staat beschreven in docs/audit.md, zodat u ook een eigen controle kunt schrijven.
"""


# The first format (bundles written before checkpoints were C2SP notes) is still verified.
V1_FORMAT = "bewijsketen-dossier-bundle/1"
V1_CHECKPOINT = "checkpoint.json"
V1_PROOFS = "proofs.json"
V1_PUBLIC_KEY = "public-key.pem"
V1_FILES = (EVENTS, V1_CHECKPOINT, V1_PROOFS, V1_PUBLIC_KEY, DOSSIER_JSON, DOSSIER_HTML, README)
V1_MANIFEST_KEYS = frozenset({"format", "trajectory_id", "attempt", "tree_size", "key_id", "files"})
V1_README_TEXT = """Besluitdossier uit bewijsketen
==============================

Deze map is een zelfstandig, controleerbaar dossier van een besluit over een leertraject.

- dossier.html   het dossier om te lezen en af te drukken (tijdlijn, niveaus per leeropbrengst)
- events.jsonl   alle gebeurtenissen zoals ze zijn opgeslagen (base64), een per regel
- proofs.json    per gebeurtenis het bewijs van opname in het verzegelde logboek (RFC 9162)
- checkpoint.json het ondertekende controlepunt (Ed25519) waar de bewijzen naar leiden
- public-key.pem de publieke sleutel van het logboek
- dossier.json   het dossier als gegevens
- manifest.json  de SHA-256 van elk bestand

Controleren zonder database:  bewijsketen audit verify-export <dit-bestand>.zip
Vergelijk daarbij de sleutel-id met die de instelling publiceert (GET /audit/public-key).
Het formaat staat beschreven in docs/audit.md, zodat u ook een eigen controle kunt schrijven.
"""


def canonical_json(data: Any) -> bytes:
    """The one serialisation of dossier.json: sorted keys, UTF-8, newline at the end."""
    return (json.dumps(data, sort_keys=True, ensure_ascii=False, indent=1) + "\n").encode()
