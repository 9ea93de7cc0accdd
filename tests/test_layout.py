"""The house's layout: a module has one job, so none grows past 400 lines (docs/development.md).

The layers and each heavy library's one door are held by ``lint-imports`` in ``.ci/run``.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
MAX_LINES = 400
MODULES = sorted(SRC.rglob("*.py"))


def test_the_source_tree_is_found():
    assert len(MODULES) > 50 and (SRC / "trackbench" / "__init__.py") in MODULES


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(SRC)))
def test_no_module_is_over_400_lines(path):
    lines = len(path.read_text().splitlines())
    assert lines <= MAX_LINES, f"{path.relative_to(SRC)}: {lines} lines; split it by job"


def test_every_room_at_the_top_is_a_layer_of_the_import_contract():
    """The top of ``src/trackbench/`` shows the architecture: each package or module there is a
    layer (or one side of a layer) that ``lint-imports`` holds, and nothing else sits beside them."""
    contracts = tomllib.loads((SRC.parent / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]
    layers = next(c["layers"] for c in contracts if c["type"] == "layers")
    named = {name.strip().removeprefix("trackbench.") for layer in layers for name in layer.split("|")}
    top = {p.name.removesuffix(".py") for p in (SRC / "trackbench").iterdir() if p.name != "__pycache__"}
    assert top - {"__init__", "py.typed"} == named
