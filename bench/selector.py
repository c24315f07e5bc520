"""The quote engine's answers against the person's real ones, over several held-out splits.

``python bench/selector.py`` builds both demo personas in a temporary home and, for each split
(seeds 0-2 of Rowan, 0-1 of Wren: by source, each holding out one interview), answers every
held-out question with the quote engine and prints, per split and pooled over all questions:

* the floor: a random *other* real answer of the person (same voice, another question);
* the quote engine: embedding cosine and ROUGE-L F1 against the real answer, p50/p95 latency;
* the ceiling: the best run of up to 8 consecutive sentences (<= 150 words) among the 10
  passages retrieval returns, chosen *knowing the real answer*. No selector over those
  candidates can do better, so it says how much is left to win by choosing, and how much only
  better retrieval (or new words) could bring.

The splits are the ones ``sosie eval --seed N`` makes; seed 0 of Rowan is the README's table.

``--alternatives`` also measures what issue 14 suggested and the product does not keep:

* sentence retrieval over the whole corpus: the passages holding the 20 sentences closest to the
  question (and to the predicted answer) join the selector's pool, up to 6 more passages;
* learned weights: the window score's weights (opening sentence, length, predicted answer)
  fitted by ridge regression on the person's own visible Q/A pairs, in 5 folds, each fold's
  answers hidden while its candidate windows are scored (a linear reranker trained per person);
* the whole-corpus ceiling: the best run of every passage the index shows, knowing the answer.
"""

from __future__ import annotations

import argparse
import random
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

import sosie.engines.selector as selector
from sosie.corpus.sentences import sentence_spans
from sosie.corpus.split import held_out_pairs, held_out_turns, make_split
from sosie.demo import create_demo_persona
from sosie.engines import make_engine
from sosie.engines.base import tidy
from sosie.engines.retrieval import retrieve
from sosie.engines.selector import Selector, leans_back, unit
from sosie.evaluate.metrics import rouge_l
from sosie.index.embedder import embed

SPLITS = [("rowan", 0), ("rowan", 1), ("rowan", 2), ("wren", 0), ("wren", 1)]
CEILING_PASSAGES, CEILING_SENTENCES, CEILING_WORDS = 10, 8, 150


def ceiling(persona, question: str, real: str) -> tuple[float, float]:
    """The best cosine and the best ROUGE-L of any candidate run, knowing the real answer."""
    found = retrieve(persona, question, persona.config.quote)
    ids = sorted(found.relevance, key=found.relevance.get, reverse=True)[:CEILING_PASSAGES]
    rows = persona.store.passages(ids)
    runs = []
    for pid in ids:
        text = rows[pid].text
        sentences = [" ".join(text[a:b].split()) for a, b in sentence_spans(text)]
        for i in range(len(sentences)):
            for j in range(i + 1, min(len(sentences), i + CEILING_SENTENCES) + 1):
                run = " ".join(sentences[i:j])
                if len(run.split()) <= CEILING_WORDS:
                    runs.append(run)
    if not runs:
        return 0.0, 0.0
    cosine = float((embed(runs) @ embed([real])[0]).max())
    return cosine, max(rouge_l(r, real) for r in runs)


def runs_of(text: str) -> list[str]:
    sentences = [" ".join(text[a:b].split()) for a, b in sentence_spans(text)]
    return [" ".join(sentences[i:j]) for i in range(len(sentences))
            for j in range(i + 1, min(len(sentences), i + CEILING_SENTENCES) + 1)
            if len(" ".join(sentences[i:j]).split()) <= CEILING_WORDS]


def whole_corpus_ceiling(persona, pairs) -> tuple[np.ndarray, np.ndarray]:
    """The best run of any visible passage for each real answer (ROUGE-L over the 300 runs
    closest to it by cosine): whether the person's words exist anywhere, found or not."""
    index = persona.index
    visible = [int(p) for p, ok in zip(index.passage_ids, index.passage_allowed, strict=True) if ok]
    runs = [r for row in persona.store.passages(visible).values() for r in runs_of(row.text)]
    vectors = embed(runs)
    cosines, rouges = [], []
    for pair in pairs:
        close = vectors @ embed([pair.answer])[0]
        cosines.append(float(close.max()))
        rouges.append(max(rouge_l(runs[i], pair.answer) for i in np.argsort(-close)[:300]))
    return np.array(cosines), np.array(rouges)


@contextmanager
def sentence_retrieval(top: int = 20, extra: int = 6) -> Iterator[None]:
    """The selector's pool also gets the passages of the corpus's sentences closest to the
    question (plus the predicted answer), wherever they are."""
    choose = Selector.choose

    def wider(self, qv, relevance, rows, max_words):
        index = self.workspace.index
        answer_map = self.answer_map()
        score = index.sentence_vectors @ qv
        if answer_map is not None:
            score = score + selector.MAP_WEIGHT * (index.sentence_vectors @ answer_map.predict(qv))
        owner = np.searchsorted(index.sentence_starts, np.arange(len(score)), side="right") - 1
        score = np.where(index.passage_allowed[owner], score, -np.inf)
        relevance = dict(relevance)
        added = [int(index.passage_ids[owner[r]]) for r in np.argsort(-score)[:top]]
        for pid in [p for p in dict.fromkeys(added) if p not in relevance][:extra]:
            relevance[pid] = float(index.vectors[index.row_of[pid]] @ qv)
        rows.update(self.workspace.store.passages([p for p in relevance if p not in rows]))
        return choose(self, qv, relevance, rows, max_words)

    Selector.choose = wider
    try:
        yield
    finally:
        Selector.choose = choose


def window_features(text, spans, vectors, qv, predicted, target) -> tuple[np.ndarray, np.ndarray]:
    """The terms of the selector's window score, one row per candidate run (as ``windows``)."""
    sentences = [tidy(text[a:b]) for a, b in spans]
    words = np.concatenate([[0], np.cumsum([len(x.split()) for x in sentences])])
    first, end = [], []
    for i, sentence in enumerate(sentences):
        if not leans_back(sentence):
            last = max(i, int(np.searchsorted(words, words[i] + target, side="right")) - 2)
            first += [i] * (last - i + 1)
            end += range(i, last + 1)
    first, end = np.array(first, dtype=int), np.array(end, dtype=int)
    if not len(first):
        return np.zeros((0, 4)), np.zeros((0, len(qv)))
    running = np.vstack([np.zeros_like(vectors[:1]), np.cumsum(vectors, axis=0)])
    runs = unit(running[end + 1] - running[first])
    size = words[end + 1] - words[first]
    fit = runs @ predicted if predicted is not None else np.zeros(len(first))
    return np.stack([runs @ qv, vectors[first] @ qv, np.minimum(1.0, size / target), fit], 1), runs


def fitted_weights(persona, folds: int = 5) -> tuple[float, float, float]:
    """(FIRST_WEIGHT, LENGTH_WEIGHT, MAP_WEIGHT) fitted on the visible pairs: each candidate
    window's cosine to the real answer, centred per question, regressed on the score's terms."""
    index, store = persona.index, persona.store
    passages0, questions0 = index.passage_allowed.copy(), index.question_allowed.copy()
    turns = [int(t) for t in index.question_turn_ids[questions0]]
    asked = dict(store.db.execute(
        f"SELECT a.id, q.text FROM turns a JOIN turns q ON q.id = a.question_turn_id "
        f"WHERE a.id IN ({','.join('?' * len(turns))})", turns))
    answers = store.passage_ids_of_turns(turns)
    fold = np.random.default_rng(0).integers(0, folds, len(turns))
    rows_x, rows_y = [], []
    try:
        for k in range(folds):
            out = [t for t, f in zip(turns, fold, strict=True) if f == k]
            own = [p for t in out for p in answers.get(t, [])]
            index.passage_allowed = passages0 & ~np.isin(index.passage_ids, own)
            index.question_allowed = questions0 & ~np.isin(index.question_turn_ids, out)
            chooser = Selector(persona)
            for turn in out:
                seen = [index.vectors[index.row_of[p]] for p in answers.get(turn, []) if p in index.row_of]
                found = retrieve(persona, asked.get(turn) or "", persona.config.quote)
                if not seen or found.empty:
                    continue
                real = unit(np.mean(seen, axis=0))
                rows = store.passages(list(found.relevance))
                answer_map = chooser.answer_map()
                predicted = answer_map.predict(found.question_vector) if answer_map else None
                ids = chooser.pool(found.question_vector, predicted, found.relevance, rows)
                chooser.sentences(rows, ids)
                target = chooser.target_words(persona.config.quote.max_words)
                parts = [window_features(*chooser._sentences[p], found.question_vector, predicted, target)
                         for p in ids]
                x = np.vstack([f for f, _ in parts])
                y = np.concatenate([r @ real for _, r in parts])
                if len(y) > 1:
                    rows_x.append(x - x.mean(0))
                    rows_y.append(y - y.mean())
    finally:
        index.passage_allowed, index.question_allowed = passages0, questions0
    x, y = np.vstack(rows_x), np.concatenate(rows_y)
    w = np.linalg.solve(x.T @ x + 0.1 * np.eye(4), x.T @ y)
    return float(w[1] / w[0]), float(w[2] / w[0]), float(w[3] / w[0])


@contextmanager
def learned_weights(persona) -> Iterator[tuple[float, float, float]]:
    kept = selector.FIRST_WEIGHT, selector.LENGTH_WEIGHT, selector.MAP_WEIGHT
    fitted = fitted_weights(persona)
    selector.FIRST_WEIGHT, selector.LENGTH_WEIGHT, selector.MAP_WEIGHT = fitted
    try:
        yield fitted
    finally:
        selector.FIRST_WEIGHT, selector.LENGTH_WEIGHT, selector.MAP_WEIGHT = kept


def quoted(persona, pairs) -> tuple[np.ndarray, np.ndarray]:
    engine = make_engine("quote", persona)
    answers = [(lambda a: "" if a.abstained else a.text)(engine.answer(p.question)) for p in pairs]
    real = [p.answer for p in pairs]
    cosines = (embed(answers) * embed(real)).sum(1)
    return cosines, np.array([rouge_l(a, r) for a, r in zip(answers, real, strict=True)])


def alternatives(persona, pairs) -> dict:
    out = {}
    with sentence_retrieval():
        out["sentences_cos"], out["sentences_rouge"] = quoted(persona, pairs)
    with learned_weights(persona) as fitted:
        out["learned_cos"], out["learned_rouge"] = quoted(persona, pairs)
    out["weights"] = fitted
    out["corpus_cos"], out["corpus_rouge"] = whole_corpus_ceiling(persona, pairs)
    return out


def split_scores(persona, seed: int, more: bool = False) -> dict:
    sides = make_split(persona.store, seed)
    pairs = held_out_pairs(persona.store, sides)
    held = [path for path, side in sides.items() if side == "test"]
    real = [p.answer for p in pairs]
    answers, times, ceilings = [], [], []
    with persona.holding_out(held, held_out_turns(persona.store)):
        engine = make_engine("quote", persona)
        engine.answer(pairs[0].question)  # warm
        for pair in pairs:
            started = time.perf_counter()
            answer = engine.answer(pair.question)
            times.append((time.perf_counter() - started) * 1000)
            answers.append("" if answer.abstained else answer.text)
            ceilings.append(ceiling(persona, pair.question, pair.answer))
        extra = alternatives(persona, pairs) if more else {}
    rng = random.Random(seed)
    others = [rng.choice([r for k, r in enumerate(real) if k != i]) for i in range(len(real))]
    vr = embed(real)
    return {
        "n": len(pairs),
        "floor_cos": (embed(others) * vr).sum(1),
        "cos": (embed(answers) * vr).sum(1),
        "rouge": np.array([rouge_l(a, r) for a, r in zip(answers, real, strict=True)]),
        "ceiling_cos": np.array([c for c, _ in ceilings]),
        "ceiling_rouge": np.array([r for _, r in ceilings]),
        "ms": np.array(times),
        **extra,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--alternatives", action="store_true",
                        help="also sentence retrieval over the whole corpus, learned weights, and "
                             "the whole-corpus ceiling (a few minutes more)")
    more = parser.parse_args().alternatives
    home = Path(tempfile.mkdtemp(prefix="sosie-bench-selector-"))
    try:
        personas = {}
        for slug in dict.fromkeys(s for s, _ in SPLITS):
            personas[slug] = create_demo_persona(slug, home)
            personas[slug].build()
        results = [(slug, seed, split_scores(personas[slug], seed, more)) for slug, seed in SPLITS]
    finally:
        shutil.rmtree(home, ignore_errors=True)
    print("split | questions | floor cosine | quote cosine | ceiling cosine | quote ROUGE-L | "
          "ceiling ROUGE-L | quote p50 / p95 ms")
    pooled: dict[str, list] = {}
    for slug, seed, r in results:
        for key, values in r.items():
            if key not in ("n", "weights"):
                pooled.setdefault(key, []).extend(values)
        print(f"{slug} seed {seed} | {r['n']} | {r['floor_cos'].mean():.3f} | {r['cos'].mean():.3f} | "
              f"{r['ceiling_cos'].mean():.3f} | {r['rouge'].mean():.3f} | {r['ceiling_rouge'].mean():.3f} | "
              f"{np.percentile(r['ms'], 50):.0f} / {np.percentile(r['ms'], 95):.0f}")
    p = {k: np.array(v) for k, v in pooled.items()}
    print(f"all | {len(p['cos'])} | {p['floor_cos'].mean():.3f} | {p['cos'].mean():.3f} | "
          f"{p['ceiling_cos'].mean():.3f} | {p['rouge'].mean():.3f} | {p['ceiling_rouge'].mean():.3f} | "
          f"{np.percentile(p['ms'], 50):.0f} / {np.percentile(p['ms'], 95):.0f}")
    print(f"quote / floor cosine: {p['cos'].mean() / p['floor_cos'].mean():.2f}x; quote / ceiling: "
          f"cosine {p['cos'].mean() / p['ceiling_cos'].mean():.2f}, "
          f"ROUGE-L {p['rouge'].mean() / p['ceiling_rouge'].mean():.2f}")
    if more:
        def pair(r: dict, key: str) -> str:
            return f"{r[key + '_cos'].mean():.3f} / {r[key + '_rouge'].mean():.3f}"

        print("\nalternatives, cosine / ROUGE-L: split | quote | + sentence retrieval over the whole "
              "corpus | learned weights (first, length, map) | whole-corpus ceiling")
        for slug, seed, r in results:
            fitted = ", ".join(f"{w:.2f}" for w in r["weights"])
            print(f"{slug} seed {seed} | {r['cos'].mean():.3f} / {r['rouge'].mean():.3f} | "
                  f"{pair(r, 'sentences')} | {pair(r, 'learned')} ({fitted}) | {pair(r, 'corpus')}")
        print(f"all | {p['cos'].mean():.3f} / {p['rouge'].mean():.3f} | {pair(p, 'sentences')} | "
              f"{pair(p, 'learned')} (hand-set: {selector.FIRST_WEIGHT}, {selector.LENGTH_WEIGHT}, "
              f"{selector.MAP_WEIGHT}) | {pair(p, 'corpus')}")


if __name__ == "__main__":
    main()

