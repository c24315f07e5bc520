"""The held-out split, by source, seeded and stored in the workspace (table ``eval_split``).

Whole sources are held out, never single answers: an answer's neighbours in the same
interview would otherwise leak it. The training issue trains only on the ``train`` side.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from sosie.corpus.store import Store, now
from sosie.errors import SosieError

HELD_OUT_SHARE = 0.25  # of all question/answer pairs


@dataclass
class HeldOutPair:
    question: str
    answer: str
    source: str
    question_speaker: str


def make_split(store: Store, seed: int = 0, share: float = HELD_OUT_SHARE) -> dict[str, str]:
    """Pick sources (seeded) until their Q/A pairs are ``share`` of all pairs; store the split."""
    counts = dict(store.db.execute(
        """SELECT s.path, COUNT(a.id) FROM sources s LEFT JOIN turns a
           ON a.source_id = s.id AND a.role = 'subject' AND a.question_turn_id IS NOT NULL
           GROUP BY s.path ORDER BY s.path"""
    ).fetchall())
    with_pairs = sorted(p for p, n in counts.items() if n)
    if len(with_pairs) < 2:
        raise SosieError(
            "evaluation needs question/answer pairs from at least two sources (interviews); "
            f"this persona has them in {len(with_pairs)}"
        )
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
    with store.transaction() as db:
        db.execute("DELETE FROM eval_split")
        db.executemany(
            "INSERT INTO eval_split (path, side, seed, created_at) VALUES (?, ?, ?, ?)",
            [(path, side, seed, now()) for path, side in sides.items()],
        )
    return sides


def get_split(store: Store, seed: int = 0, resplit: bool = False) -> dict[str, str]:
    """The stored split (made on first use); sources added since count as training."""
    rows = store.db.execute("SELECT path, side FROM eval_split").fetchall()
    if resplit or not rows:
        return make_split(store, seed)
    sides = {path: side for path, side in rows}
    for (path,) in store.db.execute("SELECT path FROM sources"):
        sides.setdefault(path, "train")
    return sides


def held_out_pairs(store: Store, sides: dict[str, str], min_words: int = 8) -> list[HeldOutPair]:
    test = [p for p, side in sides.items() if side == "test"]
    marks = ",".join("?" * len(test))
    rows = store.db.execute(
        f"""SELECT q.text AS question, a.text AS answer, s.path, q.speaker
            FROM turns a JOIN turns q ON q.id = a.question_turn_id JOIN sources s ON s.id = a.source_id
            WHERE a.role = 'subject' AND s.path IN ({marks}) ORDER BY a.id""",
        test,
    ).fetchall()
    return [
        HeldOutPair(" ".join(r[0].split()), " ".join(r[1].split()), r[2], r[3])
        for r in rows
        if len(r[1].split()) >= min_words
    ]
