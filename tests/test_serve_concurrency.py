"""Many visitors at once: reads in parallel, turns in order, a local model's queue bounded.

A real server on loopback over a copy of the demo home (the tests write hundreds of turns).
"""

from __future__ import annotations

import sqlite3
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import httpx
import pytest
from conftest import copy_workspace
from live_server import LiveServer

from sosie import Persona, registry
from sosie.engines.base import Answer
from sosie.serve import ServeSettings, create_app

QUESTIONS = ["What do you think of cities?", "Why do you prefer trains to planes?",
             "How do you decide who to hire?", "Why do libraries matter so much to you?"]


@pytest.fixture
def fresh_home(demo_home, tmp_path):
    home = tmp_path / "home"
    for slug in ("rowan", "wren"):
        copy_workspace(demo_home / slug, home / slug)
    return home


def stored_turns(home, slug: str) -> list[tuple[int, str]]:
    db = sqlite3.connect(home / slug / "sosie.db")
    try:
        return db.execute("SELECT interview_id, question FROM exchanges ORDER BY id").fetchall()
    finally:
        db.close()


def test_fifty_interviews_at_once_lose_and_duplicate_no_turn(fresh_home):
    personas = [Persona.open(slug, fresh_home) for slug in ("rowan", "wren")]
    with LiveServer(create_app(personas, ServeSettings())) as server:
        with httpx.Client(base_url=server.url, timeout=120) as http:
            ids = [http.post("/api/personas/rowan/sessions", json={"engine": "quote"}).json()["id"]
                   for _ in range(50)]

            def interview(interview_id: int) -> list[int]:
                codes = []
                for question in QUESTIONS[:3]:
                    reply = http.post(f"/api/personas/rowan/sessions/{interview_id}/ask",
                                      json={"question": f"{question} ({interview_id})"})
                    codes.append(reply.status_code)
                return codes

            with ThreadPoolExecutor(max_workers=50) as pool:
                codes = [c for result in pool.map(interview, ids) for c in result]
            # two turns of one interview at once: they are answered one after the other
            with ThreadPoolExecutor(max_workers=4) as pool:
                same = list(pool.map(lambda q: http.post(f"/api/personas/rowan/sessions/{ids[0]}/ask",
                                                         json={"question": q}).status_code, QUESTIONS))
    for persona in personas:
        persona.close()
    assert codes == [200] * 150 and same == [200] * 4
    turns = [t for t in stored_turns(fresh_home, "rowan") if t[0] in set(ids)]
    assert len(turns) == 154 and len(set(turns)) == 154  # every turn once, none lost
    for interview_id in ids[1:]:
        mine = [q for i, q in turns if i == interview_id]
        assert mine == [f"{q} ({interview_id})" for q in QUESTIONS[:3]]  # in the order asked
    assert [q for i, q in turns if i == ids[0]][3:] and len([q for i, q in turns if i == ids[0]]) == 7


@dataclass
class SlowLocalBackend:
    """A backend that says it runs in this process (its name is not "openai"), for the queue;
    it stands in for a local model, which would take minutes to load here, and says so."""

    name: str = "slow-local"


class SlowEngine:
    """An engine from outside (registered at run time, as a plug-in's would be) whose answers
    take a second on a "local model": only what the server does around it is under test."""

    name = "slowlocal"
    Options = None

    def __init__(self, persona):
        self.persona = persona
        self.backend = SlowLocalBackend()
        self.running = 0
        self.most = 0
        self.guard = threading.Lock()

    def answer(self, question, history=(), on_token=None) -> Answer:
        with self.guard:
            self.running += 1
            self.most = max(self.most, self.running)
        time.sleep(1.0)
        with self.guard:
            self.running -= 1
        return Answer(question, "I have not talked about that.", self.persona.slug, self.name,
                      self.persona.config.disclosure, abstained=True)


def test_a_full_model_queue_answers_503_with_retry_after(fresh_home):
    registry.register("engine", "slowlocal", SlowEngine)
    personas = [Persona.open("rowan", fresh_home)]
    try:
        with LiveServer(create_app(personas, ServeSettings(max_waiting=1))) as server:
            with httpx.Client(base_url=server.url, timeout=60) as http:
                ids = [http.post("/api/personas/rowan/sessions", json={"engine": "slowlocal"}).json()["id"]
                       for _ in range(5)]
                with ThreadPoolExecutor(max_workers=5) as pool:
                    replies = list(pool.map(lambda i: http.post(f"/api/personas/rowan/sessions/{i}/ask",
                                                                json={"question": "Anything?"}), ids))
                # the quote engine never waits for the model
                quick = http.post("/api/personas/rowan/sessions", json={"engine": "quote"}).json()["id"]
                assert http.post(f"/api/personas/rowan/sessions/{quick}/ask",
                                 json={"question": QUESTIONS[0]}).status_code == 200
        engine = next(e for e in personas[0].engines.values() if isinstance(e, SlowEngine))
    finally:
        registry.unregister("engine", "slowlocal")
        personas[0].close()
    codes = sorted(r.status_code for r in replies)
    assert codes.count(200) == 2 and codes.count(503) == 3, codes  # one running, one waiting
    busy = next(r for r in replies if r.status_code == 503)
    assert busy.headers["retry-after"] == "10" and "busy" in busy.json()["error"]["message"]
    assert engine.most == 1  # the model answered one question at a time
    answered = [i for i, r in zip(ids, replies, strict=True) if r.status_code == 200]
    mine = set(ids) | {quick}
    assert sorted(i for i, _ in stored_turns(fresh_home, "rowan") if i in mine) == sorted(answered) + [quick]


@dataclass
class SlowRemoteBackend:
    """Stands in for a model server (vLLM, llama.cpp's) that batches requests itself."""

    name: str = "openai"


class SlowRemoteEngine(SlowEngine):
    name = "slowremote"

    def __init__(self, persona):
        super().__init__(persona)
        self.backend = SlowRemoteBackend()


def test_answers_from_a_model_server_run_more_at_once_than_asyncio_threads(fresh_home):
    """16 visitors whose answers each take a second on a model server: all are in flight at
    once. asyncio's default pool (cores + 4 threads, 6 here) let only 6 in at a time, which
    made them take 3 s; and it capped the questions embedded together at 6."""
    registry.register("engine", "slowremote", SlowRemoteEngine)
    personas = [Persona.open("rowan", fresh_home)]
    try:
        with LiveServer(create_app(personas, ServeSettings())) as server:
            with httpx.Client(base_url=server.url, timeout=60) as http:
                ids = [http.post("/api/personas/rowan/sessions", json={"engine": "slowremote"}).json()["id"]
                       for _ in range(16)]
                started = time.perf_counter()
                def ask(interview_id: int) -> int:
                    return http.post(f"/api/personas/rowan/sessions/{interview_id}/ask",
                                     json={"question": "Anything?"}).status_code

                with ThreadPoolExecutor(max_workers=16) as pool:
                    codes = list(pool.map(ask, ids))
                took = time.perf_counter() - started
        engine = next(e for e in personas[0].engines.values() if isinstance(e, SlowRemoteEngine))
    finally:
        registry.unregister("engine", "slowremote")
        personas[0].close()
    assert codes == [200] * 16
    assert engine.most >= 12, engine.most  # not 6
    assert took < 2.5, took


def test_questions_asked_at_once_are_embedded_together_and_get_their_own_vectors():
    from sosie.index.embedder import QueryBatcher, _encode

    sizes: list[int] = []

    def encode(texts: list[str]):
        sizes.append(len(texts))
        time.sleep(0.05)  # a forward pass takes a while: questions pile up behind it
        return _encode(texts)

    batcher = QueryBatcher(encode)
    alone = batcher(QUESTIONS[0])
    assert sizes == [1]  # a question asked alone is embedded at once, by itself
    asked = [f"{q} ({i})" for i in range(6) for q in QUESTIONS]
    with ThreadPoolExecutor(max_workers=24) as pool:
        vectors = list(pool.map(batcher, asked))
    assert sum(sizes[1:]) == len(asked) and len(sizes) - 1 < len(asked) / 2  # in batches
    for question, vector in zip(asked, vectors, strict=True):  # each its own, as if alone
        assert abs(float(vector @ _encode([question])[0]) - 1.0) < 1e-4
    assert abs(float(alone @ _encode([QUESTIONS[0]])[0]) - 1.0) < 1e-6

    def broken(texts):
        raise RuntimeError("model gone")

    failing = QueryBatcher(broken)
    with ThreadPoolExecutor(max_workers=4) as pool, pytest.raises(RuntimeError, match="model gone"):
        list(pool.map(failing, QUESTIONS))
    assert not failing.busy and not failing.pending  # nothing left hanging


@pytest.mark.slow
def test_workers_answer_in_separate_processes_and_store_every_turn_once(fresh_home):
    import os
    import subprocess

    import psutil
    from conftest import SOSIE
    from live_server import free_port

    port = free_port()
    server = subprocess.Popen([str(SOSIE), "serve", "rowan", "--port", str(port), "--workers", "2"],
                              env=dict(os.environ, SOSIE_HOME=str(fresh_home)),
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while True:
            assert server.poll() is None, server.stderr.read()
            try:
                if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the workers did not start"
            time.sleep(0.3)
        workers = [p for p in psutil.Process(server.pid).children(recursive=True) if "python" in p.name()]
        assert len(workers) >= 2  # uvicorn's two worker processes
        with httpx.Client(base_url=url, timeout=120) as http:
            ids = [http.post("/api/personas/rowan/sessions", json={"engine": "quote"}).json()["id"]
                   for _ in range(10)]
            with ThreadPoolExecutor(max_workers=10) as pool:
                codes = list(pool.map(lambda i: [http.post(f"/api/personas/rowan/sessions/{i}/ask",
                                                           json={"question": q}).status_code
                                                 for q in QUESTIONS], ids))
    finally:
        server.terminate()
        server.wait(30)
    assert codes == [[200] * len(QUESTIONS)] * 10
    turns = [t for t in stored_turns(fresh_home, "rowan") if t[0] in set(ids)]
    assert sorted(turns) == sorted((i, q) for i in ids for q in QUESTIONS)  # each once, none lost


def test_a_served_turn_reads_by_index_and_checks_the_build_with_one_stat(fresh_home, monkeypatch):
    """What every turn does before it answers stays cheap as interviews pile up: its interview's
    exchanges are found by an index (not a scan of every stored turn), the interview schema is
    checked once per store, and the live build is re-read only when ``index/CURRENT`` changes."""
    import sosie.index.hybrid as hybrid
    from sosie.interview.records import interview_records

    persona = Persona.open("rowan", fresh_home)
    records = interview_records(persona)
    assert interview_records(persona) is records  # migrated once, not on every turn
    plan = " ".join(str(row[-1]) for row in records.db.execute(
        "EXPLAIN QUERY PLAN SELECT * FROM exchanges WHERE interview_id = ? ORDER BY id", (1,)))
    assert "exchanges_interview" in plan, plan

    reads = []
    real = hybrid.current_build
    monkeypatch.setattr(hybrid, "current_build", lambda root: reads.append(root) or real(root))
    first = persona.index
    reads.clear()
    for _ in range(20):
        assert persona.index is first and persona.index_status()["built"]
    assert reads == []  # the pointer file unchanged: its stat says so
    pointer = persona.workspace / "index" / "CURRENT"
    swapped = pointer.with_name("CURRENT.new")
    swapped.write_text(pointer.read_text())
    swapped.replace(pointer)  # how a build switches: a new file in its place
    assert persona.index is first and reads  # read again (the same build: kept loaded)
    # a real rebuild picked up by a server: test_serve_hardening's stale-index test
