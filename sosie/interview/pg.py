"""Interviews in PostgreSQL, for several ``sosie serve`` replicas sharing them.

``sosie serve --store postgresql://user@host:5432/db`` keeps every persona's interviews,
exchanges and quiz picks here instead of in its ``sosie.db``; each replica still reads the persona's corpus
and index from its own copy of the workspace. The methods are :class:`InterviewRecords`'s, so
the rest of Sosie does not know which one it holds.

Migrations are a list of small functions, as for SQLite, counted in ``sosie_meta``; a schema
newer than this Sosie knows is refused, never altered.

>>> database = Postgres.connect("postgresql://sosie@127.0.0.1:5432/sosie")   # doctest: +SKIP
>>> records = database.interviews("rowan"); records.start("quote")           # doctest: +SKIP
1
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from urllib.parse import urlsplit

from sosie.corpus.store import now
from sosie.errors import SosieError

SCHEMA_KEY = "schema.interview"
SCHEMA_LOCK = 0x5051E  # the advisory lock that orders Sosie's migrations


def _p001_tables(cur) -> None:
    cur.execute("""CREATE TABLE interviews (
        id BIGSERIAL PRIMARY KEY,
        persona TEXT NOT NULL,
        started_at TEXT NOT NULL,
        engine TEXT NOT NULL,
        title TEXT,
        thread_key TEXT,
        as_of TEXT)""")
    cur.execute("CREATE INDEX interviews_persona ON interviews(persona, id)")
    cur.execute("CREATE INDEX interviews_thread ON interviews(persona, thread_key)")
    cur.execute("""CREATE TABLE exchanges (
        id BIGSERIAL PRIMARY KEY,
        interview_id BIGINT NOT NULL REFERENCES interviews(id) ON DELETE CASCADE,
        asked_at TEXT NOT NULL,
        answered_at TEXT NOT NULL,
        question TEXT NOT NULL,
        answer_json TEXT NOT NULL)""")
    cur.execute("CREATE INDEX exchanges_interview ON exchanges(interview_id, id)")


def _p002_quiz_answers(cur) -> None:
    # the blind quiz's picks (sosie.evaluate.quiz), so a quiz goes on across replicas too
    cur.execute("""CREATE TABLE quiz_answers (
        id BIGSERIAL PRIMARY KEY,
        persona TEXT NOT NULL,
        quiz_id TEXT NOT NULL,
        eval_run_id BIGINT NOT NULL,
        question TEXT NOT NULL,
        options_json TEXT NOT NULL,
        real_index INTEGER NOT NULL,
        picked INTEGER NOT NULL,
        correct INTEGER NOT NULL,
        answered_at TEXT NOT NULL)""")
    cur.execute("CREATE INDEX quiz_answers_quiz ON quiz_answers(persona, quiz_id)")


MIGRATIONS: list[Callable] = [_p001_tables, _p002_quiz_answers]


def where(url: str) -> str:
    """``host:port`` of a PostgreSQL URL, for messages (never its password)."""
    parts = urlsplit(url)
    try:
        port = parts.port or 5432
    except ValueError:  # "host:notaport": say what was written
        port = parts.netloc.rsplit(":", 1)[-1]
    return f"{parts.hostname or 'localhost'}:{port}"


class Postgres:
    """One PostgreSQL database: a connection per thread, the schema migrated on connect."""

    def __init__(self, url: str):
        self.url = url
        self._local = threading.local()
        self._all: list = []
        self._opened = threading.Lock()

    @classmethod
    def connect(cls, url: str) -> Postgres:
        """Connect now (a bad URL fails at start, in one line) and bring the schema up to date."""
        if not url.startswith(("postgresql://", "postgres://")):
            raise SosieError(f"--store takes a postgresql:// URL, not {url.split('://')[0]!r}")
        try:
            urlsplit(url).port  # noqa: B018 - it raises on a port that is not a number
        except ValueError as exc:
            raise SosieError(f"--store: the port in {where(url)} is not a number; expected "
                             "postgresql://user@host:5432/db") from exc
        database = cls(url)
        database.migrate()
        return database

    def conn(self):
        conn = getattr(self._local, "conn", None)
        if conn is None or conn.closed:
            try:
                import psycopg
                from psycopg.rows import dict_row
            except ImportError as exc:
                raise SosieError("PostgreSQL needs psycopg: pip install 'psycopg[binary]'") from exc
            try:
                conn = psycopg.connect(self.url, row_factory=dict_row, connect_timeout=10)
            except psycopg.OperationalError as exc:
                reason = " ".join(str(exc).split()).split(": ")[-1][:160]
                raise SosieError(f"cannot reach PostgreSQL at {where(self.url)}: {reason}") from exc
            except (psycopg.ProgrammingError, ValueError, TypeError) as exc:  # a malformed URL
                reason = " ".join(str(exc).split())[:160]
                raise SosieError(f"--store: not a usable PostgreSQL URL ({reason}); expected "
                                 "postgresql://user@host:5432/db") from exc
            with self._opened:
                self._all.append(conn)
            self._local.conn = conn
        return conn

    def migrate(self) -> None:
        conn = self.conn()
        with conn.transaction(), conn.cursor() as cur:
            # replicas starting at once migrate one after the other (CREATE TABLE IF NOT EXISTS
            # alone races: both see no table, and the second fails)
            cur.execute("SELECT pg_advisory_xact_lock(%s)", (SCHEMA_LOCK,))
            cur.execute("CREATE TABLE IF NOT EXISTS sosie_meta (key TEXT PRIMARY KEY, value TEXT)")
            row = cur.execute("SELECT value FROM sosie_meta WHERE key = %s", (SCHEMA_KEY,)).fetchone()
            done = int(row["value"]) if row else 0
            if done > len(MIGRATIONS):
                raise SosieError(
                    f"the interview schema at {where(self.url)} is version {done}, newer than this "
                    f"Sosie knows ({len(MIGRATIONS)}); upgrade Sosie, it will not alter a newer schema")
            for number, migration in enumerate(MIGRATIONS[done:], start=done + 1):
                migration(cur)
                cur.execute("INSERT INTO sosie_meta (key, value) VALUES (%s, %s) ON CONFLICT (key) "
                            "DO UPDATE SET value = excluded.value", (SCHEMA_KEY, str(number)))

    def interviews(self, persona: str) -> PostgresInterviews:
        return PostgresInterviews(self, persona)

    def close(self) -> None:
        with self._opened:
            for conn in self._all:
                conn.close()
            self._all.clear()


class PostgresInterviews:
    """One persona's interviews in PostgreSQL, with :class:`InterviewRecords`'s methods."""

    def __init__(self, database: Postgres, persona: str):
        self.database = database
        self.persona = persona

    def _run(self, sql: str, args: tuple = ()) -> list[dict]:
        conn = self.database.conn()
        with conn.transaction(), conn.cursor() as cur:
            cur.execute(sql, args)
            return cur.fetchall() if cur.description else []

    def start(self, engine: str, title: str | None = None, as_of: str | None = None) -> int:
        row = self._run("INSERT INTO interviews (persona, started_at, engine, title, as_of) "
                        "VALUES (%s, %s, %s, %s, %s) RETURNING id",
                        (self.persona, now(), engine, title, as_of))
        return int(row[0]["id"])

    def record(self, interview_id: int, asked_at: str, question: str, answer: dict,
               thread_key: str | None = None) -> int:
        """One completed turn, and the chat thread's key, in one transaction."""
        conn = self.database.conn()
        with conn.transaction(), conn.cursor() as cur:
            cur.execute("INSERT INTO exchanges (interview_id, asked_at, answered_at, question, answer_json) "
                        "VALUES (%s, %s, %s, %s, %s) RETURNING id",
                        (interview_id, asked_at, now(), question, json.dumps(answer, ensure_ascii=False)))
            exchange = cur.fetchone()["id"]
            if thread_key is not None:
                cur.execute("UPDATE interviews SET thread_key = %s WHERE id = %s AND persona = %s",
                            (thread_key, interview_id, self.persona))
        return int(exchange)

    def by_thread(self, thread_key: str) -> int | None:
        rows = self._run("SELECT id FROM interviews WHERE persona = %s AND thread_key = %s "
                         "ORDER BY id DESC LIMIT 1", (self.persona, thread_key))
        return int(rows[0]["id"]) if rows else None

    _WITH_COUNT = ("SELECT i.id, i.started_at, i.engine, i.title, i.thread_key, i.as_of, "
                   "COUNT(e.id) AS exchanges FROM interviews i "
                   "LEFT JOIN exchanges e ON e.interview_id = i.id ")

    def get(self, interview_id: int) -> dict | None:
        rows = self._run(self._WITH_COUNT + "WHERE i.persona = %s AND i.id = %s GROUP BY i.id",
                         (self.persona, interview_id))
        return rows[0] if rows else None

    def all(self) -> list[dict]:
        return self._run(self._WITH_COUNT + "WHERE i.persona = %s GROUP BY i.id ORDER BY i.id",
                         (self.persona,))

    def record_quiz_pick(self, quiz_id: str, run_id: int, question: str, options: list, real_index: int,
                         picked: int) -> None:
        self._run("INSERT INTO quiz_answers (persona, quiz_id, eval_run_id, question, options_json, "
                  "real_index, picked, correct, answered_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
                  (self.persona, quiz_id, run_id, question, json.dumps(options, ensure_ascii=False),
                   real_index, picked, int(picked == real_index), now()))

    def quiz_picks(self, quiz_id: str | None = None) -> list[dict]:
        """``options_json`` and ``correct`` of the picks (of one quiz, or all of the persona's)."""
        if quiz_id:
            return self._run("SELECT options_json, correct FROM quiz_answers WHERE persona = %s AND "
                             "quiz_id = %s ORDER BY id", (self.persona, quiz_id))
        return self._run("SELECT options_json, correct FROM quiz_answers WHERE persona = %s ORDER BY id",
                         (self.persona,))

    def exchanges(self, interview_id: int) -> list[dict]:
        return self._run("SELECT e.* FROM exchanges e JOIN interviews i ON i.id = e.interview_id "
                         "WHERE i.persona = %s AND e.interview_id = %s ORDER BY e.id",
                         (self.persona, interview_id))
