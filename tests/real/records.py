"""Real public records and their gold speakers: where they are, and how well Sosie reads them.

Each set is a folder of files exactly as their publisher (or a public dataset) put them out, with a
``SOURCES.md`` naming the repository, commit and licence, and a gold parser ``tests/real/gold_SET.py``
written for that one layout, independent of Sosie's reader. The records are fetched public data,
committed byte for byte under ``tests/data/real/SET/`` (``$SOSIE_REAL_RECORDS`` points elsewhere),
and ``MANIFEST.sha256`` beside this file pins every byte.

``score_set`` ingests every file of a set into a real SQLite store with only what a user would
give (the subject's name and aliases, never the gold's label map) and compares what was stored as
the subject's with the gold: precision (of the words stored as theirs, the share that are), recall
(of their words, the share kept) and question/answer pairs.
"""

from __future__ import annotations

import hashlib
import importlib
import os
import re
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
MANIFEST = HERE / "MANIFEST.sha256"
TOKEN = re.compile(r"[a-z0-9]+")


def records_root() -> Path | None:
    """The folder holding one sub-folder per set, or None when this machine has none."""
    for candidate in (os.environ.get("SOSIE_REAL_RECORDS"), REPO / "tests" / "data" / "real"):
        if candidate and Path(candidate).is_dir() and any(Path(candidate).glob("*/SOURCES.md")):
            return Path(candidate)
    return None


def manifest() -> dict[str, str]:
    """``set/file`` -> sha256, as committed."""
    rows = {}
    for line in MANIFEST.read_text(encoding="utf-8").splitlines():
        if line.strip():
            digest, name = line.split(maxsplit=1)
            rows[name.strip()] = digest
    return rows


def gold_module(name: str) -> ModuleType:
    if str(HERE) not in sys.path:
        sys.path.insert(0, str(HERE))
    return importlib.import_module(f"gold_{name}")


def set_names() -> list[str]:
    return sorted(p.stem[len("gold_"):] for p in HERE.glob("gold_*.py"))


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def tokens(text: str) -> list[str]:
    return TOKEN.findall(text.lower())


@dataclass
class FileScore:
    name: str
    true_words: int = 0
    stored_words: int = 0
    correct_words: int = 0
    pairs_true: int = 0
    pairs_found: int = 0
    pairs_correct: int = 0
    seconds: float = 0.0
    size: int = 0
    failed: str | None = None
    kind: str | None = None
    convention: str | None = None
    wrong: list[str] = field(default_factory=list)  # a few stored words that are not theirs

    @property
    def precision(self) -> float:
        return self.correct_words / self.stored_words if self.stored_words else 1.0

    @property
    def recall(self) -> float:
        return self.correct_words / self.true_words if self.true_words else 1.0


def total(scores: list[FileScore], name: str = "all") -> FileScore:
    out = FileScore(name)
    for s in scores:
        for key in ("true_words", "stored_words", "correct_words", "pairs_true", "pairs_found",
                    "pairs_correct", "seconds", "size"):
            setattr(out, key, getattr(out, key) + getattr(s, key))
    return out


def _similar(a: str, b: str, part: bool = False) -> bool:
    """The same text, give or take a fifth of its words; with ``part``, ``a`` may be one paragraph
    of ``b`` (an answer whose paragraphs carry their own timestamps is stored paragraph by paragraph)."""
    x, y = Counter(tokens(a)), Counter(tokens(b))
    if not x or not y:
        return False
    return sum((x & y).values()) / (sum(x.values()) if part else max(sum(x.values()), sum(y.values()))) >= 0.8


def true_pairs(turns: list[tuple[str, str]], subject: str) -> list[tuple[str, str]]:
    """(question, answer): a subject turn right after somebody else's turn that asks something."""
    pairs = []
    for before, turn in zip(turns, turns[1:], strict=False):
        if turn[0] == subject and before[0] != subject and "?" in before[1]:
            pairs.append((before[1], turn[1]))
    return pairs


def score_file(store, path: Path, gold: ModuleType, ingest_kwargs: dict | None = None) -> FileScore:
    """Ingest ``path`` into ``store`` as a user would and score it against the gold."""
    from sosie.corpus.ingest import ingest
    from sosie.corpus.names import Subject

    spec = gold.SET
    subject = Subject(spec["subject"], tuple(spec.get("aliases", ())))
    truth = gold.gold(path)
    out = FileScore(path.name, size=path.stat().st_size)
    started = time.perf_counter()
    report = ingest(store, [path], subject, **(ingest_kwargs or {}))
    out.seconds = time.perf_counter() - started
    out.failed = report.failed[0][1] if report.failed else None
    true_subject = Counter(tokens(" ".join(t for who, t in truth if who == spec["subject"])))
    unlabelled = path.name in spec.get("subject_unlabelled", ())
    out.true_words = 0 if unlabelled else sum(true_subject.values())
    row = store.db.execute("SELECT id, kind, convention FROM sources WHERE path = ?",
                           (str(path.resolve()),)).fetchone()
    if row is None:
        out.pairs_true = len(true_pairs(truth, spec["subject"]))
        return out
    out.kind, out.convention = row[1], row[2]
    passages = " ".join(r[0] for r in store.db.execute(
        "SELECT text FROM passages WHERE source_id = ?", (row[0],)))
    got = Counter(tokens(passages))
    out.stored_words = sum(got.values())
    out.correct_words = sum((got & true_subject).values())
    out.wrong = list((got - true_subject).elements())[:12]
    found = store.db.execute(
        "SELECT q.text, t.text FROM turns t JOIN turns q ON q.id = t.question_turn_id"
        " WHERE t.source_id = ? AND t.role = 'subject' ORDER BY t.seq", (row[0],)).fetchall()
    pairs = true_pairs(truth, spec["subject"])
    out.pairs_true, out.pairs_found = len(pairs), len(found)
    out.pairs_correct = sum(any(_similar(q, tq) and _similar(a, ta, part=True) for tq, ta in pairs)
                            for q, a in found)
    return out


def score_set(name: str, root: Path, folder: Path, ingest_kwargs: dict | None = None) -> list[FileScore]:
    """Score every file of set ``name`` (under ``root``), each in its own store under ``folder``."""
    from sosie.corpus.store import Store

    gold = gold_module(name)
    scores = []
    for i, filename in enumerate(gold.SET["files"]):
        store = Store(folder / f"{name}-{i}.db")
        try:
            scores.append(score_file(store, root / name / filename, gold, ingest_kwargs))
        finally:
            store.close()
    return scores
