"""Hybrid retrieval: BM25 (bm25s) and dense vectors, fused by reciprocal rank.

Layout of ``<workspace>/index/``::

    CURRENT                 name of the live build folder, replaced atomically
    build-<stamp>/          manifest.json, bm25/, passages.npy, passage_ids.npy,
                            questions.npy, question_turn_ids.npy,
                            sentences.npy, sentence_spans.npy, sentence_starts.npy

Every passage's sentences are embedded too (``sentences.npy``, in passage order, with their
offsets in the passage's text), so the sentence that answers can be found inside a long passage
about something else without embedding anything at question time.

A build writes a fresh ``*.partial`` folder, renames it, then swaps ``CURRENT``; a build
killed at any point leaves the previous one live, and the next build sweeps the debris.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import bm25s
import numpy as np
import Stemmer

from sosie.corpus.dedupe import near_duplicates
from sosie.corpus.sentences import sentence_spans
from sosie.corpus.store import Store, now
from sosie.errors import NotBuilt, SosieError
from sosie.files import atomic_write
from sosie.index.embedder import MODEL_NAME, embed, embed_query
from sosie.locks import OWNER_NAME, owned_by_someone_alive, owner_stamp

INDEX_FORMAT = 1
RRF_K = 60  # the usual reciprocal-rank-fusion constant; damps the head of each ranking
CANDIDATES = 50  # how deep each ranking goes before fusion
WORD = re.compile(r"(?u)\b\w\w+\b")
STOPWORDS = frozenset(bm25s.stopwords.STOPWORDS_EN)

Progress = Callable[[str, int, int], None]  # (stage, done, total)


@lru_cache(maxsize=1)
def _stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("english")


def tokenize(text: str) -> list[str]:
    """Lower-cased, stop-worded, stemmed words: ``"Cities, trains!"`` -> ``['citi', 'train']``."""
    words = [w for w in WORD.findall(text.lower()) if w not in STOPWORDS]
    return _stemmer().stemWords(words)


@dataclass
class Hit:
    passage_id: int
    dense: float  # cosine similarity to the question
    bm25: float
    fused: float


@dataclass
class QuestionHit:
    answer_turn_id: int
    similarity: float


def _sweep(root: Path, keep: str | None) -> None:
    """Remove old builds and the debris of killed ones, but never a folder whose owner still
    runs: another build's ``.partial`` (or its just-renamed folder) is not debris."""
    for child in root.glob("build-*"):
        if child.name != keep and not owned_by_someone_alive(child):
            shutil.rmtree(child, ignore_errors=True)


# What CURRENT may name: a finished build folder directly inside index/, nothing else. An
# unpacked archive chose these bytes, so "../elsewhere" or "/etc" must never be followed.
BUILD_NAME = re.compile(r"build-[A-Za-z0-9][A-Za-z0-9_.-]{0,127}")


def current_build(root: Path) -> Path | None:
    """The live build folder, or None when there is none yet; a CURRENT that names anything but
    a build folder inside ``root`` is refused with one line."""
    pointer = root / "CURRENT"
    if not pointer.is_file():
        return None
    name = pointer.read_text(encoding="utf-8", errors="replace").strip()
    build = root / name
    if (
        not BUILD_NAME.fullmatch(name)
        or name.endswith(".partial")
        or build.is_symlink()
        or build.resolve().parent != root.resolve()
    ):
        raise SosieError(
            f"{pointer}: names {name!r}, not a build folder inside {root}; refused "
            "(run: sosie build to make a new index)"
        )
    return build if (build / "manifest.json").is_file() else None


def _live_or_none(root: Path) -> Path | None:
    """The live build for a new build to keep; a refused CURRENT is about to be replaced."""
    try:
        return current_build(root)
    except SosieError:
        return None


def build_index(
    store: Store, root: Path, progress: Progress | None = None, near_duplicate_jaccard: float = 0.8
) -> dict:
    """Index every stored passage (one copy of near-duplicates) and past question."""
    started = time.perf_counter()
    root.mkdir(mode=0o700, parents=True, exist_ok=True)
    live = _live_or_none(root)
    _sweep(root, live.name if live else None)  # leftovers of killed builds
    corpus_version = store.corpus_version
    rows = store.all_passages()
    if not rows:
        raise SosieError("nothing to index yet: add the person's files first (sosie add NAME PATH)")
    duplicates = near_duplicates([(r["id"], r["text"]) for r in rows], near_duplicate_jaccard)
    rows = [r for r in rows if r["id"] not in duplicates]
    pairs = store.qa_pairs()
    texts = [row["text"] for row in rows]
    stamp = time.strftime("%Y%m%d-%H%M%S") + f"-{os.getpid()}"
    partial = root / f"build-{stamp}.partial"
    partial.mkdir(mode=0o700)
    try:
        (partial / OWNER_NAME).write_text(owner_stamp() + "\n")  # whose work this is, for sweeps
        manifest = _write_build(store, root, partial, stamp, rows, pairs, texts, duplicates,
                                corpus_version, started, progress)
    except BaseException as exc:
        # a failed build (a full disk, an interrupt) leaves nothing taking space behind
        shutil.rmtree(partial, ignore_errors=True)
        if isinstance(exc, OSError) and exc.errno is None:
            # numpy's short write on a full disk: OSError("38400 requested and 12256 written")
            raise SosieError(f"{root}: could not write the index ({exc}); is the disk full? free "
                             "some space and run it again") from exc
        if isinstance(exc, OSError) and exc.filename is None:
            exc.filename = str(root)  # a failed write names no file: say where it was writing
        raise
    _sweep(root, manifest["build"])
    return {k: v for k, v in manifest.items() if k != "build"}


def _write_build(store: Store, root: Path, partial: Path, stamp: str, rows: list, pairs: list,
                 texts: list[str], duplicates, corpus_version: int, started: float,
                 progress: Progress | None) -> dict:
    retriever = bm25s.BM25()
    retriever.index([tokenize(t) for t in texts], show_progress=False)
    retriever.save(str(partial / "bm25"), show_progress=False)

    spans = [sentence_spans(t) for t in texts]
    sentences = [" ".join(t[a:b].split()) for t, found in zip(texts, spans, strict=True) for a, b in found]
    total = len(texts) + len(pairs) + len(sentences)
    done = 0

    def advance(n: int) -> None:
        nonlocal done
        done += n
        if progress:
            progress("embedding", done, total)

    if progress:
        progress("embedding", 0, total)
    np.save(partial / "passages.npy", embed(texts, progress=advance))
    np.save(partial / "passage_ids.npy", np.array([row["id"] for row in rows], dtype=np.int64))
    np.save(partial / "questions.npy", embed([p["question"] for p in pairs], progress=advance))
    np.save(
        partial / "question_turn_ids.npy",
        np.array([p["answer_turn_id"] for p in pairs], dtype=np.int64),
    )
    np.save(partial / "sentences.npy", embed(sentences, progress=advance).reshape(len(sentences), -1))
    np.save(partial / "sentence_spans.npy", np.array([ab for found in spans for ab in found],
                                                     dtype=np.int64).reshape(-1, 2))
    # passage row i's sentences are rows sentence_starts[i]:sentence_starts[i + 1]
    np.save(partial / "sentence_starts.npy", np.cumsum([0] + [len(found) for found in spans], dtype=np.int64))
    manifest = {
        "format": INDEX_FORMAT,
        "model": MODEL_NAME,
        "corpus_version": corpus_version,
        "built_at": now(),
        "passages": len(texts),
        "near_duplicates": len(duplicates),
        "questions": len(pairs),
        "sentences": len(sentences),
        "seconds": round(time.perf_counter() - started, 3),
    }
    (partial / "manifest.json").write_text(json.dumps(manifest, indent=2))
    final = root / f"build-{stamp}"
    os.rename(partial, final)
    try:
        atomic_write(root / "CURRENT", final.name)  # the atomic swap
    except BaseException:
        shutil.rmtree(final, ignore_errors=True)  # never made live: the old build stays
        raise
    store.set_duplicates(duplicates)
    return {**manifest, "build": final.name}


class HybridIndex:
    """A loaded build: ``search()`` for passages, ``similar_questions()`` for past questions."""

    def __init__(self, build: Path):
        self.build = build
        self.manifest = json.loads((build / "manifest.json").read_text())
        self.vectors = np.load(build / "passages.npy")
        self.passage_ids = np.load(build / "passage_ids.npy")
        self.question_vectors = np.load(build / "questions.npy")
        self.question_turn_ids = np.load(build / "question_turn_ids.npy")
        self.bm25 = bm25s.BM25.load(str(build / "bm25"), show_progress=False)
        # builds made before sentences were indexed have none: the selector embeds them itself
        indexed = (build / "sentence_starts.npy").is_file()
        self.sentence_vectors = np.load(build / "sentences.npy") if indexed else None
        self.sentence_spans = np.load(build / "sentence_spans.npy") if indexed else None
        self.sentence_starts = np.load(build / "sentence_starts.npy") if indexed else None
        self.row_of = {int(pid): i for i, pid in enumerate(self.passage_ids)}
        # evaluation hides held-out sources: False rows can never be retrieved or matched
        self.passage_allowed: np.ndarray | None = None
        self.question_allowed: np.ndarray | None = None

    def hide(self, passage_ids: set[int], answer_turn_ids: set[int]) -> None:
        self.passage_allowed = ~np.isin(self.passage_ids, list(passage_ids))
        self.question_allowed = ~np.isin(self.question_turn_ids, list(answer_turn_ids))

    def unhide(self) -> None:
        self.passage_allowed = self.question_allowed = None

    @classmethod
    def load(cls, root: Path, persona: str = "") -> HybridIndex:
        build = current_build(root)
        if build is None:
            raise NotBuilt(f"persona {persona!r} has no index yet; run: sosie build {persona}")
        try:
            return cls(build)
        except (OSError, ValueError, EOFError, KeyError) as exc:  # a torn or damaged file: build again
            raise NotBuilt(f"persona {persona!r}: its index {build.name} is damaged "
                           f"({type(exc).__name__}: {str(exc)[:80]}); run: sosie build {persona}") from exc

    def bm25_scores(self, query: str) -> np.ndarray:
        ids = self.bm25.get_tokens_ids(tokenize(query))
        if not ids:
            return np.zeros(len(self.passage_ids), dtype=np.float32)
        return self.bm25.get_scores_from_ids(ids)

    def search(self, query: str, query_vector: np.ndarray | None = None, k: int = 10,
               allowed: np.ndarray | None = None) -> list[Hit]:
        """Top ``k`` passages by reciprocal-rank fusion of the BM25 and dense rankings;
        ``allowed`` (a mask over the rows, e.g. the passages dated up to an as-of date)
        narrows the search further than :meth:`hide`."""
        qv = embed_query(query) if query_vector is None else query_vector
        dense = self.vectors @ qv
        lexical = self.bm25_scores(query)
        mask = _both(self.passage_allowed, allowed)
        if mask is not None:
            dense = np.where(mask, dense, -np.inf)
            lexical = np.where(mask, lexical, 0.0)
        fused: dict[int, float] = {}
        for scores, floor in ((dense, -np.inf), (lexical, 0.0)):
            depth = min(CANDIDATES, len(scores))
            top = np.argpartition(-scores, depth - 1)[:depth]
            top = top[np.argsort(-scores[top])]
            for rank, row in enumerate(r for r in top if scores[r] > floor):
                fused[int(row)] = fused.get(int(row), 0.0) + 1.0 / (RRF_K + rank + 1)
        best = sorted(fused, key=fused.__getitem__, reverse=True)[:k]
        return [
            Hit(int(self.passage_ids[r]), float(dense[r]), float(lexical[r]), fused[r]) for r in best
        ]

    def similar_questions(self, query_vector: np.ndarray, k: int = 3,
                          allowed: np.ndarray | None = None) -> list[QuestionHit]:
        if not len(self.question_turn_ids):
            return []
        sims = self.question_vectors @ query_vector
        mask = _both(self.question_allowed, allowed)
        if mask is not None:
            sims = np.where(mask, sims, -np.inf)
        top = np.argsort(-sims)[:k]
        return [
            QuestionHit(int(self.question_turn_ids[i]), float(sims[i]))
            for i in top
            if np.isfinite(sims[i])
        ]

    def masks(self, passage_ids: list[int], answer_turn_ids: list[int]) -> tuple[np.ndarray, np.ndarray]:
        """Row masks that allow only these passages and these answers' questions."""
        return np.isin(self.passage_ids, passage_ids), np.isin(self.question_turn_ids, answer_turn_ids)

    def sentences(self, passage_id: int) -> tuple[list[tuple[int, int]], np.ndarray] | None:
        """A passage's sentence offsets and their vectors, or None (not indexed, or unknown)."""
        row = self.row_of.get(passage_id)
        if row is None or self.sentence_starts is None:
            return None
        a, b = int(self.sentence_starts[row]), int(self.sentence_starts[row + 1])
        return [(int(x), int(y)) for x, y in self.sentence_spans[a:b]], self.sentence_vectors[a:b]

    def vector(self, passage_id: int) -> np.ndarray | None:
        row = self.row_of.get(passage_id)
        return None if row is None else self.vectors[row]


def _both(first: np.ndarray | None, second: np.ndarray | None) -> np.ndarray | None:
    if first is None or second is None:
        return second if first is None else first
    return first & second
