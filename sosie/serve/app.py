"""``sosie serve``: the web interview room, the blind quiz and two APIs, in one FastAPI app.

* ``/v1/models`` and ``/v1/chat/completions``: the OpenAI shape, so any OpenAI client can
  interview a double (model ids ``sosie/ada`` and ``sosie/ada:quote``).
* ``/api/...``: what that shape lacks: interview sessions and their transcripts, the passage
  behind a citation, the persona card and corpus summary, the quiz.
* ``/`` and ``/quiz``: the pages, plain HTML and JavaScript shipped in the package.

Every answer comes from :class:`~sosie.interview.InterviewSession`, which stores each exchange
in the persona's ``sosie.db`` before it is returned, so the page, the API and
``sosie transcript`` read one record. Each persona answers one question at a time (a lock):
its SQLite connection and its language model are single resources.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable
from dataclasses import asdict, dataclass, field
from importlib.resources import files
from pathlib import PurePath
from typing import Annotated, Any, Literal

from fastapi import Body, FastAPI, HTTPException, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, PlainTextResponse, Response, StreamingResponse
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from sosie import __version__
from sosie.config import SLUG
from sosie.engines.backends import GenerationCancelled
from sosie.engines.base import Answer, engine_available, engine_names
from sosie.errors import SosieError, UnknownPersona
from sosie.interview import InterviewSession, transcript
from sosie.persona import Persona
from sosie.serve import chat
from sosie.serve.guard import Guard, is_loopback

log = logging.getLogger("sosie.serve")
STATIC = files("sosie.serve") / "static"
NOT_SERVED = {"baseline"}  # the no-persona control of the evaluation is not a double
LIVE_SESSIONS = 256  # interviews kept ready per persona (a cache: all of them are in sosie.db)
MAX_ID = 2**62  # SQLite integers are 64-bit; larger path ids are simply not found


@dataclass
class ServeSettings:
    """How ``sosie serve`` runs; each field is a CLI flag and is in the README's table."""

    host: str = "127.0.0.1"
    port: int = 8000
    token: str | None = None  # required when host is not loopback; SOSIE_TOKEN in the CLI
    max_body_bytes: int = 64 * 1024
    max_question_chars: int = 4000
    max_messages: int = 64  # chat history length a client may send in one request
    engine_options: dict = field(default_factory=dict)  # backend, model, base_url (generative)

    def check(self) -> None:
        if not is_loopback(self.host) and not self.token:
            raise SosieError(
                f"refusing to serve on {self.host} without a token: pass --token TOKEN or set "
                "SOSIE_TOKEN (e.g. python -c 'import secrets; print(secrets.token_urlsafe())')"
            )
        if self.token and not all(c.isalnum() or c in "-_.~" for c in self.token):
            raise SosieError("the token may use only letters, digits and - _ . ~ (it travels in a cookie)")


class PersonaHost:
    """One served persona: its workspace, the lock that serialises its work, its engines."""

    def __init__(self, persona: Persona, engine_options: dict):
        status = persona.index_status()
        if not status["built"]:
            raise SosieError(f"persona {persona.slug!r} has no index yet; run: sosie build {persona.slug}")
        self.persona = persona
        self.lock = threading.Lock()
        self.engine_options = {k: v for k, v in engine_options.items() if v}
        # Live sessions, so a turn need not re-read its interview; each is checked against the
        # stored count of exchanges first, so one written elsewhere is simply read again.
        self.live: OrderedDict[int, InterviewSession] = OrderedDict()
        self._seen: tuple[str, int] | None = None  # (index build, corpus version) last logged

    def index_state(self) -> dict:
        """The index as of now, checked before every answer (lock held). ``Persona.index``
        reloads when ``index/CURRENT`` changed, so a ``sosie build`` run elsewhere is picked up
        at the next request; a corpus changed by ``sosie add`` since the build is logged once
        and flagged (``stale``) in the persona card and in every answer, like the CLI's warning."""
        status = self.persona.index_status()
        state = {
            "built_at": status.get("built_at"),
            "corpus_version": status.get("corpus_version"),
            "stale": bool(status.get("stale")),
            "profile_stale": bool(status.get("profile_stale")),
        }
        seen = (str(self.persona.index.build.name), self.persona.store.corpus_version)
        if seen != self._seen:
            if self._seen is not None and seen[0] != self._seen[0]:
                log.warning("persona %s: a new index build (%s) is live; answering from it",
                            self.persona.slug, seen[0])
            if state["stale"]:
                log.warning("persona %s: files changed since the last build; run: sosie build %s",
                            self.persona.slug, self.persona.slug)
            self._seen = seen
        return state

    @property
    def engines(self) -> list[str]:
        return [name for name in engine_names()
                if name not in NOT_SERVED and engine_available(name, self.persona)]

    def session(self, interview_id: int) -> InterviewSession:
        """The stored interview, ready to go on; call with the lock held."""
        row = self.persona.store.interview(interview_id)
        if row is None:
            raise HTTPException(404, f"persona {self.persona.slug!r} has no interview {interview_id}")
        session = self.live.get(interview_id)
        if session is None or session.exchanges != row["exchanges"]:
            session = InterviewSession.resume(self.persona, interview_id, **self.engine_options)
        self.keep(session)
        return session

    def keep(self, session: InterviewSession) -> None:
        self.live[session.id] = session
        self.live.move_to_end(session.id)
        while len(self.live) > LIVE_SESSIONS:
            self.live.popitem(last=False)

    def card(self) -> dict:
        config = self.persona.config
        stats = self.persona.store.stats()
        return {
            "slug": config.slug,
            "name": config.name,
            "description": config.description,
            "disclosure": config.disclosure,
            "simulated": True,
            "consent": config.consent,
            "consent_note": config.consent_note,
            "provenance_note": config.provenance_note,
            "fictional": config.fictional,
            "default_engine": config.default_engine,
            "engines": self.engines,
            "models": [str(chat.ModelId(config.slug, None))]
            + [str(chat.ModelId(config.slug, e)) for e in self.engines],
            "corpus": {k: stats[k] for k in ("sources", "passages", "subject_words", "qa_pairs")},
            "index": self.index_state(),
        }


# -- request bodies ---------------------------------------------------------------------------
EngineName = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_-]{0,31}$")]


class NewSession(BaseModel):
    model_config = ConfigDict(extra="forbid")
    engine: EngineName | None = None
    title: Annotated[str, Field(max_length=200)] | None = None


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


class QuizPick(BaseModel):
    model_config = ConfigDict(extra="forbid")
    item: Annotated[int, Field(ge=0, le=10_000)]
    pick: Annotated[int, Field(ge=0, le=20)]


SlugPath = Annotated[str, Path(pattern=SLUG.pattern, description="persona name, e.g. rowan")]
IdPath = Annotated[int, Path(ge=1, le=MAX_ID)]
QuizIdPath = Annotated[str, Path(pattern=r"^[0-9a-f]{12}-r[0-9]{1,9}-k[2-5]$")]


# -- the app ------------------------------------------------------------------------------------
def create_app(personas: list[Persona], settings: ServeSettings | None = None) -> Any:
    """The ASGI app serving ``personas`` (already built); wrap-free, ready for uvicorn."""
    settings = settings or ServeSettings()
    settings.check()
    if not personas:
        raise SosieError("no personas to serve; create one with: sosie new NAME --name \"Full Name\"")
    hosts = {p.slug: PersonaHost(p, settings.engine_options) for p in personas}
    app = FastAPI(
        # The interactive docs pages load their scripts from a CDN; offline, the spec is enough.
        docs_url=None,
        redoc_url=None,
        title="Sosie",
        responses=ERRORS,
        version=__version__,
        description="Interview cited, clearly labelled doubles of a person. Every answer is a "
        "simulation; its disclosure and sources travel with it.",
    )
    app.state.hosts = hosts

    def host(slug: str) -> PersonaHost:
        if slug not in hosts:
            raise HTTPException(404, f"no persona {slug!r} is served here (served: {', '.join(hosts)})")
        return hosts[slug]

    # -- errors: always one line, in OpenAI's error shape -------------------------------------
    def error(status: int, message: str) -> JSONResponse:
        kind = "invalid_request_error" if status < 500 else "server_error"
        return JSONResponse({"error": {"message": message, "type": kind, "code": status}}, status)

    @app.exception_handler(StarletteHTTPException)  # FastAPI's and the router's own 404/405
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        return error(exc.status_code, str(exc.detail))

    @app.exception_handler(RequestValidationError)
    async def bad_request(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors() or [{"loc": (), "msg": "invalid request"}]
        # a union reports every branch; the deepest location is the branch the client meant
        first = max(errors, key=lambda e: len(e.get("loc", ())))
        # pydantic names union branches in the location ("list[...]", "constrained-str"):
        # the field path without them is what the client wrote
        where = ".".join(str(part) for part in first.get("loc", ())
                         if part != "body" and not (isinstance(part, str) and ("[" in part or "-" in part)))
        return error(400, f"{where}: {first['msg']}" if where else first["msg"])

    @app.exception_handler(UnknownPersona)
    async def unknown(_: Request, exc: UnknownPersona) -> JSONResponse:
        return error(404, str(exc))

    @app.exception_handler(SosieError)
    async def user_error(_: Request, exc: SosieError) -> JSONResponse:
        return error(400, str(exc))

    @app.exception_handler(Exception)  # a bug still answers one JSON line, never a bare 500
    async def internal_error(_: Request, exc: Exception) -> JSONResponse:
        log.error("request failed", exc_info=exc)
        return error(500, f"internal error: {type(exc).__name__}")

    # -- pages ----------------------------------------------------------------------------------
    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")

    @app.get("/", include_in_schema=False)
    def room() -> FileResponse:
        return FileResponse(str(STATIC / "room.html"))

    @app.get("/quiz", include_in_schema=False)
    def quiz_page() -> FileResponse:
        return FileResponse(str(STATIC / "quiz.html"))

    @app.get("/healthz", tags=["sosie"])
    def healthz() -> dict:
        return {"ok": True, "personas": list(hosts)}

    # -- OpenAI-compatible ------------------------------------------------------------------------
    @app.get("/v1/models", tags=["openai"])
    def models() -> dict:
        data = []
        for h in hosts.values():
            with h.lock:  # the card reads the persona's database
                card = h.card()
            for model in card["models"]:
                data.append({
                    "id": model, "object": "model", "created": 0, "owned_by": "sosie",
                    "sosie": {k: card[k] for k in ("name", "disclosure", "simulated", "consent",
                                                   "consent_note", "fictional")},
                })
        return {"object": "list", "data": data}

    @app.post(
        "/v1/chat/completions", tags=["openai"], response_model=None,
        responses={200: {"content": {"application/json": {}, "text/event-stream": {}}}},
    )
    async def chat_completions(request: ChatRequest) -> Any:
        model = chat.ModelId.parse(request.model)
        if model is None or model.slug not in hosts:
            raise HTTPException(404, f"no model {request.model!r}; GET /v1/models lists them")
        h = hosts[model.slug]
        if model.engine is not None and model.engine not in h.engines:
            raise HTTPException(404, f"no engine {model.engine!r}; served: {', '.join(h.engines)}")
        if len(request.messages) > settings.max_messages:
            raise HTTPException(
                400, f"messages: {len(request.messages)} messages, over this server's limit of "
                f"{settings.max_messages}; start a new conversation")
        for i, message in enumerate(request.messages):
            if message.role in ("user", "assistant") and (kinds := message.media_parts()):
                raise HTTPException(
                    400, f"messages.{i}.content: {', '.join(sorted(set(kinds)))} parts are not "
                    "supported; a double reads text only (send the question as text parts)")
        messages = [m.model_dump() for m in request.messages]
        turns = chat.conversation(messages)
        if not turns or turns[-1][0] != "user" or not turns[-1][1]:
            raise HTTPException(400, "messages: the last message must be the user's question")
        if len(turns[-1][1]) > settings.max_question_chars:
            raise HTTPException(
                400, f"messages: the question is over {settings.max_question_chars} characters")
        completion_id = "chatcmpl-" + uuid.uuid4().hex[:24]

        def work(on_token=None) -> tuple[Answer, int, int, dict]:
            with h.lock:
                state = h.index_state()
                return (*chat_turn(h, model, turns, request.session, on_token), state)

        if not request.stream:
            answer, interview_id, exchange, state = await asyncio.to_thread(work)
            content = chat.render(answer)
            return {
                "id": completion_id, "object": "chat.completion", "created": int(time.time()),
                "model": request.model,
                "choices": [{"index": 0, "finish_reason": "stop",
                             "message": {"role": "assistant", "content": content}}],
                "usage": {
                    "prompt_tokens": sum(chat.estimate_tokens(t) for _, t in turns),
                    "completion_tokens": chat.estimate_tokens(content),
                    "total_tokens": sum(chat.estimate_tokens(t) for _, t in turns)
                    + chat.estimate_tokens(content),
                },
                "sosie": chat.sosie_field(answer, interview_id, exchange) | {"index": state},
            }

        def chunk(delta: dict, finish: str | None = None, extra: dict | None = None) -> str:
            body = {"id": completion_id, "object": "chat.completion.chunk", "created": int(time.time()),
                    "model": request.model,
                    "choices": [{"index": 0, "delta": delta, "finish_reason": finish}], **(extra or {})}
            return f"data: {json.dumps(body, ensure_ascii=False)}\n\n"

        async def events() -> AsyncIterator[str]:
            # Chat clients keep what they stream, so they are sent the checked answer (citations
            # mapped, every sentence tagged), not the model's draft; comments keep them waiting.
            yield chunk({"role": "assistant", "content": ""})
            async for kind, value in run_in_worker(work):
                if kind == "error":
                    yield f"data: {json.dumps({'error': {'message': value, 'type': 'server_error'}})}\n\n"
                    return
                if kind == "done":
                    answer, interview_id, exchange, state = value
                    for piece in word_pieces(chat.render(answer)):
                        yield chunk({"content": piece})
                    yield chunk({}, "stop", {"sosie": chat.sosie_field(answer, interview_id, exchange)
                                             | {"index": state}})
                    yield "data: [DONE]\n\n"
                    return
                if kind == "wait":
                    yield ": the double is thinking\n\n"

        return StreamingResponse(events(), media_type="text/event-stream")

    def chat_turn(h: PersonaHost, model: chat.ModelId, turns, session_id: int | None, on_token=None):
        persona = h.persona
        question, prior = turns[-1][1], turns[:-1]
        engine = model.engine or persona.config.default_engine
        interview_id = session_id
        if interview_id is None and prior:
            interview_id = persona.store.interview_by_thread(chat.thread_key(prior))
        session = None
        if interview_id is not None:
            session = h.session(interview_id)
            if session_id is None and session.engine.name != engine:
                session = None  # the same words to another engine: a new interview
        if session is None:
            session = persona.interview(engine, title="chat", **h.engine_options)
            session.history = chat.history_from(prior)

        def key(answer: Answer) -> str:
            return chat.thread_key([*prior, ("user", question), ("assistant", chat.render(answer))])

        answer = session.ask(question, on_token=on_token, thread_key=key)
        h.keep(session)
        return answer, session.id, session.exchanges

    # -- Sosie's own API ------------------------------------------------------------------------
    @app.get("/api/personas", tags=["sosie"])
    def personas_list() -> list[dict]:
        out = []
        for h in hosts.values():
            with h.lock:
                out.append(h.card())
        return out

    @app.get("/api/personas/{slug}", tags=["sosie"])
    def persona_card(slug: SlugPath) -> dict:
        h = host(slug)
        with h.lock:
            return h.card()

    @app.get("/api/personas/{slug}/corpus", tags=["sosie"])
    def corpus(slug: SlugPath) -> dict:
        from sosie.corpus.summary import corpus_summary

        h = host(slug)
        with h.lock:
            return corpus_summary(h.persona.store)

    @app.get("/api/personas/{slug}/passages/{passage_id}", tags=["sosie"])
    def passage(slug: SlugPath, passage_id: IdPath) -> dict:
        """The passage behind a citation, with where it came from."""
        h = host(slug)
        with h.lock:
            rows = h.persona.store.passages([passage_id])
            if passage_id not in rows:
                raise HTTPException(404, f"no passage {passage_id} in persona {slug!r}")
            row = rows[passage_id]
            source = h.persona.store.source_by_path(row.path)
        meta = json.loads(source["meta_json"] or "{}") if source is not None else {}
        return {
            **{k: v for k, v in asdict(row).items() if k != "source_id"},
            "file": PurePath(row.path).name,
            "origin": source["origin"] if source is not None else None,
            "provenance": meta,
        }

    @app.post("/api/personas/{slug}/sessions", tags=["sosie"], status_code=201)
    def new_session(slug: SlugPath, body: Annotated[NewSession | None, Body()] = None) -> dict:
        body = body or NewSession()
        h = host(slug)
        engine = body.engine or h.persona.config.default_engine
        if engine not in h.engines:
            raise HTTPException(400, f"engine: no engine {engine!r}; served: {', '.join(h.engines)}")
        with h.lock:
            session = h.persona.interview(engine, title=body.title or "web", **h.engine_options)
            h.keep(session)
            return dict(h.persona.store.interview(session.id))

    @app.get("/api/personas/{slug}/sessions", tags=["sosie"])
    def sessions(slug: SlugPath) -> list[dict]:
        h = host(slug)
        with h.lock:
            return [dict(r) for r in h.persona.store.interviews()]

    @app.get("/api/personas/{slug}/sessions/{session_id}", tags=["sosie"])
    def session_record(slug: SlugPath, session_id: IdPath) -> dict:
        """The interview as JSON: the same record as ``sosie transcript NAME --id N --format json``."""
        h = host(slug)
        with h.lock:
            h.session(session_id)
            return json.loads(transcript(h.persona, session_id, "json"))

    @app.get(
        "/api/personas/{slug}/sessions/{session_id}/transcript", tags=["sosie"],
        responses={200: {"content": {"text/markdown": {}, "application/json": {}}}},
    )
    def session_transcript(
        slug: SlugPath, session_id: IdPath, format: Annotated[Literal["md", "json"], Query()] = "md"
    ) -> Response:
        h = host(slug)
        with h.lock:
            h.session(session_id)
            text = transcript(h.persona, session_id, format)
        name = f"{slug}-interview-{session_id}.{format}"
        media = "application/json" if format == "json" else "text/markdown; charset=utf-8"
        return PlainTextResponse(
            text, media_type=media, headers={"content-disposition": f'attachment; filename="{name}"'}
        )

    @app.post(
        "/api/personas/{slug}/sessions/{session_id}/ask", tags=["sosie"], response_model=None,
        responses={200: {"content": {"application/json": {}, "text/event-stream": {}}}},
    )
    async def ask(slug: SlugPath, session_id: IdPath, body: Question) -> Any:
        """Ask one question; with ``stream`` true, Server-Sent Events: ``token`` drafts as the
        model writes, then ``answer`` (the checked answer, with citations), or ``error``."""
        h = host(slug)
        if len(body.question) > settings.max_question_chars:
            raise HTTPException(400, f"question: over {settings.max_question_chars} characters")
        if body.stream:
            with h.lock:
                h.session(session_id)  # a 404 before the stream starts (after it, only an event)

        def work(on_token=None) -> dict:
            with h.lock:
                state = h.index_state()
                session = h.session(session_id)
                answer = session.ask(body.question, on_token=on_token)
            return {"interview": session_id, "exchange": session.exchanges, "answer": answer.to_dict(),
                    "index": state}

        if not body.stream:
            return await asyncio.to_thread(work)

        async def events() -> AsyncIterator[str]:
            async for kind, value in run_in_worker(work, with_tokens=True):
                if kind == "wait":
                    yield ": the double is thinking\n\n"
                    continue
                name = {"token": "token", "done": "answer", "error": "error"}[kind]
                data = {"text": value} if kind == "token" else (
                    {"message": value} if kind == "error" else value)
                yield f"event: {name}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"
                if kind != "token":
                    return

        return StreamingResponse(events(), media_type="text/event-stream")

    # -- the blind quiz ---------------------------------------------------------------------------
    @app.post("/api/personas/{slug}/quiz", tags=["quiz"], status_code=201)
    def new_quiz(slug: SlugPath, k: Annotated[int, Query(ge=2, le=5)] = 3) -> dict:
        """A new quiz over the latest evaluation run; which option is real stays on the server."""
        from sosie.evaluate.quiz import quiz_items

        h = host(slug)
        seed = uuid.uuid4().hex[:12]
        with h.lock:
            run, items = quiz_items(h.persona, None, k, int(seed, 16))
        return {
            "quiz": f"{seed}-r{run}-k{k}",
            "run": run,
            "items": [{"item": i, "question": it.question, "options": [o["text"] for o in it.options]}
                      for i, it in enumerate(items)],
        }

    @app.post("/api/personas/{slug}/quiz/{quiz_id}/answers", tags=["quiz"])
    def quiz_answer(slug: SlugPath, quiz_id: QuizIdPath, body: QuizPick) -> dict:
        from sosie.evaluate.quiz import quiz_items, quiz_summary, record_pick

        h = host(slug)
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

    @app.get("/api/personas/{slug}/quiz/{quiz_id}", tags=["quiz"])
    def quiz_score(slug: SlugPath, quiz_id: QuizIdPath) -> dict:
        from sosie.evaluate.quiz import quiz_summary

        h = host(slug)
        with h.lock:
            return quiz_summary(h.persona, quiz_id)

    # The Guard answers 415 to a POST without a JSON Content-Type (even an empty one): say so
    for route in app.routes:
        if isinstance(route, APIRoute) and "POST" in route.methods:
            route.responses.setdefault(415, {
                "model": ErrorBody,
                "description": "Content-Type is not application/json (required on every POST, "
                "even without a body: a cross-site page cannot send it)"})
    return Guard(app, settings.token, is_loopback(settings.host) and not settings.token,
                 settings.max_body_bytes)


# -- helpers ------------------------------------------------------------------------------------
async def run_in_worker(
    work: Callable, with_tokens: bool = False, keepalive_s: float = 10.0
) -> AsyncIterator[tuple[str, Any]]:
    """Run ``work`` on a thread; yield ("token", text)*, then ("done", result) or ("error", msg).

    When the client goes away mid-stream, Starlette cancels the response and this generator with
    it; the ``finally`` below then tells the worker, whose next token raises
    :class:`GenerationCancelled`: the model stops (or its server's stream is closed), the
    unfinished turn is not stored, and the persona's lock is free for the next question. Work
    that streams no tokens (the quote engine) is quick and finishes, stored as usual.
    """
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue = asyncio.Queue()
    gone = threading.Event()

    def put(item: tuple[str, Any]) -> None:
        try:
            loop.call_soon_threadsafe(queue.put_nowait, item)
        except RuntimeError:  # the event loop has closed: the server is stopping
            pass

    def on_token(text: str) -> None:
        if gone.is_set():
            raise GenerationCancelled("the client went away")
        if with_tokens:
            put(("token", text))

    def run() -> None:
        try:
            put(("done", work(on_token=on_token)))
        except GenerationCancelled:
            log.info("generation stopped: the client disconnected")
        except (SosieError, HTTPException) as exc:
            put(("error", str(getattr(exc, "detail", exc))))
        except Exception as exc:  # noqa: BLE001 - reported to the client, logged here
            log.exception("answer failed")
            put(("error", f"internal error: {type(exc).__name__}"))

    threading.Thread(target=run, daemon=True, name="sosie-answer").start()
    try:
        while True:
            try:
                item = await asyncio.wait_for(queue.get(), timeout=keepalive_s)
            except TimeoutError:
                yield ("wait", None)
                continue
            yield item
            if item[0] != "token":
                return
    finally:
        gone.set()  # finished, or cancelled because the client disconnected


def word_pieces(text: str, words: int = 4) -> list[str]:
    parts = text.split(" ")
    return [" ".join(parts[i : i + words]) + (" " if i + words < len(parts) else "")
            for i in range(0, len(parts), words)]
