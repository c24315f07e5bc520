"""Imports flow one way: no stage imports a later one (issue 17's rule, kept by a test).

config | models -> corpus -> index -> profile -> workspace -> engines -> interview -> evaluate |
train -> export -> persona -> demo -> serve -> cli. Within a stage anything goes; two stages of
the same rank (evaluate and train, config and models) never import each other. The model
manager sits low because the corpus uses it too: recordings are transcribed by a verified
model. Every import counts, even one inside a function or under TYPE_CHECKING: a type-only
upward import is still a cycle for a reader; ``python -m`` entry points (``__main__``) too.

The corpus tables (sources, turns, passages) are read and written in ``sosie/corpus/`` only:
other stages ask the store (``sosie.corpus.queries``), so the schema has one owner.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

PACKAGE = Path(__file__).parents[1] / "sosie"
RANK = {
    "sosie.errors": 0, "sosie.files": 1, "sosie.registry": 1, "sosie.locks": 1,
    "sosie.config": 2, "sosie.models": 2, "sosie.corpus": 3, "sosie.index": 4, "sosie.profile": 5,
    "sosie.workspace": 6, "sosie.engines": 7, "sosie.interview": 8,
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
        if module == "sosie.__init__":
            continue  # the lazy front door
        here = stage(module)
        for line, target in imports(path):
            there = stage(target)
            if there == here:
                continue
            if RANK[there] >= RANK[here]:
                upward.append(f"{path.relative_to(PACKAGE.parent)}:{line} imports {target}")
    assert not upward, "imports against the flow:\n" + "\n".join(upward)


# SQL that names a corpus table: uppercase keywords, as every statement in sosie/ is written
# (so that "from sources" in a sentence is not taken for SQL)
CORPUS_SQL = re.compile(r"\b(FROM|JOIN|INTO|UPDATE|TABLE)\s+(turns|passages|sources)\b")


def strings(path: Path) -> dict[int, str]:
    """The string literals of a module by line (an f-string's literal parts joined, in its place)."""
    found: dict[int, str] = {}
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.JoinedStr):
            found[node.lineno] = "".join(v.value for v in node.values if isinstance(v, ast.Constant))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            found.setdefault(node.lineno, node.value)
    return found


def test_only_the_corpus_stage_has_sql_on_the_corpus_tables():
    outside = [
        f"{path.relative_to(PACKAGE.parent)}:{line}: {' '.join(text.split())[:80]}"
        for path in sorted(PACKAGE.rglob("*.py")) if path.relative_to(PACKAGE).parts[0] != "corpus"
        for line, text in sorted(strings(path).items()) if CORPUS_SQL.search(text)
    ]
    assert not outside, "corpus SQL outside sosie/corpus/ (use a Store method):\n" + "\n".join(outside)


def test_the_sql_check_sees_sql_and_not_prose():
    assert CORPUS_SQL.search("SELECT p.id FROM passages p JOIN sources s ON s.id = p.source_id")
    assert CORPUS_SQL.search("SELECT text\n  FROM turns WHERE role = ?")
    assert not CORPUS_SQL.search("Trained on 12 answers from 3 sources")


def test_a_workspace_from_before_the_split_keeps_its_interviews(tmp_path):
    """Interview tables moved from the corpus store to their own module: an old sosie.db (corpus
    schema 7, interview tables made by the corpus migrations) upgrades without losing one."""
    import sqlite3
    import threading

    from sosie.corpus.store import Store
    from sosie.interview.records import InterviewRecords

    db = sqlite3.connect(tmp_path / "sosie.db")
    db.executescript("""
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        INSERT INTO meta VALUES ('corpus_version', '0');
        CREATE TABLE interviews (id INTEGER PRIMARY KEY, started_at TEXT NOT NULL, engine TEXT NOT NULL,
                                 title TEXT);
        CREATE TABLE exchanges (id INTEGER PRIMARY KEY, interview_id INTEGER NOT NULL, asked_at TEXT NOT NULL,
                                answered_at TEXT NOT NULL, question TEXT NOT NULL, answer_json TEXT NOT NULL);
        INSERT INTO interviews VALUES (1, '2024-01-01', 'quote', 'old');
        INSERT INTO exchanges VALUES (1, 1, 'a', 'b', 'Why trains?', '{}');
    """)
    db.close()
    # a store over the old file without the corpus migrations: only the interview tables' own
    # migration is under test (tables there, no thread_key column yet, as before migration 5)
    store = Store.__new__(Store)
    store.path = tmp_path / "sosie.db"
    store.writer, store._opened = threading.RLock(), threading.Lock()
    store._local, store._connections = threading.local(), []  # connections open as used
    records = InterviewRecords(store)
    assert [dict(r)["title"] for r in records.all()] == ["old"]
    assert records.exchanges(1)[0]["question"] == "Why trains?"
    second = records.start("quote", "new")
    records.record(second, "t", "And cities?", {"text": "x"}, thread_key="abc")
    assert records.by_thread("abc") == second
