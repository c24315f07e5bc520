"""The blind test for people: find the real answer among the doubles'.

Items come from an evaluation run (its ``answers.jsonl``): for a held-out question, the
person's real answer and k-1 engine answers, shuffled. Picks are stored in ``sosie.db``
(table ``quiz_answers``) and summarised against chance with a one-sided binomial test.
"""

from __future__ import annotations

import json
import random
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sosie.corpus.store import now
from sosie.errors import SosieError
from sosie.evaluate.records import evaluation_tables

if TYPE_CHECKING:
    from sosie.workspace import Workspace


@dataclass
class QuizItem:
    question: str
    options: list[dict]  # {"text", "by"}: by is "real" or an engine name
    real_index: int


def latest_run(workspace: Workspace, run_id: int | None = None) -> tuple[int, Path]:
    query = "SELECT id, report_dir FROM eval_runs WHERE finished_at IS NOT NULL"
    rows = evaluation_tables(workspace.store).execute(query + " ORDER BY id").fetchall()
    if run_id is not None:
        rows = [r for r in rows if r["id"] == run_id]
    if not rows:
        raise SosieError(f"no evaluation run to quiz on; run: sosie eval {workspace.slug}")
    folder = Path(rows[-1]["report_dir"])  # relative: inside the workspace (see protocol.stored_dir)
    return rows[-1]["id"], folder if folder.is_absolute() else workspace.workspace / folder


def quiz_items(
    workspace: Workspace, run_id: int | None = None, k: int = 3, seed: int | None = None
) -> tuple[int, list[QuizItem]]:
    run, folder = latest_run(workspace, run_id)
    answers = folder / "answers.jsonl"
    if not answers.is_file():
        raise SosieError(f"{answers}: missing; run sosie eval {workspace.slug} again")
    rng = random.Random(seed)
    items = []
    for line in answers.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        if "question" not in row:
            continue  # off-topic rows have no real answer
        doubles = [
            {"text": e["answer"]["text"], "by": name}
            for name, e in row["engines"].items()
            if not e["answer"]["abstained"] and e["answer"]["text"].strip()
        ]
        if not doubles:
            continue
        rng.shuffle(doubles)
        options = [{"text": row["real"], "by": "real"}] + doubles[: k - 1]
        rng.shuffle(options)
        real_index = next(i for i, o in enumerate(options) if o["by"] == "real")
        items.append(QuizItem(row["question"], options, real_index))
    rng.shuffle(items)
    if not items:
        raise SosieError("the evaluation run has no answered questions to quiz on")
    return run, items


def new_quiz_id() -> str:
    return uuid.uuid4().hex[:12]


def _shared(workspace: Workspace):
    """The server's PostgreSQL records, when the persona's interviews are kept there."""
    kept = getattr(workspace, "interviews", None)
    return kept if hasattr(kept, "record_quiz_pick") else None


def record_pick(workspace: Workspace, quiz_id: str, run_id: int, item: QuizItem, picked: int) -> bool:
    correct = picked == item.real_index
    if (shared := _shared(workspace)) is not None:
        shared.record_quiz_pick(quiz_id, run_id, item.question, item.options, item.real_index, picked)
        return correct
    evaluation_tables(workspace.store)
    with workspace.store.transaction() as db:
        db.execute(
            "INSERT INTO quiz_answers (quiz_id, eval_run_id, question, options_json, real_index,"
            " picked, correct, answered_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (quiz_id, run_id, item.question, json.dumps(item.options, ensure_ascii=False),
             item.real_index, picked, int(correct), now()),
        )
    return correct


def quiz_summary(workspace: Workspace, quiz_id: str | None = None) -> dict:
    """Accuracy against chance; ``quiz_id=None`` pools every quiz taken on this persona."""
    from scipy.stats import binomtest

    query = "SELECT options_json, correct FROM quiz_answers"
    shared = _shared(workspace)
    rows = shared.quiz_picks(quiz_id) if shared is not None else evaluation_tables(workspace.store).execute(
        query + (" WHERE quiz_id = ?" if quiz_id else ""), (quiz_id,) if quiz_id else ()
    ).fetchall()
    if not rows:
        return {"answered": 0, "correct": 0, "accuracy": None, "chance": None, "p_value": None}
    correct = sum(r["correct"] for r in rows)
    chance = sum(1 / len(json.loads(r["options_json"])) for r in rows) / len(rows)
    test = binomtest(correct, len(rows), chance, alternative="greater")
    return {"answered": len(rows), "correct": correct, "accuracy": correct / len(rows),
            "chance": chance, "p_value": float(test.pvalue)}
