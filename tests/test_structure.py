"""The package's structure: every module on one of the floors that pyproject.toml's import
contract names (`lint-imports` checks that no import runs up a floor), and no circles."""

from __future__ import annotations

from pathlib import Path

import grimp
import pytest
import tomllib

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = "tune_or_prompt"


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    # Imports for type hints only (under `if TYPE_CHECKING:`) never run, so they tie nothing.
    return grimp.build_graph(PACKAGE, cache_dir=None, exclude_type_checking_imports=True)


def floors() -> list[set[str]]:
    """The contract's layers, top first, each a set of module names."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    (contract,) = config["tool"]["importlinter"]["contracts"]
    return [{name.strip() for name in layer.split("|")} for layer in contract["layers"]]


def test_every_top_level_module_is_on_a_floor(graph):
    on_floors = set().union(*floors())
    top = {m for m in graph.find_children(PACKAGE)}
    assert top <= on_floors, f"not on any floor of the import contract: {sorted(top - on_floors)}"
    assert len(floors()) <= 6


def circles(graph: grimp.ImportGraph) -> list[tuple[str, str]]:
    """Pairs (a, b): a imports b directly and b reaches a again through imports."""
    found = []
    for importer in sorted(graph.modules):
        for imported in sorted(graph.find_modules_directly_imported_by(importer)):
            if graph.chain_exists(importer=imported, imported=importer):
                found.append((importer, imported))
    return found


def test_no_import_circles(graph):
    assert circles(graph) == []
