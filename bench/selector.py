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
"""

from __future__ import annotations

import random
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

from sosie.corpus.sentences import sentence_spans
from sosie.corpus.split import held_out_pairs, held_out_turns, make_split
from sosie.demo import create_demo_persona
from sosie.engines import make_engine
from sosie.engines.retrieval import retrieve
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


def split_scores(persona, seed: int) -> dict:
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
    }


def main() -> None:
    home = Path(tempfile.mkdtemp(prefix="sosie-bench-selector-"))
    try:
        personas = {}
        for slug in dict.fromkeys(s for s, _ in SPLITS):
            personas[slug] = create_demo_persona(slug, home)
            personas[slug].build()
        results = [(slug, seed, split_scores(personas[slug], seed)) for slug, seed in SPLITS]
    finally:
        shutil.rmtree(home, ignore_errors=True)
    print("split | questions | floor cosine | quote cosine | ceiling cosine | quote ROUGE-L | "
          "ceiling ROUGE-L | quote p50 / p95 ms")
    pooled: dict[str, list] = {}
    for slug, seed, r in results:
        for key, values in r.items():
            if key != "n":
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


if __name__ == "__main__":
    main()
