"""The persona's SQLite store (``sosie.db``): sources, speaker turns, passages, interviews;
its reads of the corpus are in :mod:`sosie.corpus.queries`.

Schema changes are a list of small migration functions keyed by ``PRAGMA user_version``,
so an old workspace upgrades itself on open.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from sosie.corpus.queries import CorpusQueries


def _m001_initial(db: sqlite3.Connection) -> None:
    db.executescript(
        """
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        INSERT INTO meta VALUES ('corpus_version', '0');
        CREATE TABLE sources (
            id INTEGER PRIMARY KEY,
            path TEXT NOT NULL UNIQUE,
            sha256 TEXT NOT NULL,
            size INTEGER NOT NULL,
            kind TEXT NOT NULL,
            title TEXT,
            date TEXT,
            origin TEXT,
            meta_json TEXT NOT NULL DEFAULT '{}',
            added_at TEXT NOT NULL
        );
        CREATE INDEX sources_sha ON sources(sha256);
        CREATE TABLE turns (
            id INTEGER PRIMARY KEY,
            source_id INTEGER NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
            seq INTEGER NOT NULL,
            speaker TEXT NOT NULL,
            role TEXT NOT NULL CHECK (role IN ('subject', 'other')),
            text TEXT NOT NULL,
            start INTEGER NOT NULL,
            end INTEGER NOT NULL,
            line_start INTEGER NOT NULL,
            line_end INTEGER NOT NULL,
            date TEXT,
            question_turn_id INTEGER REFERENCES turns(id) ON DELETE SET NULL
        );
        CREATE INDEX turns_source ON turns(source_id);
        CREATE TABLE passages (
            id INTEGER PRIMARY KEY,
            source_id INTEGER NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
            turn_id INTEGER NOT NULL REFERENCES turns(id) ON DELETE CASCADE,
            seq INTEGER NOT NULL,
            text TEXT NOT NULL,
            start INTEGER NOT NULL,
            end INTEGER NOT NULL,
            line_start INTEGER NOT NULL,
            line_end INTEGER NOT NULL,
            speaker TEXT NOT NULL,
            date TEXT,
            words INTEGER NOT NULL
        );
        CREATE INDEX passages_turn ON passages(turn_id);
        """
    )
    # the interviews and exchanges tables were created here once; they now belong to
    # sosie.interview.records, which creates them where they are missing


def _m002_evaluation(db: sqlite3.Connection) -> None:
    # the held-out split (sosie.corpus.split); the evaluation's own tables (eval_runs,
    # quiz_answers), once created here too, belong to sosie.evaluate.records
    db.executescript(
        """
        CREATE TABLE eval_split (
            path TEXT PRIMARY KEY,
            side TEXT NOT NULL CHECK (side IN ('train', 'test')),
            seed INTEGER NOT NULL,
            created_at TEXT NOT NULL
        );
        """
    )


def _m003_extracted_formats(db: sqlite3.Connection) -> None:
    db.executescript(
        """
        ALTER TABLE sources ADD COLUMN text TEXT;      -- extracted text (PDF, subtitles, ...)
        ALTER TABLE passages ADD COLUMN locator TEXT;  -- "page 3", "00:12:31"
        """
    )


def _m004_near_duplicates(db: sqlite3.Connection) -> None:
    db.executescript(
        """
        CREATE TABLE passage_duplicates (
            passage_id INTEGER PRIMARY KEY REFERENCES passages(id) ON DELETE CASCADE,
            canonical_id INTEGER NOT NULL REFERENCES passages(id) ON DELETE CASCADE
        );
        """
    )


def _m005_chat_threads(db: sqlite3.Connection) -> None:
    """Once: the interviews' thread_key column, now added by sosie.interview.records."""


def _m006_licences(db: sqlite3.Connection) -> None:
    # each source's licence (front matter `licence:` or `sosie add --licence`); NULL = not stated
    db.execute("ALTER TABLE sources ADD COLUMN licence TEXT")


def _m007_speakers(db: sqlite3.Connection) -> None:
    # the transcript convention each source was read in, and what the user said about who is
    # who (`sosie add --speaker LABEL=Name`, `--single-speaker`), remembered per source path so
    # re-adding a changed file reads it the same way
    db.executescript(
        """
        ALTER TABLE sources ADD COLUMN convention TEXT;
        CREATE TABLE source_settings (
            path TEXT PRIMARY KEY,
            speakers_json TEXT NOT NULL DEFAULT '{}',
            single_speaker INTEGER NOT NULL DEFAULT 0
        );
        """
    )


def _m008_eval_blocks(db: sqlite3.Connection) -> None:
    # a split within one source (sosie.corpus.split): turn seq ranges, scored and hidden
    db.executescript(
        """
        CREATE TABLE eval_blocks (
            path TEXT NOT NULL,
            sha256 TEXT NOT NULL,
            first_seq INTEGER NOT NULL,
            last_seq INTEGER NOT NULL,
            hidden_first_seq INTEGER NOT NULL,
            hidden_last_seq INTEGER NOT NULL,
            seed INTEGER NOT NULL
        );
        """
    )


def _m009_recordings(db: sqlite3.Connection) -> None:
    # how a recording was read (speech model, --num-speakers, --voice-sample), remembered like
    # its --speaker map: re-adding it unchanged is a no-op, with other options a re-read
    db.execute("ALTER TABLE source_settings ADD COLUMN reading_json TEXT NOT NULL DEFAULT '{}'")


def _m010_reader(db: sqlite3.Connection) -> None:
    # how sure the reader was of whose words are whose, why, and which reader it was: a source
    # read by an older reader is read again by `sosie add`, and replaced if it reads differently
    db.executescript(
        """
        ALTER TABLE sources ADD COLUMN confidence REAL;
        ALTER TABLE sources ADD COLUMN evidence TEXT;
        ALTER TABLE sources ADD COLUMN reader TEXT;
        """
    )


MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [
    _m001_initial, _m002_evaluation, _m003_extracted_formats, _m004_near_duplicates,
    _m005_chat_threads, _m006_licences, _m007_speakers, _m008_eval_blocks, _m009_recordings,
    _m010_reader,
]


def now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


class Store(CorpusQueries):
    """A thin, typed layer over ``sosie.db``: one connection per thread, WAL mode.

    Readers on different threads (a server's workers) run at once, each on its own connection,
    and see the last committed state; writes in this process take :attr:`writer` first, so two
    never contend for SQLite's write lock (other processes wait for it, up to 30 s).
    """

    def __init__(self, path: Path):
        self.path = path
        if not path.exists():  # a person's words and interviews: readable by the owner only
            path.touch(mode=0o600)
        self.writer = threading.RLock()
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._opened = threading.Lock()
        self._migrate()

    @property
    def db(self) -> sqlite3.Connection:
        """This thread's connection, opened on first use."""
        db = getattr(self._local, "db", None)
        if db is None:
            # check_same_thread=False only so that close() can close every thread's connection
            db = sqlite3.connect(self.path, timeout=30, check_same_thread=False)
            db.row_factory = sqlite3.Row
            db.execute("PRAGMA foreign_keys = ON")
            db.execute("PRAGMA journal_mode = WAL")
            db.execute("PRAGMA synchronous = NORMAL")
            with self._opened:
                self._connections.append(db)
            self._local.db = db
        return db

    def _migrate(self) -> None:
        version = self.db.execute("PRAGMA user_version").fetchone()[0]
        for number, migration in enumerate(MIGRATIONS[version:], start=version + 1):
            with self.writer, self.db:
                migration(self.db)
                self.db.execute(f"PRAGMA user_version = {number}")

    def close(self) -> None:
        with self._opened:
            for db in self._connections:
                db.close()
            self._connections.clear()
        self._local = threading.local()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """All-or-nothing: a failure (or a kill) midway leaves the store as it was."""
        with self.writer, self.db:
            yield self.db

    # -- corpus -----------------------------------------------------------------------------
    @property
    def corpus_version(self) -> int:
        row = self.db.execute("SELECT value FROM meta WHERE key = 'corpus_version'").fetchone()
        return int(row[0])

    def bump_corpus_version(self, db: sqlite3.Connection) -> None:
        db.execute(
            "UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'corpus_version'"
        )

    def source_settings(self, path: str) -> tuple[dict[str, str], bool, dict]:
        """``(speaker mapping, single_speaker, reading)`` remembered for the source at ``path``;
        ``reading`` is how a recording was read (:class:`sosie.corpus.audio.Listening`)."""
        row = self.db.execute(
            "SELECT speakers_json, single_speaker, reading_json FROM source_settings WHERE path = ?",
            (path,),
        ).fetchone()
        return (json.loads(row[0]), bool(row[1]), json.loads(row[2])) if row else ({}, False, {})

    def remember_settings(self, db: sqlite3.Connection, path: str, speakers: dict[str, str],
                          single_speaker: bool, reading: dict) -> None:
        db.execute(
            "INSERT INTO source_settings VALUES (?, ?, ?, ?) ON CONFLICT(path) DO UPDATE SET"
            " speakers_json = excluded.speakers_json, single_speaker = excluded.single_speaker,"
            " reading_json = excluded.reading_json",
            (path, json.dumps(speakers, ensure_ascii=False, sort_keys=True), int(single_speaker),
             json.dumps(reading, sort_keys=True)),
        )

    def mark_read(self, source_id: int, reader: str, confidence: float, evidence: str) -> None:
        """A source the current reader reads exactly as it was stored: only its stamp changes."""
        with self.transaction() as db:
            db.execute("UPDATE sources SET reader = ?, confidence = ?, evidence = ? WHERE id = ?",
                       (reader, confidence, evidence, source_id))

    def set_duplicates(self, duplicates: dict[int, int]) -> None:
        with self.transaction() as db:
            db.execute("DELETE FROM passage_duplicates")
            db.executemany("INSERT INTO passage_duplicates VALUES (?, ?)", duplicates.items())

