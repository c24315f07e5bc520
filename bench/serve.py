"""Load on ``sosie serve``: ``python bench/serve.py`` (part of ``make bench``).

A real server process on loopback (``sosie serve``, uvicorn) and many interviews at once, all on
the quote engine: half through Sosie's session API, half through the OpenAI-compatible API
(which resends the whole conversation every turn). Reported:

* throughput (turns/s) and per-turn latency p50/p95 under load;
* the baseline, measured in the same run: the same turns asked in-process through the library
  (``InterviewSession.ask``) one after another, so the ratios show what HTTP, JSON and
  contention cost;
* turns stored in SQLite vs turns answered: they must be equal.

The run is bounded: interviews stop starting new turns after ``--max-seconds``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np

from sosie import Persona
from sosie.demo import create_demo_persona, questions


def question_pool(persona: Persona) -> list[str]:
    pool = questions("rowan") + [r["question"] for r in persona.store.qa_pairs()]
    return [q for q in dict.fromkeys(pool) if len(q) < 300]


def baseline(persona: Persona, pool: list[str], turns: int) -> list[float]:
    """The library, no server: the same quote-engine turns, one after another."""
    session = persona.interview("quote", title="bench-baseline")
    session.ask(pool[0])  # warm: the embedding model is loaded once per process
    latencies = []
    for i in range(turns):
        started = time.perf_counter()
        session.ask(pool[i % len(pool)])
        latencies.append((time.perf_counter() - started) * 1000)
        if i % 20 == 19:
            session = persona.interview("quote", title="bench-baseline")  # 20-turn interviews
    return latencies


async def session_interview(client: httpx.AsyncClient, pool, n, turns, deadline, out) -> None:
    made = await client.post("/api/personas/rowan/sessions", json={"engine": "quote", "title": f"load-{n}"})
    sid = made.json()["id"]
    out["sessions"].append(sid)
    for t in range(turns):
        if time.monotonic() > deadline:
            return
        started = time.perf_counter()
        reply = await client.post(f"/api/personas/rowan/sessions/{sid}/ask",
                                  json={"question": pool[(n * 7 + t) % len(pool)]})
        out["latency"].append((time.perf_counter() - started) * 1000)
        out["sent"] += 1
        out["ok"] += reply.status_code == 200
        if reply.status_code != 200:
            out["errors"].append(f"{reply.status_code} {reply.text[:120]}")


async def chat_interview(client: httpx.AsyncClient, pool, n, turns, deadline, out) -> None:
    messages: list[dict] = []
    interview = None
    for t in range(turns):
        if time.monotonic() > deadline:
            return
        messages.append({"role": "user", "content": pool[(n * 11 + t) % len(pool)]})
        started = time.perf_counter()
        reply = await client.post("/v1/chat/completions", json={"model": "sosie/rowan:quote",
                                                                "messages": messages})
        out["latency"].append((time.perf_counter() - started) * 1000)
        out["sent"] += 1
        if reply.status_code == 200:
            body = reply.json()
            out["ok"] += 1
            messages.append(body["choices"][0]["message"])
            interview = body["sosie"]["interview"]
        else:
            out["errors"].append(f"{reply.status_code} {reply.text[:120]}")
            messages.pop()
    if interview is not None:
        out["chats"].add(interview)


async def load(url: str, pool, interviews: int, turns: int, max_seconds: float) -> dict:
    out = {"latency": [], "sent": 0, "ok": 0, "sessions": [], "chats": set(), "errors": []}
    deadline = time.monotonic() + max_seconds
    limits = httpx.Limits(max_connections=interviews)
    async with httpx.AsyncClient(base_url=url, timeout=300, limits=limits) as client:
        started = time.perf_counter()
        await asyncio.gather(*[
            (session_interview if n % 2 == 0 else chat_interview)(client, pool, n, turns, deadline, out)
            for n in range(interviews)
        ])
        out["seconds"] = time.perf_counter() - started
    return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pct(values: list[float]) -> str:
    return f"p50 {np.percentile(values, 50):.1f} ms, p95 {np.percentile(values, 95):.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--interviews", type=int, default=50)
    parser.add_argument("--turns", type=int, default=20)
    parser.add_argument("--max-seconds", type=float, default=300)
    parser.add_argument("--json", type=Path, help="also write the numbers here")
    args = parser.parse_args()

    home = Path(tempfile.mkdtemp(prefix="sosie-bench-serve-"))
    server = None
    try:
        persona = create_demo_persona("rowan", home)
        persona.build()
        pool = question_pool(persona)
        total = args.interviews * args.turns
        base = baseline(persona, pool, min(total, 200))
        persona.close()

        port = free_port()
        url = f"http://127.0.0.1:{port}"
        sosie = Path(sys.executable).with_name("sosie")
        server = subprocess.Popen([str(sosie), "serve", "rowan", "--port", str(port)],
                                  env=dict(os.environ, SOSIE_HOME=str(home)),
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(600):
            try:
                if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        warm = httpx.post(url + "/api/personas/rowan/sessions", json={"title": "warm-up"}).json()["id"]
        httpx.post(f"{url}/api/personas/rowan/sessions/{warm}/ask", json={"question": pool[0]}, timeout=120)

        result = asyncio.run(load(url, pool, args.interviews, args.turns, args.max_seconds))

        with Persona.open("rowan", home) as check:
            ids = result["sessions"] + sorted(result["chats"])
            marks = ",".join("?" * len(ids))
            stored = check.store.db.execute(
                f"SELECT COUNT(*) FROM exchanges WHERE interview_id IN ({marks})", ids).fetchone()[0]
        throughput = result["ok"] / result["seconds"]
        base_throughput = 1000 / float(np.mean(base))
        numbers = {
            "interviews": args.interviews, "turns_per_interview": args.turns,
            "turns_sent": result["sent"], "turns_answered": result["ok"], "turns_stored": stored,
            "seconds": round(result["seconds"], 1), "throughput_turns_per_s": round(throughput, 1),
            "latency_ms": {"p50": float(np.percentile(result["latency"], 50)),
                           "p95": float(np.percentile(result["latency"], 95))},
            "baseline_in_process_ms": {"p50": float(np.percentile(base, 50)),
                                       "p95": float(np.percentile(base, 95))},
            "baseline_throughput_turns_per_s": round(base_throughput, 1),
        }
        print(f"Load: {args.interviews} concurrent interviews x {args.turns} turns, quote engine, "
              f"half session API, half OpenAI API; {result['seconds']:.1f} s")
        print(f"  turns sent {result['sent']}, answered {result['ok']}, stored {stored}"
              f" -> stored {'EQUALS' if stored == result['ok'] else 'DIFFERS FROM'} answered")
        for error in sorted(set(result["errors"]))[:5]:
            print(f"  refused: {error}")
        print(f"  throughput {throughput:.1f} turns/s; latency under load {pct(result['latency'])}")
        print(f"  baseline (library, in-process, one at a time): {base_throughput:.1f} turns/s; "
              f"{pct(base)}")
        print(f"  ratios: throughput {throughput / base_throughput:.2f}x the baseline; "
              f"p50 latency {numbers['latency_ms']['p50'] / numbers['baseline_in_process_ms']['p50']:.1f}x "
              f"(concurrent turns queue on the persona's lock)")
        if args.json:
            args.json.write_text(json.dumps(numbers, indent=2))
        if stored != result["ok"]:
            sys.exit("turns stored differ from turns answered")
    finally:
        if server is not None:
            server.terminate()
            server.wait()
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
