"""Imports flow one way: no stage imports a later one (issue 17's rule, kept by a test).

corpus -> index -> profile -> workspace -> engines -> interview -> evaluate | train -> export
-> persona -> demo -> serve -> cli. Within a stage anything goes; two stages of the same rank
(evaluate and train, models and workspace) never import each other. Every import counts, even
one inside a function or under TYPE_CHECKING: a type-only upward import is still a cycle for a
reader.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).parents[1] / "sosie"
RANK = {
    "sosie.errors": 0, "sosie.files": 1, "sosie.registry": 1, "sosie.locks": 1,
    "sosie.config": 2, "sosie.corpus": 3, "sosie.index": 4, "sosie.profile": 5,
    "sosie.models": 6, "sosie.workspace": 6, "sosie.engines": 7, "sosie.interview": 8,
    "sosie.evaluate": 9, "sosie.train": 9, "sosie.export": 10, "sosie.persona": 11, "sosie.demo": 12,
    "sosie.serve": 13, "sosie.cli": 14,
}


def stage(module: str) -> str:
    parts = module.split(".")
    return ".".join(parts[:2])


def imports(path: Path) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names if a.name.startswith("sosie.")]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "sosie":  # from sosie import registry / __version__
                found += [(node.lineno, f"sosie.{a.name}") for a in node.names
                          if (PACKAGE / f"{a.name}.py").exists() or (PACKAGE / a.name).is_dir()]
            elif node.module.startswith("sosie."):
                found.append((node.lineno, node.module))
    return found


def test_every_module_has_a_stage():
    for path in PACKAGE.rglob("*.py"):
        module = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if module == "sosie.__init__":
            continue  # the lazy front door: `from sosie import Persona`
        assert stage(module) in RANK, f"{module}: add its stage to RANK (and ARCHITECTURE.md)"


def test_no_stage_imports_a_later_one():
    upward = []
    for path in sorted(PACKAGE.rglob("*.py")):
        module = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if module == "sosie.__init__" or module.endswith(".__main__"):
            continue  # the lazy front door, and `python -m` entry points (sosie.train's calls the CLI)
        here = stage(module)
        for line, target in imports(path):
            there = stage(target)
            if there == here:
                continue
            if RANK[there] >= RANK[here]:
                upward.append(f"{path.relative_to(PACKAGE.parent)}:{line} imports {target}")
    assert not upward, "imports against the flow:\n" + "\n".join(upward)
