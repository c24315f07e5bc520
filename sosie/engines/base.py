"""What every engine returns, and how engines are found by name.

An engine answers one question for one persona; the answer always carries the disclosure,
and every sentence that quotes the person carries a citation ``[n]``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, NotRequired, Protocol, TypedDict

from sosie import registry
from sosie.corpus.labels import moment_link

if TYPE_CHECKING:
    from sosie.config import GenerativeSettings
    from sosie.corpus.queries import PassageRow
    from sosie.workspace import Workspace


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


class Support(TypedDict):
    """What backs one sentence of an answer (``Answer.support``, as stored and sent in JSON)."""

    sentence: str
    # "verbatim", "supported", "extrapolated", "declined" (the record is silent) or "note"
    # (Sosie's words: a part of the question the record does not cover)
    tag: str
    citations: list[int]  # the answer's citation numbers
    similarity: float  # cosine to the closest source sentence (1.0 verbatim, 0.0 none)
    repair: NotRequired[str]  # "replaced" or "regenerated", when the check changed it


class Repair(TypedDict):
    """What the check changed in a generated answer (``Answer.repairs``)."""

    sentence: str
    action: str  # dropped, replaced, regenerated, restyled, added or fallback
    by: NotRequired[str]  # what took its place
    why: NotRequired[str]


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
    support: list[Support] = field(default_factory=list)  # one entry per sentence
    grounding: str | None = None  # the generative engines' mode: strict, balanced or free
    repairs: list[Repair] = field(default_factory=list)
    # answered "as of" a date: {"as_of", "sources", "undated_sources", "later_sources",
    # "first_date"}; only sources dated up to as_of were used, and the counts say what was left out
    as_of: dict | None = None
    # what produced the text: {"backend", "name", "file", "sha256", "role"} (see model_label);
    # None in answers stored before Sosie recorded it
    model: dict | None = None

    def to_dict(self) -> dict:
        """The answer as JSON, with ``model_label``: the model line every interface shows."""
        return {**asdict(self), "model_label": model_label(self.model)}

    @classmethod
    def from_dict(cls, data: dict) -> Answer:
        data = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}  # not model_label
        data["citations"] = [Citation(**c) for c in data.get("citations", [])]
        return cls(**data)


# what an abstention is made by: Sosie's own fixed words, no model
FIXED = {"backend": None, "name": "Sosie", "file": None, "sha256": None, "role": "fixed"}


def model_label(model: dict | None, detail: bool = True) -> str:
    """One short line naming what produced an answer, for every interface and export (``detail``
    False: without the backend and sha256, for reading aloud).

    >>> model_label({"backend": "llamacpp", "name": "Qwen2.5-1.5B-Instruct, Q4_K_M GGUF",
    ...              "file": "qwen.gguf", "sha256": "cc324af070c2", "role": "wrote"})
    'written by Qwen2.5-1.5B-Instruct, Q4_K_M GGUF (llamacpp, sha256 cc324af070c2)'
    >>> model_label({"backend": "llamacpp", "name": "Qwen2.5-1.5B-Instruct, Q4_K_M GGUF",
    ...              "file": "qwen.gguf", "sha256": "cc324af070c2", "role": "chose"}, detail=False)
    "chosen by Qwen2.5-1.5B-Instruct, Q4_K_M GGUF from the person's own sentences"
    >>> model_label({"backend": None, "name": "all-MiniLM-L6-v2", "file": None,
    ...              "sha256": "53aa51172d14", "role": "chose"})
    "the person's own sentences, chosen by all-MiniLM-L6-v2 (no language model wrote them)"
    >>> model_label(FIXED)
    "Sosie's fixed reply (no model)"
    >>> model_label(None)
    'model not recorded (answered before Sosie recorded models)'
    """
    if not model:
        return "model not recorded (answered before Sosie recorded models)"
    role = model.get("role")
    if role == "fixed":
        return "Sosie's fixed reply (no model)"
    name = model.get("name") or "an unnamed model"
    adapter = model.get("adapter") or {}
    if adapter:  # a fine-tuned model: the base and the adapter trained on the person's words
        name += f" with {adapter.get('name') or 'a LoRA adapter'}"
    if not model.get("backend"):  # no language model: the embedder chose the person's sentences
        why = "no language model wrote them"
        instead = model.get("instead_of")
        if instead:  # the language model's answer was set aside for these sentences
            why += f"; {instead.get('name') or 'the model'}'s answer was set aside"
        return f"the person's own sentences, chosen by {name} ({why})"
    details = [model["backend"] + (f" at {model['base_url']}" if model.get("base_url") else "")]
    details += [f"sha256 {model['sha256']}"] if model.get("sha256") else []
    details += [f"adapter sha256 {adapter['sha256']}"] if adapter.get("sha256") else []
    by = f"{name} ({', '.join(details)})" if detail else name
    return f"chosen by {by} from the person's own sentences" if role == "chose" else f"written by {by}"


def model_note(model: dict | None, detail: bool = True) -> str:
    """:func:`model_label` as a sentence: ``"Written by ... ."``.

    >>> model_note(None)
    'Model not recorded (answered before Sosie recorded models).'
    """
    label = model_label(model, detail)
    return label[0].upper() + label[1:] + "."


def chosen_by_embedder(**more) -> dict:
    """What produced the person's sentences when no language model did: the embedding model that
    chose them (the quote engine; ``more``: ``instead_of``, a language model's answer set aside)."""
    from sosie.index.embedder import identity

    return {"backend": None, **identity(), "role": "chose", **more}


def backend_model(backend, role: str) -> dict:
    """``{**backend.describe(), "role": role}``: which language model produced an answer
    (``role``: "wrote" the text, or "chose" the person's sentences); a backend without
    ``describe`` (a plug-in written before it) is named as well as it can be."""
    describe = getattr(backend, "describe", None)
    found = describe() if describe else {
        "backend": getattr(backend, "name", None) or "unknown",
        "name": str(getattr(backend, "model", None) or "an unnamed model"), "file": None, "sha256": None}
    return {**found, "role": role}


def abstention(workspace: Workspace, question: str, engine: str, as_of: dict | None = None) -> Answer:
    """What every engine says when the corpus has nothing on the question (``as_of``: the
    window it was asked in, see :func:`as_of_note`)."""
    return Answer(
        question=question,
        text=(
            f"Nothing in {workspace.config.name}'s recorded words covers this question, "
            "so this double will not guess."
        ),
        persona=workspace.slug,
        engine=engine,
        disclosure=workspace.config.disclosure,
        abstained=True,
        as_of=as_of,
        model=dict(FIXED),
    )


def before_the_record(workspace: Workspace, question: str, engine: str, window: dict) -> Answer:
    """What every engine says when nothing in the record is dated up to the as-of date."""
    first = window.get("first_date")
    why = f"the first dated source is from {first}" if first else "none of its sources is dated"
    return Answer(
        question=question,
        text=(f"Nothing in {workspace.config.name}'s record is dated up to {window['as_of']} ({why}), "
              "so this double will not answer as of then."),
        persona=workspace.slug, engine=engine, disclosure=workspace.config.disclosure, abstained=True,
        as_of=window, model=dict(FIXED),
    )


def as_of_note(window: dict | None) -> str | None:
    """One line for every interface: what an as-of answer was drawn from and what it left out."""
    if not window:
        return None
    left = [f"{n} {what} source{'s' if n != 1 else ''} left out"
            for n, what in ((window["later_sources"], "later"), (window["undated_sources"], "undated")) if n]
    count = f"{window['sources']} source{'s' if window['sources'] != 1 else ''}"
    return f"As of {window['as_of']}: from the {count} dated up to then" + (
        f"; {', '.join(left)}" if left else "") + "."


History = list[tuple[str, str]]  # earlier (question, answer text) turns of this interview
TokenCallback = Callable[[str], None]


@dataclass(frozen=True)
class Remark:
    """What another speaker of a panel said, for a double to respond to.

    It is quoted context, never instructions, and never evidence: a double's citations point
    only at its own persona's passages, so nothing another double said can be cited as this
    person's words.
    """

    speaker: str  # "Simulated Wren Halloway", or a real participant's name
    text: str  # what they said, citation markers left out


class Engine(Protocol):
    """One method: answer a question for the persona the engine was made for.

    ``history`` holds the interview so far; ``on_token`` receives text as it is produced;
    ``others``, in a panel, holds what the other speakers just said, for the double to respond
    to (an engine without the parameter gets them folded into the question, see
    :func:`sosie.interview.panel.ask_engine`).
    """

    name: str

    def answer(
        self, question: str, history: History = (), on_token: TokenCallback | None = None,
        others: Sequence[Remark] = (),
    ) -> Answer: ...


@dataclass
class EngineOptions:
    """What every engine that uses a language model accepts; ``None`` = the persona's setting."""

    backend: str | None = None  # transformers | llamacpp | openai
    model: str | None = None  # a catalogue name (qwen2.5-1.5b), a GGUF file or a model folder
    base_url: str | None = None  # the OpenAI-compatible server, for backend openai
    max_new_tokens: int | None = None  # a cap for this engine only (the evaluation's --max-new-tokens)
    grounding: str | None = None  # strict | balanced | free
    as_of: str | None = None  # answer from the record as it stood then (2016, 2016-12-31, March 2019)


def capped(settings: GenerativeSettings, max_new_tokens: int | None, **changes) -> GenerativeSettings:
    """The persona's generation settings with a per-engine cap and other changes (``None``
    changes nothing); a copy, never the persona's own."""
    changes = {k: v for k, v in {"max_new_tokens": max_new_tokens, **changes}.items() if v is not None}
    return dataclasses.replace(settings, **changes) if changes else settings


def engine_names() -> list[str]:
    """Every registered engine: the built-in ones and any a plug-in or a user registered."""
    return registry.names("engine")


def engine_available(name: str, workspace: Workspace) -> bool:
    """Whether the persona can use this engine now (the fine-tuned one needs a trained adapter)."""
    if name not in engine_names():
        return False
    check = getattr(registry.load("engine", name), "available", None)
    return check(workspace) if check else True


def make_engine(name: str, workspace: Workspace, **options) -> Engine:
    """A new engine; options it does not declare are refused with the valid ones."""
    return registry.make("engine", name, workspace, **options)  # type: ignore[return-value]


def engine_for(workspace: Workspace, name: str | None = None, **options) -> Engine:
    """The workspace's engine ``name`` with these options, made once and kept on the workspace."""
    name = name or workspace.config.default_engine
    given = {k: v for k, v in options.items() if v}
    key = (name, tuple(sorted((k, str(v)) for k, v in given.items())))
    return workspace.engines.get(key, lambda: make_engine(name, workspace, **given))
