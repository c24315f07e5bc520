"""As-of benchmark: what ``--as-of`` adds to the quote engine's answer latency, at scale.

``python bench/asof.py [--words 1000000] [--json FILE]``

The corpus is bench/run.py's scaled one (copies of Rowan's demo corpus, 8% of words
perturbed, dated 1994-2024 like the original). The same questions are answered, interleaved,
by the quote engine without a date, as of 2100 (after every source: the same answers, so the
difference is the as-of machinery alone: the window's masks, the filtered searches) and as of
2010 and 2020 (real windows: fewer sources, and often no real answer to the same question, so
the selector reads more; the work differs, not only the overhead). The windows are computed
once per date and corpus version, as in a server. p50 and p95 of each, and the ratio to the
plain engine measured in the same run. Target: as of 2100 within 10% of the plain engine.
A benchmark reports: it exits 0 whatever the numbers.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE)]

from run import percentile, scaled_corpus  # noqa: E402

from sosie import Persona  # noqa: E402
from sosie.demo import DEMO_PERSONAS, questions  # noqa: E402

DATES = (None, "2100", "2010", "2020")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--words", type=int, default=1_000_000)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    spec = DEMO_PERSONAS["rowan"]
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "corpus"
        words = scaled_corpus(args.words, corpus)
        persona = Persona.create("scaled", spec["name"], spec["aliases"], home=Path(tmp) / "home",
                                 pronoun="his")
        began = time.perf_counter()
        persona.add(corpus)
        persona.build()
        print(f"built {words:,} words in {time.perf_counter() - began:.0f} s", file=sys.stderr)
        queries = questions("rowan")
        queries += [" ".join(p["question"].split()[:30]) for p in persona.store.qa_pairs()[:50]]
        for date in DATES:  # warm: the engines, the windows, the caches
            for q in queries[:5]:
                persona.ask(q, engine="quote", as_of=date)
        times: dict[str | None, list[float]] = {d: [] for d in DATES}
        same = 0
        for q in queries:
            texts = {}
            for date in DATES:
                began = time.perf_counter()
                texts[date] = persona.ask(q, engine="quote", as_of=date).text
                times[date].append((time.perf_counter() - began) * 1000)
            same += texts["2100"] == texts[None]
        stats = persona.store.stats()
        persona.close()
    plain = times[None]
    result = {"subject_words": stats["subject_words"], "passages": stats["passages"],
              "questions": len(queries), "same_answers_as_of_2100": same,
              "latency_ms": {str(d): {"p50": percentile(t, 50), "p95": percentile(t, 95)}
                             for d, t in times.items()}}
    print(f"{stats['subject_words']:,} words, {stats['passages']:,} passages, {len(queries)} questions")
    print(f"{'quote engine':24}{'p50 ms':>9}{'p95 ms':>9}{'p50 ratio':>11}{'p95 ratio':>11}")
    for date, t in times.items():
        label = "no date (baseline)" if date is None else f"--as-of {date}"
        p50, p95 = percentile(t, 50), percentile(t, 95)
        print(f"{label:24}{p50:9.1f}{p95:9.1f}{p50 / percentile(plain, 50):11.3f}"
              f"{p95 / percentile(plain, 95):11.3f}")
    print(f"as of 2100 gave the same answer as no date for {same} of {len(queries)} questions")
    print("target: --as-of 2100 (the machinery alone) within 1.10x of no date")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
