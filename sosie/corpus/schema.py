"""Schema migrations as lists of small functions, one list per stage that owns tables.

The corpus store counts its migrations in ``PRAGMA user_version``; every other stage (the
interviews, the evaluation) counts its own under a key of the ``meta`` table, so each stage
changes only its own tables and an old workspace upgrades itself on open.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

Migration = Callable[[sqlite3.Connection], None]


def migrate(db: sqlite3.Connection, key: str, migrations: list[Migration]) -> None:
    """Run the migrations of ``key`` not yet applied, each in its own transaction."""
    row = db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    done = int(row[0]) if row else 0
    for number, migration in enumerate(migrations[done:], start=done + 1):
        with db:
            migration(db)
            db.execute("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE"
                       " SET value = excluded.value", (key, str(number)))
