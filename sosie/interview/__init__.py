"""Interviews: every exchange is written to SQLite as it happens; transcripts come back out."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from sosie.corpus.store import now
from sosie.engines.base import Answer, Engine
from sosie.errors import SosieError

if TYPE_CHECKING:
    from sosie.persona import Persona


class InterviewSession:
    """``session.ask(q)`` answers and stores the exchange before returning it."""

    def __init__(self, persona: Persona, engine: Engine, title: str | None = None):
        self.persona = persona
        self.engine = engine
        self.id = persona.store.start_interview(engine.name, title)
        self.history: list[tuple[str, str]] = []

    def ask(self, question: str, on_token=None) -> Answer:
        asked_at = now()
        answer = self.engine.answer(question, history=list(self.history), on_token=on_token)
        self.persona.store.record_exchange(self.id, asked_at, answer.question, answer.to_dict())
        if not answer.abstained:
            self.history.append((answer.question, answer.text))
        return answer


def transcript(persona: Persona, interview_id: int | None = None, fmt: str = "md") -> str:
    """The interview (default: the latest) as Markdown or JSON, disclosure and sources included."""
    interviews = persona.store.interviews()
    if not interviews:
        raise SosieError(
            f"persona {persona.slug!r} has no interviews yet; run: sosie interview {persona.slug}"
        )
    if interview_id is None:
        row = interviews[-1]
    else:
        matches = [r for r in interviews if r["id"] == interview_id]
        if not matches:
            ids = ", ".join(str(r["id"]) for r in interviews)
            raise SosieError(f"persona {persona.slug!r} has no interview {interview_id} (has: {ids})")
        row = matches[0]
    exchanges = [
        {"asked_at": e["asked_at"], "answered_at": e["answered_at"],
         "answer": Answer.from_dict(json.loads(e["answer_json"]))}
        for e in persona.store.exchanges(row["id"])
    ]
    config = persona.config
    if fmt == "json":
        return json.dumps(
            {
                "persona": persona.slug,
                "name": config.name,
                "disclosure": config.disclosure,
                "interview": row["id"],
                "started_at": row["started_at"],
                "engine": row["engine"],
                "exchanges": [
                    {"asked_at": e["asked_at"], "answered_at": e["answered_at"],
                     **e["answer"].to_dict()}
                    for e in exchanges
                ],
            },
            indent=2,
            ensure_ascii=False,
        )
    if fmt != "md":
        raise SosieError(f"unknown transcript format {fmt!r}; use md or json")
    out = [
        f"# Interview with a simulation of {config.name}",
        "",
        f"> {config.disclosure}",
        "",
        f"Interview {row['id']}, started {row['started_at']}, engine `{row['engine']}`.",
    ]
    for i, e in enumerate(exchanges, start=1):
        answer: Answer = e["answer"]
        out += ["", f"## {i}. {answer.question}", "", f"**Simulated {config.name}:** {answer.text}"]
        if answer.citations:
            out += [""]
            out += [
                f"- [{c.n}] `{c.source}` — {c.speaker}, {c.date or 'undated'}, {c.position}"
                for c in answer.citations
            ]
        if answer.support and answer.engine != "quote":  # quotes are verbatim by construction
            tags = ", ".join(f"{s['tag']}" for s in answer.support)
            out += ["", f"Support, sentence by sentence: {tags}."]
    return "\n".join(out) + "\n"
