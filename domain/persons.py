"""Display names, kept apart from the events: events carry person ids and roles only.

Keeping names out of the log means a name can be corrected or erased without touching the
audit trail.
"""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

from domain.persistence.files import write_private


class PersonRegistry:
    """A small JSON file of person id → display name in the data directory."""

    def __init__(self, path: Path) -> None:
        self.path = path
        # The file as last read, by its modification time: read again only when it changed.
        self._read: tuple[tuple[int, int, int], dict[str, str]] | None = None

    @classmethod
    def in_data_dir(cls, data_dir: Path) -> PersonRegistry:
        return cls(data_dir / "persons.json")

    def all(self) -> dict[str, str]:
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            return {}
        changed = (stat.st_mtime_ns, stat.st_ino, stat.st_size)
        if self._read is None or self._read[0] != changed:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            self._read = (changed, {str(k): str(v) for k, v in data.items()})
        return dict(self._read[1])

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

    def put_many(self, names: dict[str, str]) -> None:
        merged = self.all() | names
        # Written beside and renamed, so a reader never sees half a file.
        text = json.dumps(merged, ensure_ascii=False, indent=1, sort_keys=True)
        write_private(self.path, text.encode("utf-8"))

    def erase(self, person_id: str) -> None:
        names = self.all()
        names.pop(person_id, None)
        self.path.unlink(missing_ok=True)
        self.put_many(names)


def _folded(text: str) -> str:
    """Lower case without accents: "Zoë" is found as "zoe"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))
