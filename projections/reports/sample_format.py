"""The inspection sample: how it is drawn and how its archive is laid out (docs/reports.md).

Shared by the writer and the offline verifier. Pure: no database, no domain.

The draw is reproducible by anyone, on any machine and any store: each trajectory of the cohort
gets the rank SHA-256("<seed>:<trajectory id>") (the id in its canonical lowercase form, the
hash as 64 lowercase hex digits), and the sample is the N trajectories with the lowest ranks.
The same seed and the same cohort always give the same students, whatever order the
trajectories are listed in.

    manifest.json     format, program, cohort, seed, size, method, the sample, SHA-256 of
                      every other file
    cohort.json       every trajectory of the cohort with its outcome and its rank
    cohort.csv        the same, for a spreadsheet (Dutch headers, semicolons)
    checkpoint.txt    the one signed checkpoint (a C2SP signed note) every bundle's proofs
                      lead to: a copy of the bundles' own, byte for byte
    log.vkey          the log's verifier key (idem)
    bundles/<id>.zip  one verifiable dossier bundle per sampled trajectory
    LEESMIJ.txt       how to verify and how to redo the draw, in Dutch (fixed text)
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from typing import Any

FORMAT = "bewijsketen-inspection-sample/1"
METHOD = (
    "sha256-rank/1: rank = SHA-256 of '<seed>:<trajectory id>' (UTF-8, lowercase hex); the "
    "sample is the trajectories with the lowest ranks"
)
MANIFEST = "manifest.json"
COHORT_JSON = "cohort.json"
COHORT_CSV = "cohort.csv"
README = "LEESMIJ.txt"
BUNDLES = "bundles/"
ZIP_TIME = (2000, 1, 1, 0, 0, 0)

README_TEXT = """Steekproef voor de inspectie uit bewijsketen
============================================

Dit archief bevat een steekproef van leertrajecten uit één cohort van één leerprogramma:

- manifest.json   programma, cohort, zaadwaarde (seed), omvang, methode, de getrokken trajecten
                  en de SHA-256 van elk ander bestand
- cohort.json     alle trajecten van het cohort met hun uitslag en rang (ook als cohort.csv)
- bundles/        per getrokken traject een zelfstandig, controleerbaar besluitdossier
- checkpoint.txt  het ene ondertekende controlepunt waar de bewijzen van alle dossiers naar leiden
- log.vkey        de verificatiesleutel van het logboek

Controleren zonder database, met het vertrouwensbeleid (policy) waarin u de sleutel vastlegt
die de instelling publiceert (GET /audit/public-key, veld vkey) en eventueel haar getuigen:
  bewijsketen inspection verify <dit-bestand>.zip --policy vertrouwen.policy
of per dossier:
  bewijsketen audit verify-export bundles/<traject>.zip --policy vertrouwen.policy
Zonder beleid beoordeelt de controle niets; --trust-archive-key controleert alleen dat het
archief heel is, tegen de sleutel die erin zit, niet wie het maakte.

De trekking natrekken: de rang van een traject is de SHA-256 van de tekst
'<seed>:<traject-id>', bijvoorbeeld met
  printf '%s' '<seed>:<traject-id>' | sha256sum
De steekproef bestaat uit de trajecten met de laagste rang. Dezelfde seed en hetzelfde cohort
geven altijd dezelfde studenten. Dat de steekproef uit het hele cohort komt, blijkt uit
cohort.json: daar staan alle trajecten van het cohort, getrokken of niet.
"""


def rank(seed: str, trajectory_id: str) -> str:
    return hashlib.sha256(f"{seed}:{trajectory_id.lower()}".encode()).hexdigest()


def draw(trajectory_ids: Iterable[str], seed: str, size: int | None) -> list[str]:
    """The sample: the `size` trajectories with the lowest rank (every one if size is None),
    lowest rank first."""
    ranked = sorted((rank(seed, t), t.lower()) for t in set(trajectory_ids))
    chosen = ranked if size is None else ranked[:size]
    return [t for _, t in chosen]


def canonical_json(data: Any) -> bytes:
    return (json.dumps(data, sort_keys=True, ensure_ascii=False, indent=1) + "\n").encode()
