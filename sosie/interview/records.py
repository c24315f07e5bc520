"""The interview tables of ``sosie.db``: every exchange, stored as it happened.

They belong to this stage, not to the corpus store: their schema has its own migrations,
counted under the ``meta`` key ``schema.interview`` (the corpus keeps ``PRAGMA user_version``).
Workspaces made before the split already hold the tables; the first migration creates them only
where they are missing and adds what an older workspace lacks.

>>> records = InterviewRecords(store)                      # doctest: +SKIP
>>> n = records.start("quote"); records.exchanges(n)       # doctest: +SKIP
[]
"""

from __future__ import annotations

import json
import sqlite3
from typing import TYPE_CHECKING

from sosie.corpus.schema import Migration, migrate
from sosie.corpus.store import now

if TYPE_CHECKING:
    from sosie.corpus.store import Store
    from sosie.workspace import Workspace


def _i001_tables(db: sqlite3.Connection) -> None:
    db.execute(
        """CREATE TABLE IF NOT EXISTS interviews (
            id INTEGER PRIMARY KEY,
            started_at TEXT NOT NULL,
            engine TEXT NOT NULL,
            title TEXT
        )"""
    )
    db.execute(
        """CREATE TABLE IF NOT EXISTS exchanges (
            id INTEGER PRIMARY KEY,
            interview_id INTEGER NOT NULL REFERENCES interviews(id) ON DELETE CASCADE,
            asked_at TEXT NOT NULL,
            answered_at TEXT NOT NULL,
            question TEXT NOT NULL,
            answer_json TEXT NOT NULL
        )"""
    )
    # OpenAI-style clients resend the whole conversation with every request; the hash of the
    # conversation so far finds the interview it continues (see sosie.serve.chat)
    columns = {row[1] for row in db.execute("PRAGMA table_info(interviews)")}
    if "thread_key" not in columns:
        db.execute("ALTER TABLE interviews ADD COLUMN thread_key TEXT")
    db.execute("CREATE INDEX IF NOT EXISTS interviews_thread_key ON interviews(thread_key)")


def _i002_as_of(db: sqlite3.Connection) -> None:
    # an interview "as of" a date answers only from sources dated up to then, when resumed too
    db.execute("ALTER TABLE interviews ADD COLUMN as_of TEXT")


def _i003_exchanges_by_interview(db: sqlite3.Connection) -> None:
    # every served turn looks up its interview's exchanges: without this, a scan of all of them
    db.execute("CREATE INDEX IF NOT EXISTS exchanges_interview ON exchanges(interview_id, id)")


MIGRATIONS: list[Migration] = [_i001_tables, _i002_as_of, _i003_exchanges_by_interview]
SCHEMA = "schema.interview"


class InterviewRecords:
    """Interviews and their exchanges, over the store's connection."""

    def __init__(self, store: Store):
        self.store = store
        with store.writer:
            migrate(self.db, SCHEMA, MIGRATIONS)

    @property
    def db(self) -> sqlite3.Connection:
        return self.store.db  # the calling thread's connection

    def start(self, engine: str, title: str | None = None, as_of: str | None = None) -> int:
        with self.store.writer, self.db:
            cur = self.db.execute(
                "INSERT INTO interviews (started_at, engine, title, as_of) VALUES (?, ?, ?, ?)",
                (now(), engine, title, as_of))
        return int(cur.lastrowid)

    def record(self, interview_id: int, asked_at: str, question: str, answer: dict,
               thread_key: str | None = None) -> int:
        """Store one completed turn (and, for chat clients, the key of the conversation so far)."""
        with self.store.writer, self.db:
            cur = self.db.execute(
                "INSERT INTO exchanges (interview_id, asked_at, answered_at, question, answer_json)"
                " VALUES (?, ?, ?, ?, ?)",
                (interview_id, asked_at, now(), question, json.dumps(answer, ensure_ascii=False)),
            )
            if thread_key is not None:
                self.db.execute("UPDATE interviews SET thread_key = ? WHERE id = ?",
                                (thread_key, interview_id))
        return int(cur.lastrowid)

    def by_thread(self, thread_key: str) -> int | None:
        row = self.db.execute(
            "SELECT id FROM interviews WHERE thread_key = ? ORDER BY id DESC LIMIT 1", (thread_key,)
        ).fetchone()
        return None if row is None else int(row[0])

    def get(self, interview_id: int) -> sqlite3.Row | None:
        return self.db.execute(
            """SELECT i.*, COUNT(e.id) AS exchanges FROM interviews i
               LEFT JOIN exchanges e ON e.interview_id = i.id WHERE i.id = ? GROUP BY i.id""",
            (interview_id,),
        ).fetchone()

    def all(self) -> list[sqlite3.Row]:
        return self.db.execute(
            """SELECT i.*, COUNT(e.id) AS exchanges FROM interviews i
               LEFT JOIN exchanges e ON e.interview_id = i.id GROUP BY i.id ORDER BY i.id"""
        ).fetchall()

    def exchanges(self, interview_id: int) -> list[sqlite3.Row]:
        return self.db.execute(
            "SELECT * FROM exchanges WHERE interview_id = ? ORDER BY id", (interview_id,)
        ).fetchall()


def interview_records(workspace: Workspace):
    """Where this persona's interviews are kept: its ``sosie.db``, or the PostgreSQL database a
    server was started with (``workspace.interviews``, see :mod:`sosie.interview.pg`)."""
    kept = getattr(workspace, "interviews", None)
    if kept is not None:
        return kept
    store = workspace.store
    # once per store: the schema check takes the writer lock, which every turn would queue on
    records = store.__dict__.get("_interview_records")
    if records is None:
        records = store.__dict__["_interview_records"] = InterviewRecords(store)
    return records
