"""The held-out split, seeded and stored in the workspace (tables ``eval_split``, ``eval_blocks``).

By source when two or more sources hold question/answer pairs: whole interviews are held out,
never single answers, since an answer's neighbours in the same interview would leak it.

Within one source when only one does (the usual start: one long interview or hearing):
contiguous blocks of exchanges are held out, each question with its answer, plus one guard
turn on either side (the answer before, the question after, which may quote it) that is hidden
but not scored. Held-out blocks are hidden from retrieval, question matching, the exemplars and
training like a held-out source. A block split is remade when its source changes.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from sosie.corpus.store import Store, now
from sosie.errors import SosieError

HELD_OUT_SHARE = 0.25  # of all question/answer pairs
BLOCK_EXCHANGES = 4  # question/answer pairs in one held-out block
GUARD_TURNS = 1  # turns hidden on either side of a block, never scored


@dataclass
class HeldOutPair:
    question: str
    answer: str
    source: str
    question_speaker: str


def _pair_counts(store: Store) -> dict[str, int]:
    return dict(store.db.execute(
        """SELECT s.path, COUNT(a.id) FROM sources s LEFT JOIN turns a
           ON a.source_id = s.id AND a.role = 'subject' AND a.question_turn_id IS NOT NULL
           GROUP BY s.path ORDER BY s.path"""
    ).fetchall())


def make_split(store: Store, seed: int = 0, share: float = HELD_OUT_SHARE) -> dict[str, str]:
    """Pick sources (seeded) until their Q/A pairs are ``share`` of all pairs, or blocks within
    the one source that has pairs; store the split."""
    counts = _pair_counts(store)
    with_pairs = sorted(p for p, n in counts.items() if n)
    if not with_pairs:
        raise SosieError("evaluation needs question/answer pairs (an interview, a hearing, a Q&A); "
                         "this persona has none")
    blocks: list[tuple[str, int, int, int, int]] = []
    if len(with_pairs) == 1:
        blocks = _pick_blocks(store, with_pairs[0], seed, share)
        held: list[str] = []
    else:
        rng = random.Random(seed)
        rng.shuffle(with_pairs)
        total = sum(counts.values())
        held, held_pairs = [], 0
        for path in with_pairs[:-1]:  # at least one interview stays on the training side
            if held_pairs >= share * total:
                break
            held.append(path)
            held_pairs += counts[path]
    sides = {path: ("test" if path in held else "train") for path in counts}
    sha = dict(store.db.execute("SELECT path, sha256 FROM sources").fetchall())
    with store.transaction() as db:
        db.execute("DELETE FROM eval_split")
        db.execute("DELETE FROM eval_blocks")
        db.executemany(
            "INSERT INTO eval_split (path, side, seed, created_at) VALUES (?, ?, ?, ?)",
            [(path, side, seed, now()) for path, side in sides.items()],
        )
        db.executemany(
            "INSERT INTO eval_blocks (path, sha256, first_seq, last_seq, hidden_first_seq, "
            "hidden_last_seq, seed) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [(path, sha[path], a, b, c, d, seed) for path, a, b, c, d in blocks],
        )
    return sides


def _pick_blocks(store: Store, path: str, seed: int, share: float) -> list[tuple[str, int, int, int, int]]:
    """Blocks of BLOCK_EXCHANGES consecutive exchanges: ``(path, first, last, hidden_first,
    hidden_last)`` turn seqs; at least one block stays on the training side."""
    exchanges = store.db.execute(
        """SELECT q.seq, a.seq FROM turns a JOIN turns q ON q.id = a.question_turn_id
           JOIN sources s ON s.id = a.source_id WHERE s.path = ? AND a.role = 'subject'
           ORDER BY a.seq""", (path,)).fetchall()
    chunks = [exchanges[i:i + BLOCK_EXCHANGES] for i in range(0, len(exchanges), BLOCK_EXCHANGES)]
    if len(chunks) < 2:
        raise SosieError(
            f"evaluation needs at least {BLOCK_EXCHANGES + 1} question/answer pairs to hold some "
            f"out; {path} has {len(exchanges)} (add another interview)")
    wanted = min(len(chunks) - 1, max(1, round(share * len(chunks))))
    # never two neighbouring blocks, so a guard is never a scored turn: every other chunk
    candidates = list(range(0, len(chunks), 2))
    rng = random.Random(seed)
    picked = sorted(rng.sample(candidates, min(wanted, len(candidates))))
    out = []
    for i in picked:
        first, last = chunks[i][0][0], chunks[i][-1][1]
        out.append((path, first, last, first - GUARD_TURNS, last + GUARD_TURNS))
    return out


def get_split(store: Store, seed: int = 0, resplit: bool = False) -> dict[str, str]:
    """The stored split (made on first use); sources added since count as training; a block
    split whose source has changed is made again."""
    rows = store.db.execute("SELECT path, side FROM eval_split").fetchall()
    stale = store.db.execute(
        """SELECT 1 FROM eval_blocks b LEFT JOIN sources s ON s.path = b.path
           WHERE s.sha256 IS NULL OR s.sha256 != b.sha256 LIMIT 1""").fetchone()
    if resplit or not rows or stale:
        return make_split(store, seed)
    sides = {path: side for path, side in rows}
    for (path,) in store.db.execute("SELECT path FROM sources"):
        sides.setdefault(path, "train")
    return sides


def _block_turns(store: Store, first: str, last: str) -> set[int]:
    return {r[0] for r in store.db.execute(
        f"""SELECT t.id FROM turns t JOIN sources s ON s.id = t.source_id
            JOIN eval_blocks b ON b.path = s.path AND t.seq BETWEEN b.{first} AND b.{last}""")}


def held_out_turns(store: Store) -> set[int]:
    """The turns a block split hides (guards included); none for a split by source."""
    return _block_turns(store, "hidden_first_seq", "hidden_last_seq")


def describe(store: Store, sides: dict[str, str]) -> str:
    """How the split was made, in one sentence, for the report."""
    blocks = store.db.execute("SELECT path, COUNT(*) FROM eval_blocks GROUP BY path").fetchall()
    if blocks:
        path, n = blocks[0]
        return (f"within one source ({path}): {n} block(s) of up to {BLOCK_EXCHANGES} consecutive "
                f"exchanges held out, with {GUARD_TURNS} hidden guard turn on either side")
    held = sorted(p for p, side in sides.items() if side == "test")
    return f"by source: {len(held)} whole source(s) held out ({', '.join(held)})"


def held_out_pairs(store: Store, sides: dict[str, str], min_words: int = 8) -> list[HeldOutPair]:
    """The held-out sources' pairs, or the held-out blocks' (their guards are not scored)."""
    test = {p for p, side in sides.items() if side == "test"}
    scored = _block_turns(store, "first_seq", "last_seq")
    rows = store.db.execute(
        """SELECT q.text AS question, a.text AS answer, s.path, q.speaker, a.id
           FROM turns a JOIN turns q ON q.id = a.question_turn_id JOIN sources s ON s.id = a.source_id
           WHERE a.role = 'subject' ORDER BY a.id""",
    ).fetchall()
    return [
        HeldOutPair(" ".join(r[0].split()), " ".join(r[1].split()), r[2], r[3])
        for r in rows
        if (r[2] in test or r[4] in scored) and len(r[1].split()) >= min_words
    ]


def time_split(store: Store, as_of: str, min_words: int = 8) -> tuple[dict[str, str], list[HeldOutPair]]:
    """A split by time: sources with anything dated up to ``as_of`` are what the double knows
    (``train``), and the person's answers dated after it are scored. Undated sources are on
    neither side (``undated``)."""
    sides = {path: ("undated" if first is None else "train" if first <= as_of else "test")
             for path, first in store.db.execute(
                 "SELECT s.path, MIN(p.date) FROM sources s LEFT JOIN passages p ON p.source_id = s.id"
                 " GROUP BY s.id")}
    rows = store.db.execute(
        """SELECT q.text, a.text, s.path, q.speaker FROM turns a JOIN turns q ON q.id = a.question_turn_id
           JOIN sources s ON s.id = a.source_id
           WHERE a.role = 'subject' AND a.date IS NOT NULL AND a.date > ? ORDER BY a.date, a.id""",
        (as_of,)).fetchall()
    pairs = [HeldOutPair(" ".join(q.split()), " ".join(a.split()), path, speaker)
             for q, a, path, speaker in rows if len(a.split()) >= min_words]
    for pair in pairs:  # a source dated across the date is scored, not known, after it
        sides[pair.source] = sides[pair.source] if sides[pair.source] == "train" else "test"
    return sides, pairs
