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

``--alternatives`` also measures what issue 14 suggested and the product does not keep
(``bench/alternatives.py``: sentence retrieval over the whole corpus, weights learned per
person, a contrastive question adapter) and the whole-corpus ceiling.
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE)]

from alternatives import alternatives, runs_of  # noqa: E402

import sosie.engines.selector as selector  # noqa: E402
from sosie.corpus.split import held_out_pairs, held_out_turns, make_split  # noqa: E402
from sosie.demo import create_demo_persona  # noqa: E402
from sosie.engines import make_engine  # noqa: E402
from sosie.engines.retrieval import retrieve  # noqa: E402
from sosie.evaluate.metrics import rouge_l  # noqa: E402
from sosie.index.embedder import embed  # noqa: E402

SPLITS = [("rowan", 0), ("rowan", 1), ("rowan", 2), ("wren", 0), ("wren", 1)]
CEILING_PASSAGES = 10


def ceiling(persona, question: str, real: str) -> tuple[float, float]:
    """The best cosine and the best ROUGE-L of any candidate run, knowing the real answer."""
    found = retrieve(persona, question, persona.config.retrieval)
    ids = sorted(found.relevance, key=found.relevance.get, reverse=True)[:CEILING_PASSAGES]
    rows = persona.store.passages(ids)
    runs = [run for pid in ids for run in runs_of(rows[pid].text)]
    if not runs:
        return 0.0, 0.0
    cosine = float((embed(runs) @ embed([real])[0]).max())
    return cosine, max(rouge_l(r, real) for r in runs)


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
              "corpus | learned weights (first, length, map) | contrastive question adapter | "
              "whole-corpus ceiling")
        for slug, seed, r in results:
            fitted = ", ".join(f"{w:.2f}" for w in r["weights"])
            print(f"{slug} seed {seed} | {r['cos'].mean():.3f} / {r['rouge'].mean():.3f} | "
                  f"{pair(r, 'sentences')} | {pair(r, 'learned')} ({fitted}) | {pair(r, 'adapter')} | "
                  f"{pair(r, 'corpus')}")
        print(f"all | {p['cos'].mean():.3f} / {p['rouge'].mean():.3f} | {pair(p, 'sentences')} | "
              f"{pair(p, 'learned')} (hand-set: {selector.FIRST_WEIGHT}, {selector.LENGTH_WEIGHT}, "
              f"{selector.MAP_WEIGHT}) | {pair(p, 'adapter')} | {pair(p, 'corpus')}")


if __name__ == "__main__":
    main()

