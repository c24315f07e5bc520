"""What every engine returns, and how engines are found by name.

An engine answers one question for one persona; the answer always carries the disclosure,
and every sentence that quotes the person carries a citation ``[n]``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Protocol

from sosie.errors import SosieError

if TYPE_CHECKING:
    from sosie.persona import Persona


@dataclass
class Citation:
    n: int
    passage_id: int
    source: str  # absolute path of the source file
    title: str | None
    speaker: str
    date: str | None
    start: int  # character offsets into the source file's text: text[start:end] is the passage
    end: int
    line_start: int
    line_end: int
    sha256: str
    text: str
    question: str | None = None  # the real question this passage answered, if any

    @property
    def position(self) -> str:
        lines = (
            f"line {self.line_start}"
            if self.line_start == self.line_end
            else f"lines {self.line_start}-{self.line_end}"
        )
        return f"{lines}, chars {self.start}-{self.end}"


@dataclass
class Answer:
    question: str
    text: str
    persona: str
    engine: str
    disclosure: str
    abstained: bool = False
    citations: list[Citation] = field(default_factory=list)
    simulated: bool = True  # always: an answer is never the person

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> Answer:
        data = dict(data)
        data["citations"] = [Citation(**c) for c in data.get("citations", [])]
        return cls(**data)

    def to_markdown(self) -> str:
        lines = [f"> {self.disclosure}", "", self.text]
        if self.citations:
            lines += ["", "Sources:"]
            lines += [
                f"[{c.n}] {c.source} — {c.speaker}, {c.date or 'undated'}, {c.position}"
                for c in self.citations
            ]
        return "\n".join(lines)


class Engine(Protocol):
    """One method: answer a question for the persona the engine was made for."""

    name: str

    def answer(self, question: str) -> Answer: ...


ENGINES: dict[str, type] = {}


def register(cls: type) -> type:
    ENGINES[cls.name] = cls
    return cls


def make_engine(name: str, persona: Persona) -> Engine:
    import sosie.engines.quote  # noqa: F401  (registers the built-in engines)

    if name not in ENGINES:
        raise SosieError(f"unknown engine {name!r}; available: {', '.join(sorted(ENGINES))}")
    return ENGINES[name](persona)
