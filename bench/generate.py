"""Generative-engine benchmark: ``python bench/generate.py`` (part of ``make bench``).

* Each backend and model installed here, on the same prompts (the demo persona's, 5 questions):
  load time, time to first token and tokens/s. transformers runs the bundled SmolLM2 always and
  the catalogue's Qwen models when assembled (dequantised to float32); llama.cpp runs them all
  when ``sosie[llama]`` is installed; ``--base-url``/``--model`` add an OpenAI-compatible server.
  The transformers/llama.cpp ratio on the same model is the "no compile step" test (>= 0.8 to
  prefer transformers).
* Sosie's own overhead per answer, check and repair included: with a backend that answers at
  once (the model's time is then nil: milliseconds), and with the default model in each
  grounding mode, as a share of the generation time (target p95 <= 15%). Regeneration in
  ``balanced`` is model time, reported apart.
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

from sosie import models
from sosie.demo import create_demo_persona, questions
from sosie.engines.backends import GenerationOptions, make_backend, resolve_auto
from sosie.engines.generative import GenerativeEngine
from sosie.index.embedder import load_model


class InstantBackend:
    """Answers at once with a quote of source [1] and one invented sentence (in strict mode,
    the numbers of the first three sentences)."""

    name = "instant"
    context_tokens = 2048

    def count_tokens(self, text: str) -> int:
        return len(text) // 4 + 1

    def stream(self, messages, options):
        content = messages[-1]["content"]
        if "really said, numbered:" in content:  # strict mode asks for numbers
            yield from ["1", ", 2", ", 3"]
            return
        start = content.find('"', content.find("[1] (")) + 1
        quote = content[start : content.find(".", start) + 1]
        yield from [quote, " [1]", " I also think the sea is made of soup."]


class Timed:
    """A backend whose every generation is timed, so the rest of an answer is Sosie's."""

    def __init__(self, inner):
        self.inner, self.name, self.context_tokens = inner, inner.name, inner.context_tokens
        self.calls: list[float] = []

    def count_tokens(self, text: str) -> int:
        return self.inner.count_tokens(text)

    def stream(self, messages, options):
        started = time.perf_counter()
        try:
            yield from self.inner.stream(messages, options)
        finally:
            self.calls.append(time.perf_counter() - started)


def pct(values: list[float]) -> dict:
    return {"p50": float(np.percentile(values, 50)), "p95": float(np.percentile(values, 95)),
            "n": len(values)}


def time_backend(backend, prompts: list, tokens: int) -> dict:
    first, rates = [], []
    options = GenerationOptions(max_new_tokens=tokens, temperature=0.0)
    for prompt in prompts:
        started = time.perf_counter()
        stamp, pieces = None, []
        for piece in backend.stream(prompt.messages, options):
            stamp = stamp or time.perf_counter()
            pieces.append(piece)
        ended = time.perf_counter()
        first.append((stamp - started) * 1000)
        produced = backend.count_tokens("".join(pieces))
        rates.append(produced / max(ended - stamp, 1e-6))
    return {"ttft_ms": pct(first), "tokens_per_s": {**pct(rates), "min": float(min(rates))}}


def overhead_with(persona, backend, asked: list[str]) -> dict:
    """Per mode: Sosie's time per answer beside the model's first generation."""
    out = {}
    for mode in ("strict", "balanced", "free"):
        timed = Timed(backend)
        engine = GenerativeEngine(persona, grounding=mode, backend_instance=timed)
        shares, repair_model_s = [], []
        for question in asked:
            timed.calls.clear()
            started = time.perf_counter()
            engine.answer(question)
            total = time.perf_counter() - started
            if not timed.calls:
                continue  # abstained: no model call
            generation, regeneration = timed.calls[0], sum(timed.calls[1:])
            shares.append((total - generation - regeneration) / generation)
            repair_model_s.append(regeneration)
        out[mode] = {"overhead_share": pct(shares), "regeneration_s": pct(repair_model_s)}
    return out


def installed_pairs(base_url: str | None, model: str | None) -> list[tuple[str, str]]:
    """Every backend and model installed here: transformers, the prebuilt llama.cpp, and the
    compiled llama-cpp-python where someone built it (``make models``)."""
    pairs = [("transformers", models.BUNDLED), ("llamacpp", models.BUNDLED)]
    compiled = importlib.util.find_spec("llama_cpp") is not None
    if compiled:
        pairs.append(("llama-cpp-python", models.BUNDLED))
    for name in models.CATALOGUE:
        if models.installed(name):
            pairs += [("transformers", name), ("llamacpp", name)]
            pairs += [("llama-cpp-python", name)] if compiled else []
    if base_url and model:
        pairs.append(("openai", model))
    return pairs


# the child's own resident memory, sampled after each step (ru_maxrss would carry over the
# parent's peak: it survives the fork and exec that start the child)
PEAK = """
import sys
from pathlib import Path
import psutil
from sosie.demo import create_demo_persona, questions
peak = 0
def sample():
    global peak
    peak = max(peak, psutil.Process().memory_info().rss)
persona = create_demo_persona("rowan", Path(sys.argv[1]))
persona.build()
sample()
asked = [q for q in questions("rowan") if "tungsten" not in q][:3]
for q in asked:
    persona.interview("quote").ask(q)
    sample()
    persona.interview("generative").ask(q)
    sample()
print(peak // 1024)
"""


def peak_memory_mb() -> float:
    """One process serving quote and generative answers with the default model: its peak RSS."""
    import subprocess
    import sys

    with tempfile.TemporaryDirectory(prefix="sosie-bench-peak-") as home:
        done = subprocess.run([sys.executable, "-c", PEAK, home], capture_output=True, text=True, check=True)
    return int(done.stdout.strip().splitlines()[-1]) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tokens", type=int, default=64, help="max new tokens per answer")
    parser.add_argument("--base-url", help="also time this OpenAI-compatible server")
    parser.add_argument("--model", help="model name for --base-url")
    parser.add_argument("--skip", default="", help="comma-separated backend/model pairs to leave out, "
                        "e.g. transformers/qwen2.5-1.5b (9 GB, ~3 tokens/s)")
    parser.add_argument("--overhead-only", action="store_true",
                        help="time only Sosie's overhead beside the default model, no backend comparison")
    parser.add_argument("--out", type=Path, default=Path("bench/results/generate.json"))
    args = parser.parse_args()

    load_model()
    home = Path(tempfile.mkdtemp(prefix="sosie-bench-gen-"))
    results: dict = {"backends": {}}
    try:
        persona = create_demo_persona("rowan", home)
        persona.build()
        asked = [q for q in questions("rowan") if "tungsten" not in q]
        engine = GenerativeEngine(persona, backend_instance=InstantBackend())
        for q in asked:
            engine.answer(q)  # warm
        overhead = []
        for _ in range(4):
            for q in asked:
                started = time.perf_counter()
                engine.answer(q)
                overhead.append((time.perf_counter() - started) * 1000)
        results["instant_overhead_ms"] = pct(overhead)
        # the speed of each backend on prose prompts (strict's replies are a few numbers)
        prose = GenerativeEngine(persona, grounding="free", backend_instance=InstantBackend())
        prompts = [prose.prompt(q) for q in asked[:5]]

        skip = {s.strip() for s in args.skip.split(",") if s.strip()}
        for name, model in installed_pairs(args.base_url, args.model):
            if f"{name}/{model}" in skip or args.overhead_only:
                continue
            started = time.perf_counter()
            options = {"base_url": args.base_url} if name == "openai" else {}
            backend = make_backend(name, model=model, **options)
            load_s = time.perf_counter() - started
            results["backends"][f"{name}/{model}"] = {"load_s": round(load_s, 1),
                                                      **time_backend(backend, prompts, args.tokens)}
            del backend
        results["peak_memory_mb"] = round(peak_memory_mb())
        default = resolve_auto("auto", None, None)
        results["default"] = "/".join(default)
        backend = make_backend(default[0], model=default[1])
        results["overhead_vs_generation"] = overhead_with(persona, backend, asked[:4])
        persona.close()
    finally:
        shutil.rmtree(home, ignore_errors=True)

    o = results["instant_overhead_ms"]
    print(f"Sosie per answer with an instant model (retrieval, prompt, tagging, repair): "
          f"p50 {o['p50']:.0f} ms, p95 {o['p95']:.0f} ms over {o['n']} answers")
    for key, r in results["backends"].items():
        print(f"{key}: load {r['load_s']} s; time to first token p50 {r['ttft_ms']['p50']:.0f} ms, "
              f"p95 {r['ttft_ms']['p95']:.0f} ms; {r['tokens_per_s']['p50']:.1f} tokens/s (p50)")
    timed = results["backends"]
    for model in [models.BUNDLED, *models.CATALOGUE]:
        hf, cpp = timed.get(f"transformers/{model}"), timed.get(f"llamacpp/{model}")
        compiled = timed.get(f"llama-cpp-python/{model}")
        if hf and cpp:
            ratio = hf["tokens_per_s"]["p50"] / cpp["tokens_per_s"]["p50"]
            print(f"{model}: transformers / llama.cpp tokens/s = {ratio:.2f} "
                  "(>= 0.8 would prefer transformers)")
        if cpp and compiled:
            speed = cpp["tokens_per_s"]["p50"] / compiled["tokens_per_s"]["p50"]
            first = compiled["ttft_ms"]["p50"] / cpp["ttft_ms"]["p50"]
            print(f"{model}: prebuilt llama.cpp / llama-cpp-python: tokens/s {speed:.2f}x, time to first "
                  f"token {first:.2f}x as fast (target >= 0.9x each)")
    print(f"peak memory, one process answering with the quote engine and the default model: "
          f"{results['peak_memory_mb']} MB")
    print(f"default model here: {results['default']}")
    for mode, r in results["overhead_vs_generation"].items():
        s = r["overhead_share"]
        print(f"  {mode}: Sosie's time / generation time p50 {100 * s['p50']:.1f}%, "
              f"p95 {100 * s['p95']:.1f}% (target p95 <= 15%); "
              f"regeneration p95 {r['regeneration_s']['p95']:.1f} s")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
