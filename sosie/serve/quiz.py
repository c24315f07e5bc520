"""The blind quiz's API: a new quiz over the latest evaluation run, a pick, the score. Which
option is the real person's stays on the server; the quiz id carries the seed that rebuilds it."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query

from sosie.serve.schemas import ERRORS, NOT_JSON, QuizIdPath, QuizPick, SlugPath
from sosie.serve.state import ServedDep

router = APIRouter(prefix="/api/personas/{slug}/quiz", tags=["quiz"], responses=ERRORS)


@router.post("", status_code=201, responses=NOT_JSON)
def new_quiz(slug: SlugPath, served: ServedDep, k: Annotated[int, Query(ge=2, le=5)] = 3) -> dict:
    """A new quiz over the latest evaluation run; which option is real stays on the server."""
    from sosie.evaluate.quiz import quiz_items

    h = served.host(slug)
    seed = uuid.uuid4().hex[:12]
    with h.lock:
        run, items = quiz_items(h.persona, None, k, int(seed, 16))
    return {
        "quiz": f"{seed}-r{run}-k{k}",
        "run": run,
        "items": [{"item": i, "question": it.question, "options": [o["text"] for o in it.options]}
                  for i, it in enumerate(items)],
    }


@router.post("/{quiz_id}/answers", responses=NOT_JSON)
def quiz_answer(slug: SlugPath, quiz_id: QuizIdPath, body: QuizPick, served: ServedDep) -> dict:
    from sosie.evaluate.quiz import quiz_items, quiz_summary, record_pick

    h = served.host(slug)
    seed, run, k = quiz_id.split("-")
    with h.lock:
        _, items = quiz_items(h.persona, int(run[1:]), int(k[1:]), int(seed, 16))
        if body.item >= len(items):
            raise HTTPException(400, f"item: this quiz has items 0-{len(items) - 1}")
        item = items[body.item]
        if body.pick >= len(item.options):
            raise HTTPException(400, f"pick: this item has options 0-{len(item.options) - 1}")
        correct = record_pick(h.persona, quiz_id, int(run[1:]), item, body.pick)
        summary = quiz_summary(h.persona, quiz_id)
    return {"correct": correct, "real": item.real_index,
            "by": [o["by"] for o in item.options], "score": summary}


@router.get("/{quiz_id}")
def quiz_score(slug: SlugPath, quiz_id: QuizIdPath, served: ServedDep) -> dict:
    from sosie.evaluate.quiz import quiz_summary

    h = served.host(slug)
    with h.lock:
        return quiz_summary(h.persona, quiz_id)
