"""The OpenAI chat-completions shape, mapped onto Sosie interviews.

OpenAI-style clients (the ``openai`` package, Open WebUI, SillyTavern) are stateless: every
request carries the whole conversation. Sosie stores interviews, so each request is matched to
the interview it continues by a hash of the conversation so far (``thread_key``); the hash of
the conversation *including* the answer is stored with the answer, ready for the next request.

Clients render only ``content``, so the citations, the disclosure and the model that produced the
answer are written into it, after a ``---`` line; the same facts travel, structured, in the extra
``sosie`` field, and ``system_fingerprint`` names the model behind the double.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass
from pathlib import PurePath

from sosie.corpus.text import one_line
from sosie.engines.base import Answer, as_of_note, model_label, model_note

MODEL_PREFIX = "sosie/"
FOOTER = "\n\n---\n"  # everything after it is Sosie's: sources and the disclosure
MODEL_ID = re.compile(r"^(?:sosie/)?([a-z0-9][a-z0-9_-]{0,63})(?::([a-z][a-z0-9_-]{0,31}))?$")


@dataclass(frozen=True)
class ModelId:
    slug: str
    engine: str | None  # None: the persona's default engine

    @classmethod
    def parse(cls, model: str) -> ModelId | None:
        """``sosie/ada``, ``sosie/ada:quote`` or plain ``ada``; None when it is none of these."""
        found = MODEL_ID.fullmatch(model.strip())
        return cls(found.group(1), found.group(2)) if found else None

    def __str__(self) -> str:
        return MODEL_PREFIX + self.slug + (f":{self.engine}" if self.engine else "")


def message_text(content: str | list | None) -> str:
    """A message's text: a string, or the text parts of a multi-part content list."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    # only text parts count; a part whose text is missing or null adds nothing (never a TypeError)
    return "\n".join(
        part["text"] for part in content
        if isinstance(part, dict) and part.get("type", "text") == "text" and isinstance(part.get("text"), str)
    )


def conversation(messages: list[dict]) -> list[tuple[str, str]]:
    """The user and assistant turns, as (role, text); system prompts are not the interview's."""
    return [(m["role"], message_text(m.get("content")).strip())
            for m in messages if m["role"] in ("user", "assistant")]


def thread_key(turns: list[tuple[str, str]]) -> str:
    canonical = json.dumps([[role, " ".join(text.split())] for role, text in turns], ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def history_from(turns: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """(question, answer) pairs from a client's own history, Sosie's footers removed."""
    pairs: list[tuple[str, str]] = []
    question: str | None = None
    for role, text in turns:
        if role == "user":
            question = text
        elif question is not None:
            pairs.append((question, text.split(FOOTER, 1)[0].strip()))
            question = None
    return pairs


def cite_line(citation) -> str:
    where = ", ".join(part for part in (citation.date or "undated", citation.position) if part)
    name = one_line(PurePath(citation.source).name)
    return f"[{citation.n}] {name} — {one_line(citation.speaker)}, {where}"


def render(answer: Answer) -> str:
    """What a chat client shows: the answer, its sources, and the disclosure, always."""
    lines = [f"_{as_of_note(answer.as_of)}_", ""] if answer.as_of else []
    if answer.citations:
        lines += ["Sources:", *(f"- {cite_line(c)}" for c in answer.citations), ""]
    lines += [f"_{answer.disclosure}_", f"_{model_note(answer.model)}_"]  # the model: small print under it
    return answer.text + FOOTER + "\n".join(lines)


def sosie_field(answer: Answer, interview_id: int, exchange: int) -> dict:
    """The structured extra that clients may ignore and Sosie-aware clients read."""
    return {
        "persona": answer.persona,
        "engine": answer.engine,
        "simulated": True,
        "disclosure": answer.disclosure,
        "abstained": answer.abstained,
        "interview": interview_id,
        "exchange": exchange,
        "text": answer.text,
        "citations": [asdict(c) | {"position": c.position} for c in answer.citations],
        "support": answer.support,
        "as_of": answer.as_of,
        "model": answer.model,  # what really produced the text (the API's "model" is the double)
        "model_label": model_label(answer.model),
    }


def fingerprint(answer: Answer) -> str | None:
    """OpenAI's ``system_fingerprint``, naming the model behind the double: ``backend:name:sha``
    (``None`` for an answer with no model: an abstention, or one stored before models were)."""
    model = answer.model or {}
    if model.get("role") in (None, "fixed"):
        return None
    return ":".join(str(part) for part in (model.get("backend") or "embedder", model.get("name"),
                                            model.get("sha256")) if part)


def estimate_tokens(text: str) -> int:
    return len(text) // 4 + 1
