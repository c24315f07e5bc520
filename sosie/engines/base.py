"""What every engine returns, and how engines are found by name.

An engine answers one question for one persona; the answer always carries the disclosure,
and every sentence that quotes the person carries a citation ``[n]``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Protocol

from sosie.corpus.labels import moment_link
from sosie.errors import SosieError

if TYPE_CHECKING:
    from sosie.corpus.store import PassageRow
    from sosie.persona import Persona


def tidy(text: str) -> str:
    return " ".join(text.split())


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
    locator: str | None = None  # "page 3" or "00:12:31" for PDFs and subtitles
    also_in: list[str] = field(default_factory=list)  # other sources with a near-identical passage
    link: str | None = None  # the cited moment of a video page (a t= link), when the source has one

    @classmethod
    def from_passage(cls, n: int, row: PassageRow) -> Citation:
        return cls(
            n=n, passage_id=row.id, source=row.path, title=row.title, speaker=row.speaker,
            date=row.date, start=row.start, end=row.end, line_start=row.line_start,
            line_end=row.line_end, sha256=row.sha256, text=tidy(row.text),
            question=tidy(row.question) if row.question else None,
            locator=row.locator,
            also_in=list(row.also_in),
            link=moment_link(row.origin, row.locator),
        )

    @property
    def position(self) -> str:
        lines = (
            f"line {self.line_start}"
            if self.line_start == self.line_end
            else f"lines {self.line_start}-{self.line_end}"
        )
        where = f"{lines}, chars {self.start}-{self.end}"
        return f"{self.locator}, {where}" if self.locator else where


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
    # generative engines: one entry per sentence, {"sentence", "tag", "citations", "similarity"}
    # with tag "verbatim", "supported" or "extrapolated"
    support: list[dict] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> Answer:
        data = dict(data)
        data["citations"] = [Citation(**c) for c in data.get("citations", [])]
        return cls(**data)


def abstention(persona: Persona, question: str, engine: str) -> Answer:
    """What every engine says when the corpus has nothing on the question."""
    return Answer(
        question=question,
        text=(
            f"Nothing in {persona.config.name}'s recorded words covers this question, "
            "so this double will not guess."
        ),
        persona=persona.slug,
        engine=engine,
        disclosure=persona.config.disclosure,
        abstained=True,
    )


History = list[tuple[str, str]]  # earlier (question, answer text) turns of this interview
TokenCallback = Callable[[str], None]


class Engine(Protocol):
    """One method: answer a question for the persona the engine was made for.

    ``history`` holds the interview so far; ``on_token`` receives text as it is produced.
    """

    name: str

    def answer(
        self, question: str, history: History = (), on_token: TokenCallback | None = None
    ) -> Answer: ...


ENGINES: dict[str, type] = {}


def register(cls: type) -> type:
    ENGINES[cls.name] = cls
    return cls


def engine_names() -> list[str]:
    """Every registered engine: the built-in ones and any a user registered."""
    import sosie.engines.baseline  # noqa: F401  (registers the built-in engines)
    import sosie.engines.finetuned  # noqa: F401
    import sosie.engines.generative  # noqa: F401
    import sosie.engines.quote  # noqa: F401

    return sorted(ENGINES)


def engine_available(name: str, persona: Persona) -> bool:
    """Whether the persona can use this engine now (the fine-tuned one needs a trained adapter)."""
    check = getattr(ENGINES.get(name), "available", None)
    return check(persona) if check else name in ENGINES


def make_engine(name: str, persona: Persona, **options) -> Engine:
    if name not in engine_names():
        raise SosieError(f"unknown engine {name!r}; available: {', '.join(sorted(ENGINES))}")
    return ENGINES[name](persona, **options)
