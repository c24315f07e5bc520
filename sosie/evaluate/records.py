"""The evaluation's tables in ``sosie.db``: finished runs and the quiz's answers.

Their migrations are counted under the ``meta`` key ``schema.evaluate`` (see
:mod:`sosie.corpus.schema`); workspaces made before the split already hold the tables.
"""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING

from sosie.corpus.schema import Migration, migrate

if TYPE_CHECKING:
    from sosie.corpus.store import Store


def _e001_tables(db: sqlite3.Connection) -> None:
    db.execute(
        """CREATE TABLE IF NOT EXISTS eval_runs (
            id INTEGER PRIMARY KEY,
            started_at TEXT NOT NULL,
            finished_at TEXT,
            engines TEXT NOT NULL,
            report_dir TEXT NOT NULL,
            metrics_json TEXT
        )"""
    )
    db.execute(
        """CREATE TABLE IF NOT EXISTS quiz_answers (
            id INTEGER PRIMARY KEY,
            quiz_id TEXT NOT NULL,
            eval_run_id INTEGER NOT NULL,
            question TEXT NOT NULL,
            options_json TEXT NOT NULL,
            real_index INTEGER NOT NULL,
            picked INTEGER NOT NULL,
            correct INTEGER NOT NULL,
            answered_at TEXT NOT NULL
        )"""
    )


MIGRATIONS: list[Migration] = [_e001_tables]
SCHEMA = "schema.evaluate"


def evaluation_tables(store: Store) -> sqlite3.Connection:
    """The store's connection, with the evaluation's tables there and up to date."""
    migrate(store.db, SCHEMA, MIGRATIONS)
    return store.db
