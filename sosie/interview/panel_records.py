"""The panels' own SQLite file, ``HOME/panels.db``: a panel belongs to no single persona.

A panel is an interview with several speakers: the doubles (each of its own persona), the
moderator who asks, and any real person taking part. Its members are copied in when it starts
(name, disclosure, consent), so the transcript of a panel still says who was simulated, and
how, after a persona changes or is removed. Every turn is written as it happens.

>>> records = PanelRecords.open(home)                                       # doctest: +SKIP
>>> n = records.start("quote", members); records.turns(n)                   # doctest: +SKIP
[]
"""

from __future__ import annotations

import json
import sqlite3
import threading
from pathlib import Path

from sosie.config import home_dir
from sosie.corpus.schema import Migration, migrate
from sosie.corpus.store import now

FILE = "panels.db"  # no persona can be called this: a persona's name has no dot
SCHEMA = "schema.panel"


def _p001_tables(db: sqlite3.Connection) -> None:
    db.execute(
        """CREATE TABLE panels (
            id INTEGER PRIMARY KEY,
            started_at TEXT NOT NULL,
            engine TEXT NOT NULL,
            title TEXT,
            as_of TEXT
        )"""
    )
    # kind: "double" (slug set) or "human" (a real participant); position orders the cast
    db.execute(
        """CREATE TABLE panel_members (
            panel_id INTEGER NOT NULL REFERENCES panels(id) ON DELETE CASCADE,
            position INTEGER NOT NULL,
            kind TEXT NOT NULL,
            slug TEXT,
            name TEXT NOT NULL,
            disclosure TEXT,
            consent_json TEXT,
            PRIMARY KEY (panel_id, position)
        )"""
    )
    # kind: "moderator" and "human" turns hold text; "double" turns hold the answer's JSON.
    # exchange numbers the prompts; round 1 answers a prompt, round 2 on respond to the others
    db.execute(
        """CREATE TABLE panel_turns (
            id INTEGER PRIMARY KEY,
            panel_id INTEGER NOT NULL REFERENCES panels(id) ON DELETE CASCADE,
            exchange INTEGER NOT NULL,
            round INTEGER NOT NULL,
            kind TEXT NOT NULL,
            speaker TEXT NOT NULL,
            addressed_json TEXT NOT NULL DEFAULT '[]',
            responds_to_json TEXT NOT NULL DEFAULT '[]',
            asked_at TEXT NOT NULL,
            answered_at TEXT NOT NULL,
            text TEXT NOT NULL,
            answer_json TEXT
        )"""
    )
    db.execute("CREATE INDEX panel_turns_panel ON panel_turns(panel_id, id)")


MIGRATIONS: list[Migration] = [_p001_tables]


class PanelRecords:
    """Panels, their cast and their turns, in one SQLite file beside the personas."""

    def __init__(self, path: Path):
        self.path = path
        if not path.exists():  # what people said to the doubles: the owner's only
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            path.touch(mode=0o600)
        # a server's worker threads share the connection: one statement at a time
        self.lock = threading.RLock()
        self.db = sqlite3.connect(path, timeout=30, check_same_thread=False)
        self.db.row_factory = sqlite3.Row
        self.db.execute("PRAGMA foreign_keys = ON")
        self.db.execute("PRAGMA journal_mode = WAL")
        self.db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
        migrate(self.db, SCHEMA, MIGRATIONS)

    @classmethod
    def open(cls, home: str | Path | None = None) -> PanelRecords:
        return cls(home_dir(home) / FILE)

    def close(self) -> None:
        self.db.close()

    def start(self, engine: str, members: list[dict], title: str | None = None,
              as_of: str | None = None) -> int:
        """A new panel; ``members`` are dicts of kind, slug, name, disclosure, consent."""
        with self.lock, self.db:
            cur = self.db.execute("INSERT INTO panels (started_at, engine, title, as_of) VALUES (?, ?, ?, ?)",
                                  (now(), engine, title, as_of))
            panel_id = int(cur.lastrowid)
            self.db.executemany(
                "INSERT INTO panel_members (panel_id, position, kind, slug, name, disclosure, consent_json)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                [(panel_id, i, m["kind"], m.get("slug"), m["name"], m.get("disclosure"),
                  json.dumps(m.get("consent") or {}, ensure_ascii=False)) for i, m in enumerate(members)],
            )
        return panel_id

    def record(self, panel_id: int, exchange: int, round_no: int, kind: str, speaker: str, text: str,
               asked_at: str, answered_at: str, answer: dict | None = None,
               addressed: list[str] = (), responds_to: list[int] = ()) -> int:
        """Store one turn as soon as it is complete; returns its id."""
        with self.lock, self.db:
            cur = self.db.execute(
                "INSERT INTO panel_turns (panel_id, exchange, round, kind, speaker, addressed_json,"
                " responds_to_json, asked_at, answered_at, text, answer_json)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (panel_id, exchange, round_no, kind, speaker, json.dumps(list(addressed)),
                 json.dumps(list(responds_to)), asked_at, answered_at, text,
                 None if answer is None else json.dumps(answer, ensure_ascii=False)),
            )
        return int(cur.lastrowid)

    def get(self, panel_id: int) -> sqlite3.Row | None:
        with self.lock:
            return self.db.execute("SELECT * FROM panels WHERE id = ?", (panel_id,)).fetchone()

    def all(self) -> list[sqlite3.Row]:
        with self.lock:
            return self.db.execute(
                """SELECT p.*, COUNT(t.id) AS turns FROM panels p
                   LEFT JOIN panel_turns t ON t.panel_id = p.id GROUP BY p.id ORDER BY p.id"""
            ).fetchall()

    def members(self, panel_id: int) -> list[dict]:
        with self.lock:
            rows = self.db.execute("SELECT * FROM panel_members WHERE panel_id = ? ORDER BY position",
                                   (panel_id,)).fetchall()
        return [{"kind": r["kind"], "slug": r["slug"], "name": r["name"], "disclosure": r["disclosure"],
                 "consent": json.loads(r["consent_json"] or "{}")} for r in rows]

    def turns(self, panel_id: int) -> list[sqlite3.Row]:
        with self.lock:
            return self.db.execute("SELECT * FROM panel_turns WHERE panel_id = ? ORDER BY id",
                                   (panel_id,)).fetchall()
