"""The field types commands are declared with: bounds, clean text, and what a field holds.

Every limit lives here once. The HTTP request schemas are derived from the commands, so the API
documents and enforces exactly these bounds, and so does every other way a command is built.

Text must be storable everywhere the record goes: C0 control characters (except tab, line feed
and carriage return), DEL and lone surrogate code points are refused, because PostgreSQL text
cannot hold NUL and UTF-8 cannot hold a lone surrogate.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import Enum
from typing import Annotated, Any

from pydantic import AfterValidator, Field, StringConstraints

MAX_ID = 200
MAX_CODE = 100
MAX_TITLE = 500
MAX_TEXT = 20_000
MAX_URI = 2_000
MAX_ITEMS = 200
MAX_INT = 2**31 - 1
MAX_DETAILS_BYTES = 64 * 1024
MAX_DETAILS_DEPTH = 2

ALLOWED_CONTROLS = frozenset("\t\n\r")
# The same, as a JSON Schema pattern for the documentation (the validator gives the message).
NO_CONTROLS = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"


class Sensitivity(Enum):
    """What a field holds, for the privacy of the record: such fields are encrypted per student
    at rest and are what a shred makes unreadable."""

    PERSONAL = "personal"  # points at or describes the person (a content address, details)
    FREE_TEXT = "free_text"  # anything a person wrote


@dataclass(frozen=True)
class Holds:
    """Annotated marker: the field holds personal data or free text."""

    sensitivity: Sensitivity


PERSONAL = Holds(Sensitivity.PERSONAL)
FREE_TEXT = Holds(Sensitivity.FREE_TEXT)


def clean_text(value: str) -> str:
    """Refuses what no store can keep: control characters and lone surrogates."""
    for position, char in enumerate(value):
        code = ord(char)
        if (code < 0x20 and char not in ALLOWED_CONTROLS) or code == 0x7F:
            raise ValueError(
                f"control character U+{code:04X} at position {position}: text may hold tab, "
                "line feed and carriage return, no other control characters"
            )
        if 0xD800 <= code <= 0xDFFF:
            raise ValueError(
                f"lone surrogate U+{code:04X} at position {position}: text must be valid Unicode"
            )
    return value


Clean = AfterValidator(clean_text)
Documented = Field(json_schema_extra={"pattern": NO_CONTROLS})


def _small_details(value: dict[str, Any]) -> dict[str, Any]:
    """Free-form details stay small, so every dossier and page can render them."""
    size = len(json.dumps(value, ensure_ascii=False).encode())
    if size > MAX_DETAILS_BYTES:
        raise ValueError(f"details take {size} bytes as JSON; at most {MAX_DETAILS_BYTES}")
    return value


PersonId = Annotated[
    str,
    StringConstraints(min_length=1, max_length=MAX_ID, pattern=r"^[^\x00-\x20\x7f-\xa0]+$"),
    Field(
        description="A person's id, as the school's identity provider knows it (never a name).",
        examples=["student-01"],
    ),
]
# Ids that also appear in URL paths (evidence) keep to characters that need no escaping.
ItemId = Annotated[
    str,
    StringConstraints(min_length=1, max_length=MAX_CODE, pattern=r"^[A-Za-z0-9._~-]+$"),
    Field(description="A client-chosen id, unique on the trajectory.", examples=["ev-1"]),
]
Code = Annotated[
    str,
    StringConstraints(min_length=1, max_length=MAX_CODE),
    Clean,
    Documented,
    Field(
        description="A code from the program version (outcome, criterion or rubric level).",
        examples=["LO1"],
    ),
]
Level = Annotated[
    str,
    StringConstraints(min_length=1, max_length=MAX_CODE),
    Clean,
    Documented,
    Field(description="A rubric level of the program version.", examples=["bekwaam"]),
]
Cohort = Annotated[
    str,
    StringConstraints(min_length=1, max_length=MAX_CODE),
    Clean,
    Documented,
    Field(
        description="The cohort (with the program and student it makes the trajectory's id).",
        examples=["2026-A"],
    ),
]
Title = Annotated[
    str,
    StringConstraints(max_length=MAX_TITLE),
    Clean,
    Documented,
    FREE_TEXT,
    Field(description=f"A short title, at most {MAX_TITLE} characters."),
]
Text = Annotated[
    str,
    StringConstraints(max_length=MAX_TEXT),
    Clean,
    Documented,
    FREE_TEXT,
    Field(
        description=f"Free text, at most {MAX_TEXT} characters; the domain refuses an empty "
        "text where one is required."
    ),
]
# Definitions of a program are public documents, not anyone's personal text.
PublicText = Annotated[
    str,
    StringConstraints(max_length=MAX_TEXT),
    Clean,
    Documented,
    Field(description=f"Text of the program version, at most {MAX_TEXT} characters."),
]
# Why a privacy record was made (an erasure request, a shred, an export). Kept for good as the
# proof of what was done, so it is not marked: it is never encrypted, and it must not repeat the
# erased data (its description says so to whoever writes it).
Reason = Annotated[
    str,
    StringConstraints(min_length=1, max_length=MAX_TITLE),
    Clean,
    Documented,
    Field(
        description=f"Why, at most {MAX_TITLE} characters. Kept for good as proof of what was "
        "done: never the erased data itself, and no names.",
        examples=["Request of the student by e-mail of 12 March"],
    ),
]
Uri = Annotated[
    str,
    StringConstraints(max_length=MAX_URI),
    Clean,
    Documented,
    PERSONAL,
    Field(
        description=f"Where the content lives, at most {MAX_URI} characters.",
        examples=["https://portfolio.example.nl/student-01/ev-1"],
    ),
]
Sha256 = Annotated[
    str,
    StringConstraints(pattern=r"^[0-9a-f]{64}$"),
    Field(
        description="Lowercase hex SHA-256 of the content.",
        examples=["9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"],
    ),
]


def _keys_by_name(schema: dict[str, Any]) -> None:
    """Maps with constrained keys, at any depth: document the key pattern as `propertyNames`
    and the values as `additionalProperties` (JSON Schema's `patternProperties`, which pydantic
    writes, would let any other key through)."""
    by_pattern = schema.pop("patternProperties", None)
    if by_pattern:
        ((pattern, value),) = by_pattern.items()
        schema["additionalProperties"] = value
        schema.setdefault("propertyNames", {})["pattern"] = pattern
    for child in schema.values():
        for item in child if isinstance(child, list) else [child]:
            if isinstance(item, dict):
                _keys_by_name(item)


# Details of a correction: names with values, nested at most MAX_DETAILS_DEPTH levels deep
# (e.g. {"levels": {"LO1": "bekwaam"}} or {"outcomes": ["LO2"]}); every text clean. Shallow on
# purpose: what a correction names is a field and its corrected value.
DetailText = Annotated[str, StringConstraints(max_length=MAX_TEXT), Clean, Documented]
DetailKey = Annotated[str, StringConstraints(min_length=1, max_length=MAX_CODE), Clean, Documented]
Scalar = DetailText | int | float | bool | None
Details = Annotated[
    dict[DetailKey, Scalar | list[Scalar] | dict[DetailKey, Scalar]],
    AfterValidator(_small_details),
    PERSONAL,
    Field(
        json_schema_extra=_keys_by_name,
        description=f"Names with values (text, numbers, true/false, lists and maps of them), "
        f"at most {MAX_DETAILS_DEPTH} levels deep and {MAX_DETAILS_BYTES // 1024} KiB as JSON.",
    ),
]
Levels = Annotated[
    dict[Code, Level],
    Field(max_length=MAX_ITEMS, json_schema_extra=_keys_by_name),
]
Rationales = Annotated[
    dict[Code, Text],
    Field(max_length=MAX_ITEMS, json_schema_extra=_keys_by_name),
]
Number = Annotated[int, Field(ge=1, le=MAX_INT)]
AttemptNumber = Annotated[
    int, Field(ge=1, le=1_000, description="The high-stake attempt (1, then 2 for a resit, ...).")
]
