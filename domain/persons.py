"""Display names, kept apart from the events: events carry person ids and roles only.

Keeping names out of the log means a name can be corrected or erased without touching the
audit trail.
"""

from __future__ import annotations

import json
from pathlib import Path

from domain.persistence.files import write_private


class PersonRegistry:
    """A small JSON file of person id → display name in the data directory."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @classmethod
    def in_data_dir(cls, data_dir: Path) -> PersonRegistry:
        return cls(data_dir / "persons.json")

    def all(self) -> dict[str, str]:
        if not self.path.exists():
            return {}
        data = json.loads(self.path.read_text(encoding="utf-8"))
        return {str(k): str(v) for k, v in data.items()}

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
