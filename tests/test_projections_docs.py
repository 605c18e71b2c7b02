"""docs/read-models.md documents every table and column the read models have."""

from __future__ import annotations

from pathlib import Path

from projections.models import all_models

DOC = Path(__file__).resolve().parent.parent / "docs" / "read-models.md"


def test_every_table_and_column_is_documented() -> None:
    text = DOC.read_text(encoding="utf-8")
    for model in all_models():
        for table in model.tables:
            section = text.split(f"#### `{table.name}`", 1)
            assert len(section) == 2, f"{table.name} has no section in {DOC.name}"
            body = section[1].split("####", 1)[0]
            for column in table.columns:
                assert f"| `{column.name}` | {column.type} |" in body, (table.name, column.name)
