"""The oldest supported versions: requirements-compat.txt pins exactly the floors that
pyproject.toml and requirements.txt declare, so `make test-compat` tests what they claim."""

from __future__ import annotations

from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]
FROZEN = "# --- frozen"  # in requirements-compat.txt: the floors above it, the rest below


def requirements(text: str) -> list[Requirement]:
    """The requirements of a requirements file's text (comments and -r/-c lines skipped)."""
    found = []
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if line and not line.startswith("-"):
            found.append(Requirement(line))
    return found


def floor(req: Requirement) -> Version | None:
    """The version of a requirement's one ``>=``, or None."""
    floors = [Version(spec.version) for spec in req.specifier if spec.operator == ">="]
    return floors[0] if len(floors) == 1 else None


def drift(dependencies: list[str], local: str, compat: str) -> list[str]:
    """What disagrees between the package's ``dependencies`` (pyproject.toml), the local
    requirements file's text ``local`` (requirements.txt) and the compat pins' text ``compat``:

    * every dependency has one ``>=`` floor, and the compat file pins it above the frozen
      marker at exactly that version (a version its other bounds, e.g. ``<6``, admit);
    * requirements.txt repeats each dependency it lists with the same bounds;
    * every other pin above the marker is a floor of requirements.txt (ipywidgets), equal to it;
    * no package is pinned twice, and every pin is ``==``.
    """
    problems = []
    head, marker, rest = compat.partition(FROZEN)
    tail = marker + rest  # the marker line itself is a comment
    if not marker:
        problems.append(f"requirements-compat.txt: no {FROZEN!r} line after the floors")
    floors: dict[str, Version] = {}
    pinned: set[str] = set()
    for section, text in (("floors", head), ("frozen", tail)):
        for req in requirements(text):
            name = canonicalize_name(req.name)
            specs = list(req.specifier)
            if len(specs) != 1 or specs[0].operator != "==":
                problems.append(f"requirements-compat.txt: {req} is not pinned with ==")
                continue
            if name in pinned:
                problems.append(f"requirements-compat.txt: {req.name} is pinned twice")
            pinned.add(name)
            if section == "floors":
                floors[name] = Version(specs[0].version)
    declared = {canonicalize_name(r.name): r for r in map(Requirement, dependencies)}
    listed = {canonicalize_name(r.name): r for r in requirements(local)}
    for name, req in declared.items():
        low = floor(req)
        if low is None:
            problems.append(f"pyproject.toml: {req} has no single >= floor")
        elif name not in floors:
            problems.append(f"requirements-compat.txt: {req.name} (pyproject.toml: {req}) is "
                            f"not pinned above the {FROZEN!r} line")
        elif floors[name] != low:
            problems.append(f"{req.name}: pyproject.toml's floor is {low}, but "
                            f"requirements-compat.txt pins {floors[name]}")
        elif not req.specifier.contains(floors[name], prereleases=True):
            problems.append(f"{req.name}: the pin {floors[name]} is outside {req}")
        if name in listed and listed[name].specifier != req.specifier:
            problems.append(f"{req.name}: requirements.txt says {listed[name]}, "
                            f"pyproject.toml says {req}")
    for name, version in floors.items():
        if name in declared:
            continue
        if name not in listed:
            problems.append(f"requirements-compat.txt: {name}=={version} is above the {FROZEN!r} "
                            "line but is no floor of pyproject.toml or requirements.txt")
        elif floor(listed[name]) != version:
            problems.append(f"{name}: requirements.txt says {listed[name]}, but "
                            f"requirements-compat.txt pins {version}")
    return problems


def test_compat_pins_are_the_declared_floors():
    tomllib = pytest.importorskip("tomllib")
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    problems = drift(project["dependencies"], (ROOT / "requirements.txt").read_text(),
                     (ROOT / "requirements-compat.txt").read_text())
    assert not problems, "\n".join(problems)


def test_drift_is_found():
    """The check fails on each kind of drift (so the test above can fail)."""
    deps = ["torch>=2.4", "transformers>=4.46.3,<6"]
    local = "torch>=2.4\ntransformers>=4.46.3,<6  # serving\nipywidgets>=7.7.1,<9\n"
    compat = ("torch==2.4.0\ntransformers==4.46.3\nipywidgets==7.7.1\n"
              f"{FROZEN}: what they pulled in ---\nnumpy==1.26.0\n")
    assert drift(deps, local, compat) == []
    assert drift(["torch>=2.5", deps[1]], local, compat) == [
        "torch: pyproject.toml's floor is 2.5, but requirements-compat.txt pins 2.4.0",
        "torch: requirements.txt says torch>=2.4, pyproject.toml says torch>=2.5"]
    assert drift([*deps, "numpy>=1.26"], local, compat) == [
        f"requirements-compat.txt: numpy (pyproject.toml: numpy>=1.26) is not pinned above the "
        f"{FROZEN!r} line"]
    assert drift(deps, local.replace("7.7.1,", "8.1,"), compat) == [
        "ipywidgets: requirements.txt says ipywidgets<9,>=8.1, but requirements-compat.txt "
        "pins 7.7.1"]
    assert drift(deps, local, compat.replace("numpy==1.26.0", "numpy>=1.26\ntorch==2.4.0")) == [
        "requirements-compat.txt: numpy>=1.26 is not pinned with ==",
        "requirements-compat.txt: torch is pinned twice"]
    assert drift(["torch>=2.4", "transformers>=4.46.3,<4.46"], local, compat)[0] == (
        "transformers: the pin 4.46.3 is outside transformers<4.46,>=4.46.3")
    assert "no floor of pyproject.toml or requirements.txt" in drift(
        deps, local, "scipy==1.13.0\n" + compat)[0]
