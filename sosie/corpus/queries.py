"""The reads of the corpus tables (``sources``, ``turns``, ``passages``): every SQL statement on
them lives in ``sosie.corpus`` (a test keeps it so), and the stages above ask :class:`Store`.

>>> store.passages([812])[812].path                                  # doctest: +SKIP
'/home/ada/interviews/2019-radio.txt'
>>> store.exchanges_of([40])                                          # doctest: +SKIP
{40: ('Why trains?', 'Because nobody on a plane talks.')}
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from sosie.corpus.text import add_sample


@dataclass
class PassageRow:
    id: int
    source_id: int
    turn_id: int
    text: str
    start: int
    end: int
    line_start: int
    line_end: int
    speaker: str
    date: str | None
    path: str
    sha256: str
    title: str | None
    question: str | None
    question_speaker: str | None
    locator: str | None = None
    origin: str | None = None  # the source's URL or provenance note, from its front matter
    also_in: list[str] = field(default_factory=list)  # sources of its near-duplicate copies
    opens_turn: bool = False  # the first passage of its turn: its first sentence opens an answer


class CorpusQueries:
    """Reads of the corpus, mixed into :class:`sosie.corpus.store.Store` (which gives ``db``,
    this thread's connection, and ``corpus_version``)."""

    db: sqlite3.Connection
    corpus_version: int

    # -- what ingestion compares against -----------------------------------------------------------
    def source_by_path(self, path: str) -> sqlite3.Row | None:
        return self.db.execute("SELECT * FROM sources WHERE path = ?", (path,)).fetchone()

    def source_by_sha(self, sha256: str) -> sqlite3.Row | None:
        return self.db.execute("SELECT * FROM sources WHERE sha256 = ?", (sha256,)).fetchone()

    def same_turns(self, source_id: int, turns: list[tuple[str, str, int, int]]) -> bool:
        """Are these ``(speaker, role, start, end)`` exactly the turns stored for the source?"""
        stored = self.db.execute("SELECT speaker, role, start, end FROM turns WHERE source_id = ?"
                                 " ORDER BY seq", (source_id,)).fetchall()
        return [tuple(row) for row in stored] == turns

    def subject_words(self, source_id: int) -> int:
        return sum(len(row[0].split()) for row in self.db.execute(
            "SELECT text FROM turns WHERE source_id = ? AND role = 'subject'", (source_id,)))

    def speakers_by_source(self) -> list[dict]:
        """Every speaker label seen per source: turns, words, two sample turns, whether it was
        the subject, and how sure the reader was of the source's speakers."""
        rows: dict[tuple, dict] = {}
        for path, kind, convention, confidence, evidence, speaker, role, text in self.db.execute(
            """SELECT s.path, s.kind, s.convention, s.confidence, s.evidence, t.speaker, t.role, t.text
               FROM turns t JOIN sources s ON s.id = t.source_id ORDER BY s.path, t.seq"""
        ):
            row = rows.setdefault((path, speaker, role), {
                "path": path, "kind": kind, "convention": convention, "confidence": confidence,
                "evidence": evidence, "speaker": speaker, "role": role, "turns": 0, "words": 0,
                "samples": []})
            row["turns"] += 1
            row["words"] += len(text.split())
            add_sample(row["samples"], text)
        return list(rows.values())

    # -- the corpus as the index and the engines read it ----------------------------------------
    def sources(self) -> list[sqlite3.Row]:
        return self.db.execute("SELECT * FROM sources ORDER BY path").fetchall()

    def all_passages(self) -> list[sqlite3.Row]:
        return self.db.execute("SELECT id, text FROM passages ORDER BY id").fetchall()

    def dated_until(self, as_of: str) -> dict:
        """What the record held on ``as_of`` (``YYYY-MM-DD``): the passages and answer turns
        dated up to then, and how many sources were left out as undated or later."""
        passages = [r[0] for r in self.db.execute(
            "SELECT id FROM passages WHERE date IS NOT NULL AND date <= ?", (as_of,))]
        answers = [r[0] for r in self.db.execute(
            "SELECT id FROM turns WHERE role = 'subject' AND date IS NOT NULL AND date <= ?", (as_of,))]
        # per source: its earliest dated passage (NULL: undated throughout)
        sources_in, undated, later, first = self.db.execute(
            """SELECT COUNT(CASE WHEN first <= ? THEN 1 END), COUNT(CASE WHEN first IS NULL THEN 1 END),
                      COUNT(CASE WHEN first > ? THEN 1 END), MIN(first)
               FROM (SELECT MIN(date) AS first FROM passages GROUP BY source_id)""",
            (as_of, as_of)).fetchone()
        return {"passage_ids": passages, "answer_turn_ids": answers, "sources": sources_in,
                "undated_sources": undated, "later_sources": later, "first_date": first}

    def qa_pairs(self) -> list[sqlite3.Row]:
        """Each subject turn that answers another speaker's turn: (question text, answer turn)."""
        return self.db.execute(
            """SELECT a.id AS answer_turn_id, q.text AS question, q.speaker AS question_speaker
               FROM turns a JOIN turns q ON q.id = a.question_turn_id
               WHERE a.role = 'subject' ORDER BY a.id"""
        ).fetchall()

    def passages(self, ids: list[int]) -> dict[int, PassageRow]:
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        rows = self.db.execute(
            f"""SELECT p.id, p.source_id, p.turn_id, p.text, p.start, p.end, p.line_start,
                       p.line_end, p.speaker, p.date, s.path, s.sha256, s.title,
                       q.text AS question, q.speaker AS question_speaker, p.locator, s.origin,
                       p.id = (SELECT MIN(x.id) FROM passages x WHERE x.turn_id = p.turn_id) AS opens_turn
                FROM passages p JOIN sources s ON s.id = p.source_id
                JOIN turns t ON t.id = p.turn_id
                LEFT JOIN turns q ON q.id = t.question_turn_id
                WHERE p.id IN ({marks})""",
            ids,
        ).fetchall()
        found = {row["id"]: PassageRow(**{**dict(row), "opens_turn": bool(row["opens_turn"])})
                 for row in rows}
        for canonical, path in self.db.execute(
            f"""SELECT d.canonical_id, s.path FROM passage_duplicates d
                JOIN passages p ON p.id = d.passage_id JOIN sources s ON s.id = p.source_id
                WHERE d.canonical_id IN ({marks}) ORDER BY p.id""",
            ids,
        ):
            if path not in found[canonical].also_in and path != found[canonical].path:
                found[canonical].also_in.append(path)
        return found

    def passage_ids_of_turns(self, turn_ids: list[int]) -> dict[int, list[int]]:
        if not turn_ids:
            return {}
        marks = ",".join("?" * len(turn_ids))
        out: dict[int, list[int]] = {t: [] for t in turn_ids}
        for row in self.db.execute(
            f"SELECT id, turn_id FROM passages WHERE turn_id IN ({marks}) ORDER BY turn_id, seq",
            turn_ids,
        ):
            out[row["turn_id"]].append(row["id"])
        return out

    def stats(self) -> dict:
        one = self.db.execute
        return {
            "sources": one("SELECT COUNT(*) FROM sources").fetchone()[0],
            "passages": one("SELECT COUNT(*) FROM passages").fetchone()[0],
            "subject_words": one("SELECT COALESCE(SUM(words), 0) FROM passages").fetchone()[0],
            "qa_pairs": one(
                "SELECT COUNT(*) FROM turns WHERE role='subject' AND question_turn_id IS NOT NULL"
            ).fetchone()[0],
            "other_turns": one("SELECT COUNT(*) FROM turns WHERE role='other'").fetchone()[0],
            "corpus_version": self.corpus_version,
        }

    # -- what the stages above the corpus read ---------------------------------------------------
    def turn_texts(self, role: str) -> list[str]:
        """The text of every turn of ``role`` ("subject" or "other"), in the order stored."""
        return [r[0] for r in self.db.execute("SELECT text FROM turns WHERE role = ? ORDER BY id", (role,))]

    def turns_in_order(self) -> list[tuple[int, str]]:
        """``(turn id, text)`` of every turn, whoever spoke, in the order stored (a within-source
        split hides the turns from one point on)."""
        return [(r[0], r[1]) for r in self.db.execute("SELECT id, text FROM turns ORDER BY id")]

    def passage_texts(self) -> list[str]:
        """The text of every passage, in the order stored."""
        return [r[0] for r in self.db.execute("SELECT text FROM passages ORDER BY id")]

    def passage_texts_of(self, paths: Sequence[str], until: str | None = None) -> list[str]:
        """The text of the passages of the sources at ``paths`` (dated up to ``until`` if given)."""
        marks = ",".join("?" * len(paths))
        return [r[0] for r in self.db.execute(
            f"SELECT p.text FROM passages p JOIN sources s ON s.id = p.source_id WHERE s.path IN ({marks})"
            + (" AND p.date <= ?" if until else ""), [*paths, *([until] if until else [])])]

    def passages_with_paths(self) -> Iterator[tuple[str, str | None, str]]:
        """``(text, date, source path)`` of every passage, in the order stored, read as iterated."""
        return self.db.execute(
            """SELECT p.text, p.date, s.path FROM passages p JOIN sources s ON s.id = p.source_id
               ORDER BY p.id"""
        )

    def first_passages(self, count: int, min_words: int) -> list[str]:
        """Up to ``count`` passages of at least ``min_words`` words, the earliest dated first."""
        return [r[0] for r in self.db.execute(
            "SELECT text FROM passages WHERE words >= ? ORDER BY date, id LIMIT ?", (min_words, count))]

    def passage_dates(self, ids: Sequence[int]) -> dict[int, str | None]:
        """Passage id -> its date (``None``: undated)."""
        if not ids:
            return {}
        return dict(self.db.execute(
            f"SELECT id, date FROM passages WHERE id IN ({','.join('?' * len(ids))})", list(ids)))

    def answered_questions(self) -> list[sqlite3.Row]:
        """The subject's answers to another speaker's question that has a question mark:
        ``answer``, ``question`` and the source's ``path`` and ``date``, in date order."""
        return self.db.execute(
            """SELECT a.text AS answer, q.text AS question, s.path, s.date
               FROM turns a JOIN turns q ON q.id = a.question_turn_id JOIN sources s ON s.id = a.source_id
               WHERE a.role = 'subject' AND q.text LIKE '%?%'
               ORDER BY s.date, s.path, a.seq"""
        ).fetchall()

    def exchanges_of(self, answer_turn_ids: Sequence[int]) -> dict[int, tuple[str, str]]:
        """Answer turn id -> ``(question, answer)``, for those of the turns that answer a question."""
        if not answer_turn_ids:
            return {}
        marks = ",".join("?" * len(answer_turn_ids))
        rows = self.db.execute(
            f"SELECT a.id, a.text AS answer, q.text AS question FROM turns a "
            f"JOIN turns q ON q.id = a.question_turn_id WHERE a.id IN ({marks})",
            list(answer_turn_ids),
        )
        return {r["id"]: (r["question"], r["answer"]) for r in rows}

    def subject_turns(self) -> list[sqlite3.Row]:
        """Every turn of the subject with its question, if any, and source, by source path and
        order: ``id, seq, answer, question_turn_id, question, qseq, path, sha256``."""
        return self.db.execute(
            """SELECT a.id, a.seq, a.text AS answer, a.question_turn_id, q.text AS question, q.seq AS qseq,
                      s.path, s.sha256
               FROM turns a JOIN sources s ON s.id = a.source_id
               LEFT JOIN turns q ON q.id = a.question_turn_id
               WHERE a.role = 'subject' ORDER BY s.path, a.seq"""
        ).fetchall()

    def ids_in_sources(self, paths: Sequence[str]) -> tuple[set[int], set[int]]:
        """The ids of the passages and of the turns of the sources at ``paths``."""
        marks = ",".join("?" * len(paths))
        passages = {r[0] for r in self.db.execute(
            f"SELECT p.id FROM passages p JOIN sources s ON s.id = p.source_id WHERE s.path IN ({marks})",
            list(paths))}
        turns = {r[0] for r in self.db.execute(
            f"SELECT t.id FROM turns t JOIN sources s ON s.id = t.source_id WHERE s.path IN ({marks})",
            list(paths))}
        return passages, turns

    def source_hashes(self, paths: Sequence[str]) -> list[tuple[str, str]]:
        """``(path, sha256)`` of the stored sources among ``paths``."""
        marks = ",".join("?" * len(paths))
        return [tuple(r) for r in self.db.execute(
            f"SELECT path, sha256 FROM sources WHERE path IN ({marks})", list(paths))]

    def source_meta(self, source_id: int) -> dict | None:
        """A source's metadata from its reader (``meta_json``); ``None``: no such source."""
        row = self.db.execute("SELECT meta_json FROM sources WHERE id = ?", (source_id,)).fetchone()
        return None if row is None else json.loads(row[0] or "{}")

    def first_added(self) -> str | None:
        """When the first source was added (ISO time), ``None`` with no sources."""
        return self.db.execute("SELECT MIN(added_at) FROM sources").fetchone()[0]
