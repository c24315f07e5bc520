"""How many threads llama.cpp gets on a server that answers other visitors too.

``python bench/threads.py [--threads 1,2] [--repeats 2] [--json FILE]``

On two cores the model and the embedder share the CPU: a model that takes both cores makes
every quote-engine visitor wait for the embedder, one that takes one core writes slower. Per
thread count (the persona's ``[generative] threads``), a real ``sosie serve`` process on
loopback (bench/serve.py's), warmed with one generative answer, then at once: the quote-engine
load of bench/serve.py (``--interviews`` visitors pausing ``--think`` s on average) and one
visitor asking generative questions one after another. Reported: the quote visitors' latency
p50/p95 and throughput, and the generative answers' time p50. The counts take turns, repeated
``--repeats`` times; medians are compared. A benchmark reports: it exits 0.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import serve  # noqa: E402  (bench/serve.py: the server, the question pool, the quote load)

from sosie import Persona  # noqa: E402
from sosie.demo import create_demo_persona, questions  # noqa: E402

GENERATIVE = [q for q in questions("rowan") if "tungsten" not in q]


async def generative_visitor(url: str, deadline: float, out: dict) -> None:
    async with httpx.AsyncClient(timeout=600) as client:
        made = await client.post(url + "/api/personas/rowan/sessions", json={"engine": "generative"})
        sid = made.json()["id"]
        n = 0
        while time.monotonic() < deadline:
            started = time.perf_counter()
            reply = await client.post(f"{url}/api/personas/rowan/sessions/{sid}/ask",
                                      json={"question": GENERATIVE[n % len(GENERATIVE)]})
            if reply.status_code == 200:
                out["generative_s"].append(time.perf_counter() - started)
            n += 1


async def both(url: str, pool, args) -> dict:
    deadline = time.monotonic() + args.max_seconds
    out = {"generative_s": []}
    quote, _ = await asyncio.gather(
        serve.load([url], pool, args.interviews, args.turns, args.max_seconds, args.think),
        generative_visitor(url, deadline, out))
    return {"quote": quote, **out}


def run(home: Path, pool, threads: int, args) -> dict:
    with Persona.open("rowan", home) as persona:
        persona.config.generative.threads = threads
        persona.save()
    server, url = serve.start_server(home, serial=False, store=None)
    try:
        for _ in range(600):
            try:
                if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        warm = httpx.post(url + "/api/personas/rowan/sessions", json={"engine": "generative"}).json()["id"]
        httpx.post(f"{url}/api/personas/rowan/sessions/{warm}/ask", json={"question": GENERATIVE[0]},
                   timeout=600)
        result = asyncio.run(both(url, pool, args))
    finally:
        server.terminate()
        server.wait()
    quote = result["quote"]
    return {"threads": threads, "quote_turns_per_s": quote["ok"] / quote["seconds"],
            "quote_p50_ms": float(np.percentile(quote["latency"], 50)),
            "quote_p95_ms": float(np.percentile(quote["latency"], 95)),
            "generative_answers": len(result["generative_s"]),
            "generative_p50_s": float(np.percentile(result["generative_s"], 50)) if result["generative_s"]
            else None}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", default="1,2", help="thread counts to compare")
    parser.add_argument("--interviews", type=int, default=20)
    parser.add_argument("--turns", type=int, default=30)
    parser.add_argument("--think", type=float, default=1.0)
    parser.add_argument("--max-seconds", type=float, default=120)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    counts = [int(n) for n in args.threads.split(",")]
    home = Path(tempfile.mkdtemp(prefix="sosie-bench-threads-"))
    runs: dict[int, list[dict]] = {n: [] for n in counts}
    try:
        persona = create_demo_persona("rowan", home)
        persona.build()
        pool = serve.question_pool(persona)
        persona.close()
        for rep in range(args.repeats):
            for n in counts if rep % 2 == 0 else reversed(counts):
                runs[n].append(run(home, pool, n, args))
    finally:
        shutil.rmtree(home, ignore_errors=True)
    print(f"llama.cpp threads on a server with {args.interviews} quote visitors (think {args.think} s) and "
          f"one generative visitor, {args.max_seconds:.0f} s each, median of {args.repeats}:")
    summary = {}
    for n, rows in runs.items():
        med = {k: statistics.median(r[k] for r in rows if r[k] is not None)
               for k in ("quote_turns_per_s", "quote_p50_ms", "quote_p95_ms", "generative_p50_s")}
        summary[n] = {**med, "runs": rows}
        print(f"  {n} thread{'s' if n > 1 else ''}: quote {med['quote_turns_per_s']:.1f} turns/s, "
              f"p50 {med['quote_p50_ms']:.0f} ms, p95 {med['quote_p95_ms']:.0f} ms; generative answer "
              f"p50 {med['generative_p50_s']:.1f} s ({[r['generative_answers'] for r in rows]} answers)")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
