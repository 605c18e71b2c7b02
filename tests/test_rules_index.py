"""The README's index of where each rule R1–R16 is enforced names functions that exist."""

from __future__ import annotations

import importlib
import re
from pathlib import Path
from typing import Any

README = Path(__file__).resolve().parent.parent / "README.md"


def resolve(dotted: str) -> Any:
    """`package.module.Class.method` → the object, importing the longest module prefix."""
    parts = dotted.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        try:
            found: Any = importlib.import_module(".".join(parts[:cut]))
        except ModuleNotFoundError:
            continue
        for name in parts[cut:]:
            found = getattr(found, name)
        return found
    raise ModuleNotFoundError(dotted)


def index() -> dict[str, list[str]]:
    rows = re.findall(r"^\| (R\d+) [^|]+\| (.+) \|$", README.read_text(encoding="utf-8"), re.M)
    return {rule: re.findall(r"`([\w.]+)`", cell) for rule, cell in rows}


def test_every_rule_is_indexed() -> None:
    assert sorted(index(), key=lambda r: int(r[1:])) == [f"R{n}" for n in range(1, 17)]


def test_every_indexed_function_exists() -> None:
    for rule, names in index().items():
        assert names, f"{rule} names no function"
        for name in names:
            assert callable(resolve(name)), f"{rule}: {name} is not callable"
