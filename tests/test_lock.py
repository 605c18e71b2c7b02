"""The lock files: every package pinned with hashes, in step with pyproject.toml, the runtime
lock free of test tools and at the same versions as the test lock, and this environment
installed from them."""

from __future__ import annotations

import importlib.metadata
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
LOCKS = ROOT / "requirements"
# What running does not need (`packaging`, also a test requirement, the runtime needs too).
TEST_TOOLS = {"pytest", "pytest-timeout", "hypothesis", "schemathesis", "ruff", "mypy"}
HASH = re.compile(r"--hash=sha256:[0-9a-f]{64}$")


@dataclass(frozen=True)
class Pin:
    requirement: Requirement
    hashes: tuple[str, ...]

    @property
    def version(self) -> str:
        (specifier,) = self.requirement.specifier
        assert specifier.operator == "==", self.requirement
        return specifier.version

    def applies(self) -> bool:
        marker = self.requirement.marker
        return marker is None or marker.evaluate()


def pins(name: str) -> dict[str, Pin]:
    """The entries of a lock file by canonical name: `name==version [; marker] --hash=…`."""
    entries: list[str] = []
    current: list[str] = []
    for line in (LOCKS / name).read_text(encoding="utf-8").splitlines():
        text = line.split("#", 1)[0].strip() if not line.lstrip().startswith("--hash") else line
        text = text.strip()
        if not text:
            continue
        if not line.startswith((" ", "\t")) and current:
            entries.append(" ".join(current))
            current = []
        current.append(text.removesuffix("\\").strip())
    if current:
        entries.append(" ".join(current))
    found = {}
    for entry in entries:
        requirement, *hashes = entry.split(" --hash=")
        pin = Pin(Requirement(requirement), tuple(f"--hash={h}" for h in hashes))
        found[canonicalize_name(pin.requirement.name)] = pin
    return found


def pyproject() -> dict[str, object]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def wanted(group: str | None) -> list[Requirement]:
    project = pyproject()["project"]
    assert isinstance(project, dict)
    listed = project["dependencies"] if group is None else project["optional-dependencies"][group]
    return [Requirement(r) for r in listed]


def build_requirements() -> list[Requirement]:
    build = pyproject()["build-system"]
    assert isinstance(build, dict)
    return [Requirement(r) for r in build["requires"]]


@pytest.mark.parametrize("lock", ["run.txt", "test.txt", "uv.txt"])
def test_every_pin_is_exact_and_hashed(lock: str) -> None:
    found = pins(lock)
    assert found
    for name, pin in found.items():
        assert pin.version, name
        assert pin.hashes and all(HASH.match(h) for h in pin.hashes), name


def test_the_locks_follow_pyproject() -> None:
    run, test = pins("run.txt"), pins("test.txt")
    for lock, requirements in (
        (run, wanted(None) + build_requirements()),
        (test, wanted(None) + wanted("dev") + build_requirements()),
    ):
        for requirement in requirements:
            pin = lock.get(canonicalize_name(requirement.name))
            assert pin is not None, f"{requirement} is not in the lock: run `make lock`"
            assert requirement.specifier.contains(pin.version, prereleases=True), (
                f"{requirement} is locked at {pin.version}: run `make lock`"
            )


def test_the_runtime_lock_is_the_test_lock_without_the_test_tools() -> None:
    run, test = pins("run.txt"), pins("test.txt")
    for name, pin in run.items():
        assert name in test and test[name].version == pin.version, name
        assert set(test[name].hashes) == set(pin.hashes), name
    dev = {canonicalize_name(r.name) for r in wanted("dev")}
    assert dev >= TEST_TOOLS
    for tool in TEST_TOOLS:
        assert tool not in run, f"{tool} is a test tool"
    assert pins("uv.txt").keys() == {"uv"}


def test_this_environment_is_installed_from_the_test_lock() -> None:
    for name, pin in pins("test.txt").items():
        if pin.applies():
            assert importlib.metadata.version(name) == pin.version, name
