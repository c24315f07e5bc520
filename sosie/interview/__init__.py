"""Interviews: every exchange is written to SQLite as it happens; transcripts come back out."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING

from sosie.corpus.store import now
from sosie.corpus.text import one_line
from sosie.engines.base import Answer, Engine, as_of_note, engine_for, model_note
from sosie.errors import SosieError
from sosie.interview.records import interview_records

if TYPE_CHECKING:
    from sosie.workspace import Workspace


class InterviewSession:
    """``session.ask(q)`` answers and stores the exchange before returning it.

    Nothing lives only in memory: :meth:`resume` rebuilds a session from ``sosie.db``, so a
    server that restarts (or crashes) carries on every interview where it was.
    """

    def __init__(
        self, workspace: Workspace, engine: Engine, title: str | None = None, interview_id: int | None = None
    ):
        self.workspace = workspace
        self.engine = engine
        self.history: list[tuple[str, str]] = []
        self.exchanges = 0  # stored exchanges, abstentions included
        if interview_id is None:
            as_of = getattr(engine, "as_of", None)  # remembered: resuming goes on as of that date
            self.id = interview_records(workspace).start(engine.name, title, as_of)
        else:
            self.id = interview_id
            for row in interview_records(workspace).exchanges(interview_id):
                self.exchanges += 1
                answer = json.loads(row["answer_json"])
                if not answer.get("abstained"):
                    self.history.append((row["question"], answer["text"]))

    @classmethod
    def resume(cls, workspace: Workspace, interview_id: int, **options) -> InterviewSession:
        """The stored interview ``interview_id``, with its engine and history, ready to go on."""
        row = interview_records(workspace).get(interview_id)
        if row is None:
            raise SosieError(f"persona {workspace.slug!r} has no interview {interview_id}")
        if row["as_of"]:  # an as-of interview goes on as of the same date
            options = {**options, "as_of": row["as_of"]}
        return cls(workspace, engine_for(workspace, row["engine"], **options), interview_id=interview_id)

    def ask(
        self, question: str, on_token=None, thread_key: Callable[[Answer], str] | None = None
    ) -> Answer:
        """``thread_key(answer)``, if given, names the conversation so far for chat clients."""
        asked_at = now()
        answer = self.engine.answer(question, history=list(self.history), on_token=on_token)
        interview_records(self.workspace).record(
            self.id, asked_at, answer.question, answer.to_dict(),
            thread_key=thread_key(answer) if thread_key else None,
        )
        self.exchanges += 1
        if not answer.abstained:
            self.history.append((answer.question, answer.text))
        return answer


def transcript(workspace: Workspace, interview_id: int | None = None, fmt: str = "md") -> str:
    """The interview (default: the latest) as Markdown or JSON, disclosure and sources included."""
    interviews = interview_records(workspace).all()
    if not interviews:
        raise SosieError(
            f"persona {workspace.slug!r} has no interviews yet; run: sosie interview {workspace.slug}"
        )
    if interview_id is None:
        row = interviews[-1]
    else:
        matches = [r for r in interviews if r["id"] == interview_id]
        if not matches:
            ids = ", ".join(str(r["id"]) for r in interviews)
            raise SosieError(f"persona {workspace.slug!r} has no interview {interview_id} (has: {ids})")
        row = matches[0]
    exchanges = [
        {"asked_at": e["asked_at"], "answered_at": e["answered_at"],
         "answer": Answer.from_dict(json.loads(e["answer_json"]))}
        for e in interview_records(workspace).exchanges(row["id"])
    ]
    config = workspace.config
    if fmt == "json":
        return json.dumps(
            {
                "persona": workspace.slug,
                "name": config.name,
                "disclosure": config.disclosure,
                "consent": {"status": config.consent, "note": config.consent_note,
                            "fictional": config.fictional},
                "interview": row["id"],
                "started_at": row["started_at"],
                "engine": row["engine"],
                "as_of": row["as_of"],
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
        f"Consent: {config.consent}" + (f" ({config.consent_note})" if config.consent_note else "") + ".",
        "",
        f"Interview {row['id']}, started {row['started_at']}, engine `{row['engine']}`"
        + (f", as of {row['as_of']} (only sources dated up to then)." if row["as_of"] else "."),
    ]
    for i, e in enumerate(exchanges, start=1):
        answer: Answer = e["answer"]
        out += ["", f"## {i}. {answer.question}", "", f"**Simulated {config.name}:** {answer.text}"]
        out += answer_notes(answer)
    return "\n".join(out) + "\n"


def answer_notes(answer: Answer) -> list[str]:
    """The Markdown lines under an answer: the model that produced it, its sources, its support,
    its date, its repairs."""
    out: list[str] = ["", f"_{model_note(answer.model)}_"]
    if answer.citations:
        out += [""]
        out += [
            f"- [{c.n}] `{one_line(c.source)}` — {one_line(c.speaker)}, {c.date or 'undated'}, {c.position}"
            + (f" — [watch at {c.locator}]({c.link})" if c.link else "")
            for c in answer.citations
        ]
    if answer.support and answer.engine != "quote":  # quotes are verbatim by construction
        tags = ", ".join(f"{s['tag']}" for s in answer.support)
        out += ["", f"Support, sentence by sentence: {tags}."]
    if answer.as_of:  # what an as-of answer was drawn from, and what it left out
        out += ["", f"_{as_of_note(answer.as_of)}_"]
    if answer.repairs:  # what the grounding check changed in the model's answer
        counts: dict[str, int] = {}
        for change in answer.repairs:
            counts[change["action"]] = counts.get(change["action"], 0) + 1
        done = ", ".join(f"{action} {n}" for action, n in counts.items())
        out += ["", f"Checked in `{answer.grounding}` mode; sentences {done}."]
    return out
