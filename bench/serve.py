"""Load on ``sosie serve``: ``python bench/serve.py`` (part of ``make bench``).

A real server process on loopback (``sosie serve``, uvicorn) and many interviews at once, all on
the quote engine: half through Sosie's session API, half through the OpenAI-compatible API
(which resends the whole conversation every turn). Reported:

* throughput (turns/s) and per-turn latency p50/p95 under load: a server with ``--serial`` (one
  request at a time per persona, how it served before) and one with parallel reads (the
  default), taking turns ``--repeats`` times; the ratio of their medians is
  the named comparison;
* the library in-process, one turn after another, for scale;
* turns stored in SQLite vs turns answered (equal) and turns stored twice (none).

The run is bounded: interviews stop starting new turns after ``--max-seconds``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
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


async def pause(think: float, rng: random.Random) -> None:
    """A visitor reads the answer before the next question (exponential, mean ``think`` s)."""
    if think > 0:
        await asyncio.sleep(rng.expovariate(1 / think))


async def session_interview(client: httpx.AsyncClient, pool, n, turns, deadline, out, think=0.0) -> None:
    rng = random.Random(n)
    base = out["urls"][n % len(out["urls"])]  # interviews spread over the replicas, as a balancer would
    made = await client.post(base + "/api/personas/rowan/sessions",
                             json={"engine": "quote", "title": f"load-{n}"})
    sid = made.json()["id"]
    out["sessions"].append(sid)
    for t in range(turns):
        if time.monotonic() > deadline:
            return
        await pause(think, rng)
        started = time.perf_counter()
        reply = await client.post(f"{base}/api/personas/rowan/sessions/{sid}/ask",
                                  json={"question": pool[(n * 7 + t) % len(pool)]})
        out["latency"].append((time.perf_counter() - started) * 1000)
        out["sent"] += 1
        out["ok"] += reply.status_code == 200
        if reply.status_code != 200:
            out["errors"].append(f"{reply.status_code} {reply.text[:120]}")


async def chat_interview(client: httpx.AsyncClient, pool, n, turns, deadline, out, think=0.0) -> None:
    rng = random.Random(n)
    base = out["urls"][n % len(out["urls"])]
    messages: list[dict] = []
    interview = None
    for t in range(turns):
        if time.monotonic() > deadline:
            return
        await pause(think, rng)
        messages.append({"role": "user", "content": pool[(n * 11 + t) % len(pool)]})
        started = time.perf_counter()
        reply = await client.post(base + "/v1/chat/completions", json={"model": "sosie/rowan:quote",
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


async def load(urls: list[str], pool, interviews: int, turns: int, max_seconds: float,
               think: float = 0.0) -> dict:
    out = {"latency": [], "sent": 0, "ok": 0, "sessions": [], "chats": set(), "errors": [], "urls": urls}
    deadline = time.monotonic() + max_seconds
    limits = httpx.Limits(max_connections=interviews)
    async with httpx.AsyncClient(timeout=300, limits=limits) as client:
        started = time.perf_counter()
        await asyncio.gather(*[
            (session_interview if n % 2 == 0 else chat_interview)(
                client, pool, n, turns, deadline, out, think)
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


def start_server(home: Path, serial: bool, store: str | None,
                 workers: int = 1) -> tuple[subprocess.Popen, str]:
    port = free_port()
    sosie = Path(sys.executable).with_name("sosie")
    command = [str(sosie), "serve", "rowan", "--port", str(port), "--workers", str(workers)]
    command += ["--serial"] if serial else []
    command += ["--store", store] if store else []
    server = subprocess.Popen(command, env=dict(os.environ, SOSIE_HOME=str(home)),
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return server, f"http://127.0.0.1:{port}"


def serve_and_load(home: Path, pool, args, serial: bool, think: float = 0.0, replicas: int = 1,
                   store: str | None = None, workers: int = 1) -> dict:
    """``replicas`` ``sosie serve`` processes (``--serial``: one request at a time per persona,
    the old way; ``store``: interviews in that PostgreSQL), warmed, then the load; returns the
    numbers, turns stored included."""
    servers = [start_server(home, serial, store, workers) for _ in range(replicas)]
    try:
        for _, url in servers:
            for _ in range(600):
                try:
                    if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.2)
            warm = httpx.post(url + "/api/personas/rowan/sessions", json={"title": "warm-up"}).json()["id"]
            httpx.post(f"{url}/api/personas/rowan/sessions/{warm}/ask", json={"question": pool[0]},
                       timeout=120)
        urls = [url for _, url in servers]
        result = asyncio.run(load(urls, pool, args.interviews, args.turns, args.max_seconds, think))
    finally:
        for server, _ in servers:
            server.terminate()
            server.wait()
    ids = result["sessions"] + sorted(result["chats"])
    rows = stored_turns(home, ids, store)
    stored = len(rows)
    # a session interview asks each question once: the same (interview, question) twice is a duplicate
    sessions = set(result["sessions"])
    duplicated = sum(1 for r in rows if r[0] in sessions) - len({tuple(r) for r in rows if r[0] in sessions})
    return {
        "serial": serial, "think_seconds": think, "replicas": replicas, "workers": workers,
        "store": "postgresql" if store else "sqlite",
        "turns_sent": result["sent"], "turns_answered": result["ok"],
        "turns_stored": stored, "duplicated": duplicated, "errors": sorted(set(result["errors"]))[:5],
        "seconds": round(result["seconds"], 1),
        "throughput_turns_per_s": round(result["ok"] / result["seconds"], 2),
        "latency_ms": {"p50": float(np.percentile(result["latency"], 50)),
                       "p95": float(np.percentile(result["latency"], 95))},
    }


def stored_turns(home: Path, ids: list[int], store: str | None) -> list[tuple]:
    if store:
        import psycopg

        with psycopg.connect(store) as conn:
            return [tuple(r) for r in conn.execute(
                "SELECT interview_id, question FROM exchanges WHERE interview_id = ANY(%s)", (ids,))]
    with Persona.open("rowan", home) as check:
        marks = ",".join("?" * len(ids))
        return [tuple(r) for r in check.store.db.execute(
            f"SELECT interview_id, question FROM exchanges WHERE interview_id IN ({marks})", ids)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--interviews", type=int, default=50)
    parser.add_argument("--turns", type=int, default=20)
    parser.add_argument("--max-seconds", type=float, default=300)
    parser.add_argument("--replicas", action="store_true",
                        help="also serve from PostgreSQL with one replica and with two (needs PostgreSQL)")
    parser.add_argument("--think", type=float, default=3.0,
                        help="also run with visitors pausing this long on average between questions")
    parser.add_argument("--repeats", type=int, default=2,
                        help="alternating runs of the old and the new server (their medians are compared)")
    parser.add_argument("--json", type=Path, help="also write the numbers here")
    args = parser.parse_args()
    if args.repeats < 1:
        parser.error("--repeats must be at least 1")

    home = Path(tempfile.mkdtemp(prefix="sosie-bench-serve-"))
    try:
        persona = create_demo_persona("rowan", home)
        persona.build()
        pool = question_pool(persona)
        total = args.interviews * args.turns
        base = baseline(persona, pool, min(total, 200))
        persona.close()
        base_throughput = 1000 / float(np.mean(base))
        # this machine's throughput drifts by a third from one run to the next: the old and the
        # new server take turns, --repeats times, and the medians are compared
        runs, pairs = {}, []
        for n in range(args.repeats):
            old_run = runs[f"serial_{n + 1}"] = serve_and_load(home, pool, args, serial=True)
            new_run = runs[f"parallel_{n + 1}"] = serve_and_load(home, pool, args, serial=False)
            pairs.append((old_run, new_run))
        runs["workers_2"] = serve_and_load(home, pool, args, serial=False, workers=2)
        if args.replicas:  # interviews in PostgreSQL, one replica and two, a balancer's spread
            sys.path.insert(0, str(Path(__file__).parent.parent / "tests"))
            from pg_server import PostgresServer

            with PostgresServer() as postgres:
                for n in (1, 2):
                    runs[f"replicas_{n}"] = serve_and_load(home, pool, args, serial=False, replicas=n,
                                                           store=postgres.url)
        if args.think > 0:  # visitors who read each answer: the latency a kiosk's visitor sees
            runs["serial_visitors"] = serve_and_load(home, pool, args, serial=True, think=args.think)
            runs["parallel_visitors"] = serve_and_load(home, pool, args, serial=False, think=args.think)
        print(f"Load: {args.interviews} concurrent interviews x {args.turns} turns, quote engine, "
              f"half session API, half OpenAI API, on {os.cpu_count()} cores")
        print(f"  baseline (library, in-process, one at a time): {base_throughput:.1f} turns/s; {pct(base)}")
        for run in runs.values():
            how = ("--serial (one request at a time per persona, as before)" if run["serial"]
                   else "parallel reads (the default)")
            how += f", {run['replicas']} replica(s) on PostgreSQL" if run["store"] == "postgresql" else ""
            how += f", --workers {run['workers']}" if run["workers"] > 1 else ""
            how += f", visitors pausing {run['think_seconds']:g} s" if run["think_seconds"] else ", no pause"
            print(f"  {how}: {run['seconds']:.1f} s; sent {run['turns_sent']}, answered "
                  f"{run['turns_answered']}, stored {run['turns_stored']}, duplicated {run['duplicated']}; "
                  f"{run['throughput_turns_per_s']:.1f} turns/s; p50 {run['latency_ms']['p50']:.1f} ms, "
                  f"p95 {run['latency_ms']['p95']:.1f} ms")
            for error in run["errors"]:
                print(f"    refused: {error}")
        def median(side: int, key: str, sub: str | None = None) -> float:
            values = [p[side][key][sub] if sub else p[side][key] for p in pairs]
            return float(np.median(values))

        old_tps, new_tps = median(0, "throughput_turns_per_s"), median(1, "throughput_turns_per_s")
        two = runs["workers_2"]
        each = ", ".join(f"{new['throughput_turns_per_s'] / old['throughput_turns_per_s']:.2f}x"
                         for old, new in pairs)
        print(f"  --workers 2 / serial (median): throughput "
              f"{two['throughput_turns_per_s'] / old_tps:.2f}x, p95 {two['latency_ms']['p95']:.0f} ms")
        print(f"  ratios, parallel / serial, medians of {args.repeats} alternating runs: throughput "
              f"{new_tps / old_tps:.2f}x (target >= 1.6x; each pair: {each}), p95 "
              f"{median(1, 'latency_ms', 'p95') / median(0, 'latency_ms', 'p95'):.2f}x "
              f"(no pause: {median(1, 'latency_ms', 'p95'):.0f} ms)")
        if "parallel_visitors" in runs:
            old_v, new_v = runs["serial_visitors"], runs["parallel_visitors"]
            print(f"  visitors pausing {args.think:g} s: p95 {new_v['latency_ms']['p95']:.0f} ms parallel "
                  f"against {old_v['latency_ms']['p95']:.0f} ms serial (target p95 <= 300 ms)")
        numbers = {"interviews": args.interviews, "turns_per_interview": args.turns, "cores": os.cpu_count(),
                   "baseline_in_process_ms": {"p50": float(np.percentile(base, 50)),
                                              "p95": float(np.percentile(base, 95))},
                   "baseline_throughput_turns_per_s": round(base_throughput, 1),
                   "median_throughput_turns_per_s": {"serial": old_tps, "parallel": new_tps}, **runs}
        if args.json:
            args.json.write_text(json.dumps(numbers, indent=2))
        if any(r["turns_stored"] != r["turns_answered"] or r["duplicated"] for r in runs.values()):
            sys.exit("turns stored differ from turns answered, or a turn was stored twice")
    finally:
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
