"""The shapes of requests and errors, and the checked path parameters, as the spec shows them.

Request bodies forbid unknown keys where Sosie owns the shape; OpenAI's shapes allow them, as
OpenAI clients send fields Sosie does not use.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import Path
from pydantic import BaseModel, ConfigDict, Field

from sosie.config import SLUG

MAX_ID = 2**62  # SQLite integers are 64-bit; larger path ids are simply not found
EngineName = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_-]{0,31}$")]
SlugPath = Annotated[str, Path(pattern=SLUG.pattern, description="persona name, e.g. rowan")]
IdPath = Annotated[int, Path(ge=1, le=MAX_ID)]
QuizIdPath = Annotated[str, Path(pattern=r"^[0-9a-f]{12}-r[0-9]{1,9}-k[2-5]$")]


AsOf = Annotated[str, Field(max_length=40, description=(
    "Answer from the record as it stood on this date: 2016, 2016-05, 2016-12-31 or 'March 2019' "
    "(a year or month means its last day); undated sources are left out, and counted"))]


class NewSession(BaseModel):
    model_config = ConfigDict(extra="forbid")
    engine: EngineName | None = None
    title: Annotated[str, Field(max_length=200)] | None = None
    as_of: AsOf | None = None


class Question(BaseModel):
    model_config = ConfigDict(extra="forbid")
    question: Annotated[str, Field(min_length=1, max_length=4000)]
    stream: bool = False


class TextPart(BaseModel):
    """OpenAI's text content part; ``text`` is required (a part without it is a 400)."""

    model_config = ConfigDict(extra="allow")
    type: Literal["text"]
    text: Annotated[str, Field(max_length=16000)]


class MediaPart(BaseModel):
    """The non-text parts OpenAI clients send (images, audio, files, a refusal). They are part
    of the shape so the request parses, and then refused with a 400 naming them: a double
    answers from words, and answering as if an image were not there would mislead."""

    model_config = ConfigDict(extra="allow")
    type: Literal["image_url", "input_audio", "file", "refusal"]


ContentPart = Annotated[TextPart | MediaPart, Field(discriminator="type")]


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="allow")
    role: Literal["system", "developer", "user", "assistant", "tool"]
    content: (
        Annotated[str, Field(max_length=16000)] | Annotated[list[ContentPart], Field(max_length=32)] | None
    )

    def media_parts(self) -> list[str]:
        if not isinstance(self.content, list):
            return []
        return [part.type for part in self.content if not isinstance(part, TextPart)]


class ChatRequest(BaseModel):
    """OpenAI's request; sampling fields are accepted and ignored (``persona.toml`` decides)."""

    model_config = ConfigDict(extra="allow")
    model: Annotated[str, Field(max_length=200)]
    messages: Annotated[list[ChatMessage], Field(min_length=1)]
    stream: bool = False
    session: Annotated[int, Field(ge=1, le=MAX_ID)] | None = None  # Sosie's: continue interview N
    as_of: AsOf | None = None  # Sosie's: an extra body field (extra_body={"as_of": "2016"})


class QuizPick(BaseModel):
    model_config = ConfigDict(extra="forbid")
    item: Annotated[int, Field(ge=0, le=10_000)]
    pick: Annotated[int, Field(ge=0, le=20)]


class ErrorDetail(BaseModel):
    message: str
    type: str
    code: int


class ErrorBody(BaseModel):
    """Every error, in OpenAI's shape: one line of ``message`` that says what to change."""

    error: ErrorDetail


ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody, "description": description}
    for status, description in [
        (400, "Invalid request (the message names the field)"),
        (401, "Token missing or wrong"),
        (404, "No such persona, model, interview or passage"),
        (413, "Request body too large"),
        (421, "Host header not allowed (loopback-only server)"),
    ]
}
# The Guard answers 415 to a POST without a JSON Content-Type (even an empty one): every POST says so
NOT_JSON: dict[int | str, dict[str, Any]] = {415: {
    "description": "Content-Type is not application/json (required on every POST, even without a "
    "body: a cross-site page cannot send it)"}}


Slug = Annotated[str, Field(pattern=SLUG.pattern, description="persona name, e.g. rowan")]


class NewPanel(BaseModel):
    """A panel of served personas and its first question (what ``sosie panel`` takes)."""

    model_config = ConfigDict(extra="forbid")
    personas: Annotated[list[Slug], Field(max_length=8, description="two or more served personas")]
    question: Annotated[str, Field(min_length=1, max_length=4000)]
    rounds: Annotated[int, Field(ge=1, le=5, description=(
        "1: each double answers; 2 or more: then each responds to the others' last answers"))] = 1
    to: Annotated[list[Slug], Field(max_length=8)] | None = None
    engine: EngineName | None = None
    human: Annotated[str, Field(min_length=1, max_length=100, description=(
        "a real person taking part: their lines are stored as theirs, never as a double's"))] | None = None
    title: Annotated[str, Field(max_length=200)] | None = None
    as_of: AsOf | None = None


class PanelTurnRequest(BaseModel):
    """The next turn of a stored panel: a question (from the moderator, or from the panel's
    human when ``speaker`` names them), or ``respond``: one more round of responses."""

    model_config = ConfigDict(extra="forbid")
    question: Annotated[str, Field(min_length=1, max_length=4000)] | None = None
    respond: bool = False
    speaker: Annotated[str, Field(min_length=1, max_length=100)] | None = None
    to: Annotated[list[Slug], Field(max_length=8)] | None = None
    rounds: Annotated[int, Field(ge=1, le=5)] = 1
