"""The person registry: who a person id is, kept apart from the events, which carry person ids
and roles only.

An entry is a display name and, where the school keeps them here, a student number and an
e-mail address (the file maps an id to its name, or to an object with `name`, `student_number`
and `email`). Keeping them out of the log means they can be corrected or erased without
touching the audit trail: an erasure of all of a student's data forgets their entry
(`domain.privacy.erasure`).
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Mapping
from pathlib import Path

from domain.persistence.files import write_private

# What an entry may hold besides the name.
DETAILS = ("student_number", "email")
Entry = dict[str, str]


def _entry(value: object) -> Entry:
    if isinstance(value, Mapping):
        kept = {k: str(value[k]) for k in ("name", *DETAILS) if value.get(k) is not None}
        kept.setdefault("name", "")
        return kept
    return {"name": str(value)}


class PersonRegistry:
    """A small JSON file of person id → display name (or entry) in the data directory."""

    def __init__(self, path: Path) -> None:
        self.path = path
        # The file as last read, by its modification time: read again only when it changed.
        self._read: tuple[tuple[int, int, int], dict[str, Entry]] | None = None

    @classmethod
    def in_data_dir(cls, data_dir: Path) -> PersonRegistry:
        return cls(data_dir / "persons.json")

    def _entries(self) -> dict[str, Entry]:
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            return {}
        changed = (stat.st_mtime_ns, stat.st_ino, stat.st_size)
        if self._read is None or self._read[0] != changed:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            self._read = (changed, {str(k): _entry(v) for k, v in data.items()})
        return self._read[1]

    def all(self) -> dict[str, str]:
        """Every person's display name."""
        return {person: entry["name"] for person, entry in self._entries().items()}

    def entry(self, person_id: str) -> Entry | None:
        """Everything the registry holds of a person (name, student number, e-mail)."""
        found = self._entries().get(person_id)
        return dict(found) if found is not None else None

    def matching(self, text: str) -> set[str]:
        """The people whose name or id holds the text (case and accents as typed aside)."""
        wanted = _folded(text)
        return {
            person
            for person, name in self.all().items()
            if wanted in _folded(name) or wanted in _folded(person)
        }

    def name(self, person_id: str) -> str:
        return self.all().get(person_id, person_id)

    def put_many(self, names: Mapping[str, str | Mapping[str, str]]) -> None:
        """Adds or replaces entries: a name, or an entry with a name and details."""
        merged = self._entries() | {person: _entry(v) for person, v in names.items()}
        self._write(merged)

    def _write(self, entries: Mapping[str, Entry]) -> None:
        # A name alone is stored as the name, as the file always had it.
        data = {p: e["name"] if set(e) == {"name"} else e for p, e in entries.items()}
        text = json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True)
        # Written beside and renamed, so a reader never sees half a file.
        write_private(self.path, text.encode("utf-8"))

    def erase(self, person_id: str) -> None:
        """Forgets a person's entry: the file is written anew without it."""
        entries = dict(self._entries())
        entries.pop(person_id, None)
        self.path.unlink(missing_ok=True)
        self._write(entries)


def _folded(text: str) -> str:
    """Lower case without accents: "Zoë" is found as "zoe"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))
