"""Generative-engine benchmark: ``python bench/generate.py`` (part of ``make bench``).

* time to first token and tokens/s of each installed backend on this machine's CPU
  (transformers with the bundled SmolLM2 always; llama.cpp when ``sosie[llama]`` is installed;
  an OpenAI-compatible server when ``--base-url`` and ``--model`` are given);
* Sosie's own overhead per answer (retrieval + prompt assembly + citation mapping + support
  tagging), measured with a backend that answers instantly, so the model's time is excluded
  (target p95 <= 50 ms).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

from sosie.demo import create_demo_persona, questions
from sosie.engines.backends import GenerationOptions, make_backend
from sosie.engines.generative import GenerativeEngine
from sosie.index.embedder import load_model


class InstantBackend:
    """Answers at once with a quote of source [1] and one invented sentence."""

    name = "instant"
    context_tokens = 2048

    def count_tokens(self, text: str) -> int:
        return len(text) // 4 + 1

    def stream(self, messages, options):
        content = messages[-1]["content"]
        start = content.find('"', content.find("[1] (")) + 1
        quote = content[start : content.find(".", start) + 1]
        yield from [quote, " [1]", " I also think the sea is made of soup."]


def time_backend(engine: GenerativeEngine, prompts: list, tokens: int) -> dict:
    first, rates = [], []
    options = GenerationOptions(max_new_tokens=tokens, temperature=0.0)
    for prompt in prompts:
        started = time.perf_counter()
        stamp, pieces = None, []
        for piece in engine.backend.stream(prompt.messages, options):
            stamp = stamp or time.perf_counter()
            pieces.append(piece)
        ended = time.perf_counter()
        first.append((stamp - started) * 1000)
        produced = engine.backend.count_tokens("".join(pieces))
        rates.append(produced / max(ended - stamp, 1e-6))
    return {
        "ttft_ms": {"p50": float(np.percentile(first, 50)), "p95": float(np.percentile(first, 95))},
        "tokens_per_s": {"p50": float(np.percentile(rates, 50)), "min": float(min(rates))},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tokens", type=int, default=64, help="max new tokens per answer")
    parser.add_argument("--base-url", help="also time this OpenAI-compatible server")
    parser.add_argument("--model", help="model name for --base-url")
    parser.add_argument("--out", type=Path, default=Path("bench/results/generate.json"))
    args = parser.parse_args()

    load_model()
    home = Path(tempfile.mkdtemp(prefix="sosie-bench-gen-"))
    results: dict = {}
    try:
        persona = create_demo_persona("rowan", home)
        persona.build()
        asked = questions("rowan")
        asked = [q for q in asked if "tungsten" not in q]

        engine = GenerativeEngine(persona, backend_instance=InstantBackend())
        for q in asked:
            engine.answer(q)  # warm
        overhead = []
        for _ in range(4):
            for q in asked:
                started = time.perf_counter()
                engine.answer(q)
                overhead.append((time.perf_counter() - started) * 1000)
        results["sosie_overhead_ms"] = {
            "p50": float(np.percentile(overhead, 50)), "p95": float(np.percentile(overhead, 95)),
            "n": len(overhead),
        }
        prompts = [engine.prompt(q) for q in asked[:5]]

        backends = [("transformers", {})]
        if importlib.util.find_spec("llama_cpp") is not None:
            backends.append(("llamacpp", {}))
        if args.base_url and args.model:
            backends.append(("openai", {"base_url": args.base_url, "model": args.model}))
        for name, options in backends:
            started = time.perf_counter()
            real = GenerativeEngine(persona, backend_instance=make_backend(name, **options))
            load_s = time.perf_counter() - started
            results[name] = {"load_s": round(load_s, 1), **time_backend(real, prompts, args.tokens)}
        persona.close()
    finally:
        shutil.rmtree(home, ignore_errors=True)

    o = results["sosie_overhead_ms"]
    print(f"Sosie overhead per answer (retrieval + prompt + tagging): p50 {o['p50']:.1f} ms, "
          f"p95 {o['p95']:.1f} ms over {o['n']} answers (target p95 <= 50 ms)")
    for name, r in results.items():
        if name == "sosie_overhead_ms":
            continue
        print(f"{name}: load {r['load_s']} s; time to first token p50 {r['ttft_ms']['p50']:.0f} ms, "
              f"p95 {r['ttft_ms']['p95']:.0f} ms; {r['tokens_per_s']['p50']:.1f} tokens/s (p50)")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
