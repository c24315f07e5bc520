"""Two ``sosie serve`` replicas on loopback sharing interviews in a real PostgreSQL server."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import threading
import time
import uuid

import httpx
import pytest
from conftest import SOSIE, copy_workspace, run_in_process
from live_server import free_port
from openai_stub import StubServer
from pg_server import PostgresServer

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def postgres():
    with PostgresServer() as server:
        yield server


@pytest.fixture
def database(postgres) -> str:
    """A database of its own for each test, on the shared server."""
    import psycopg

    name = "t_" + uuid.uuid4().hex[:12]
    with psycopg.connect(postgres.url, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return postgres.url.rsplit("/", 1)[0] + "/" + name


def count(home, table: str) -> int:
    """Rows of a table of the copied workspace's sosie.db (0 when it has no such table)."""
    db = sqlite3.connect(home / "rowan" / "sosie.db")
    try:
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        return db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0] if table in tables else 0
    finally:
        db.close()


def start_replica(home, url: str, *extra: str) -> tuple[subprocess.Popen, str]:
    port = free_port()
    process = subprocess.Popen([str(SOSIE), "serve", "rowan", "--port", str(port), "--store", url, *extra],
                               env=dict(os.environ, SOSIE_HOME=str(home)),
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    return process, f"http://127.0.0.1:{port}"


def wait_until_up(process: subprocess.Popen, base: str) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"replica exited: {process.stderr.read()}")
        try:
            if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.2)
    raise RuntimeError("replica did not start")


def test_an_interview_goes_on_across_replicas_and_survives_one_killed_mid_answer(demo_home, database,
                                                                                  tmp_path):
    homes = [tmp_path / "a", tmp_path / "b"]  # each replica reads its own copy of the workspace
    for home in homes:
        copy_workspace(demo_home / "rowan", home / "rowan")
    before = [count(home, "exchanges") for home in homes]  # what earlier tests left in the demo home
    with StubServer(delay=0.25) as model:  # a slow model: there is time to kill a replica mid-answer
        generation = ("--backend", "openai", "--model", "stub", "--base-url", model.base_url)
        a, url_a = start_replica(homes[0], database, *generation)
        b, url_b = start_replica(homes[1], database, *generation)
        try:
            wait_until_up(a, url_a)
            wait_until_up(b, url_b)
            made = httpx.post(f"{url_a}/api/personas/rowan/sessions", json={"engine": "quote"}).json()
            ask = f"/api/personas/rowan/sessions/{made['id']}/ask"
            first = httpx.post(url_a + ask, json={"question": "What do you think of cities?"}, timeout=60)
            second = httpx.post(url_b + ask, json={"question": "And trains?"}, timeout=60)
            assert first.status_code == second.status_code == 200
            for url in (url_a, url_b):  # the full history, whichever replica is asked
                record = httpx.get(f"{url}/api/personas/rowan/sessions/{made['id']}").json()
                assert [e["question"] for e in record["exchanges"]] == ["What do you think of cities?",
                                                                        "And trains?"]
            # an OpenAI client's conversation, continued on the other replica, finds its interview
            chat = [{"role": "user", "content": "Why do you prefer trains to planes?"}]
            reply = httpx.post(f"{url_a}/v1/chat/completions", timeout=60,
                               json={"model": "sosie/rowan:quote", "messages": chat}).json()
            chat += [reply["choices"][0]["message"], {"role": "user", "content": "And ferries?"}]
            again = httpx.post(f"{url_b}/v1/chat/completions", timeout=60,
                               json={"model": "sosie/rowan:quote", "messages": chat}).json()
            assert again["sosie"]["interview"] == reply["sosie"]["interview"]
            assert again["sosie"]["exchange"] == 2

            # replica A dies while the model is writing: every stored turn is still there
            gen = httpx.post(f"{url_a}/api/personas/rowan/sessions", json={"engine": "generative"}).json()
            gen_ask = f"/api/personas/rowan/sessions/{gen['id']}/ask"
            done = httpx.post(url_a + gen_ask, json={"question": "What do you think of cities?"}, timeout=60)
            assert done.status_code == 200
            streaming = threading.Event()

            def stream() -> None:
                try:
                    with httpx.stream("POST", url_a + gen_ask, timeout=60,
                                      json={"question": "Why trains?", "stream": True}) as events:
                        for line in events.iter_lines():
                            if line.startswith("event: token"):
                                streaming.set()
                except httpx.HTTPError:
                    pass  # the replica was killed under it

            reader = threading.Thread(target=stream)
            reader.start()
            assert streaming.wait(30)
            a.send_signal(signal.SIGKILL)
            a.wait()
            reader.join(30)
            record = httpx.get(f"{url_b}/api/personas/rowan/sessions/{gen['id']}").json()
            assert [e["question"] for e in record["exchanges"]] == ["What do you think of cities?"]
            on = httpx.post(url_b + gen_ask, json={"question": "Why trains?"}, timeout=60)
            assert on.status_code == 200 and on.json()["exchange"] == 2
        finally:
            for process in (a, b):
                process.kill()
                process.wait()
    shown = run_in_process("transcript", "rowan", "--store", database, "--interview", str(made["id"]),
                           "--format", "json", home=homes[0])
    assert [e["question"] for e in json.loads(shown.stdout)["exchanges"]] == [
        "What do you think of cities?", "And trains?"]  # read back from PostgreSQL by the CLI
    assert [count(home, "exchanges") for home in homes] == before  # nothing went to their sosie.db


def test_a_bad_store_fails_at_start_in_one_line_and_a_newer_schema_is_left_alone(demo_home, database,
                                                                                   tmp_path):
    import psycopg

    home = tmp_path / "home"
    copy_workspace(demo_home / "rowan", home / "rowan")
    closed = free_port()
    done = run_in_process("serve", "rowan", "--store", f"postgresql://sosie@127.0.0.1:{closed}/x", home=home)
    assert done.returncode == 1 and f"cannot reach PostgreSQL at 127.0.0.1:{closed}" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    done = run_in_process("serve", "rowan", "--store", "mysql://x@127.0.0.1/db", home=home)
    assert done.returncode == 1 and "postgresql:// URL" in done.stderr

    from sosie.interview.pg import Postgres

    Postgres.connect(database).close()  # the schema as this Sosie makes it
    with psycopg.connect(database, autocommit=True) as conn:
        conn.execute("UPDATE sosie_meta SET value = '99' WHERE key = 'schema.interview'")
        conn.execute("CREATE TABLE from_the_future (x int)")
    done = run_in_process("serve", "rowan", "--store", database, home=home)
    assert done.returncode == 1 and "is version 99, newer than this Sosie knows (2)" in done.stderr
    with psycopg.connect(database) as conn:
        assert conn.execute("SELECT value FROM sosie_meta").fetchall() == [("99",)]
        tables = {r[0] for r in conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'").fetchall()}
    assert tables == {"sosie_meta", "interviews", "exchanges", "quiz_answers", "from_the_future"}
    assert json.dumps(done.stderr).count("\\n") == 1


def test_quiz_picks_are_kept_in_postgresql_for_every_replica(demo_home, database, tmp_path):
    from sosie import Persona
    from sosie.evaluate.quiz import QuizItem, quiz_summary, record_pick
    from sosie.interview.pg import Postgres

    home = tmp_path / "home"
    copy_workspace(demo_home / "rowan", home / "rowan")
    before = count(home, "quiz_answers")
    replicas = [Persona.open("rowan", home), Persona.open("rowan", home)]
    shared = [Postgres.connect(database), Postgres.connect(database)]
    for persona, db in zip(replicas, shared, strict=True):
        persona.interviews = db.interviews("rowan")
    item = QuizItem(question="Why trains?", real_index=0,
                    options=[{"text": "a", "by": "real"}, {"text": "b", "by": "quote"}])
    assert record_pick(replicas[0], "q1", 1, item, 0) is True
    assert record_pick(replicas[1], "q1", 1, item, 1) is False
    for persona in replicas:  # one score, whichever replica is asked
        assert quiz_summary(persona, "q1") | {"p_value": None} == {
            "answered": 2, "correct": 1, "accuracy": 0.5, "chance": 0.5, "p_value": None}
    assert count(home, "quiz_answers") == before  # none went to sosie.db
    for persona, database_ in zip(replicas, shared, strict=True):
        persona.close()
        database_.close()


def test_replicas_starting_at_once_migrate_one_after_the_other(database):
    from concurrent.futures import ThreadPoolExecutor

    import psycopg

    from sosie.interview.pg import Postgres

    with ThreadPoolExecutor(max_workers=6) as pool:  # six replicas connecting at the same moment
        databases = list(pool.map(lambda _: Postgres.connect(database), range(6)))
    for db in databases:
        db.close()
    with psycopg.connect(database) as conn:
        assert conn.execute("SELECT value FROM sosie_meta").fetchall() == [("2",)]
