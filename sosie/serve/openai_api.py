"""``/v1/models`` and ``/v1/chat/completions``: the OpenAI shape, so any OpenAI client can
interview a double (model ids ``sosie/ada`` and ``sosie/ada:quote``). How a stateless chat maps
onto stored interviews is in :mod:`sosie.serve.chat`."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, HTTPException
from fastapi.responses import StreamingResponse

from sosie.corpus.dates import as_of_date
from sosie.engines.base import Answer
from sosie.interview.records import interview_records
from sosie.serve import chat
from sosie.serve.schemas import ERRORS, NOT_JSON, ChatRequest
from sosie.serve.state import NoLock, PersonaHost, ServedDep
from sosie.serve.stream import THINKING, in_thread, run_in_worker, word_pieces

router = APIRouter(prefix="/v1", tags=["openai"], responses=ERRORS)
CARD_FIELDS = ("name", "disclosure", "simulated", "consent", "consent_note", "fictional")


@router.get("/models")
def models(served: ServedDep) -> dict:
    data = []
    for h in served.hosts.values():
        with h.lock:  # the card reads the persona's database
            card = h.card()
        for model in card["models"]:
            data.append({"id": model, "object": "model", "created": 0, "owned_by": "sosie",
                         "sosie": {k: card[k] for k in CARD_FIELDS}})
    return {"object": "list", "data": data}


@router.post(
    "/chat/completions", response_model=None,
    responses={200: {"content": {"application/json": {}, "text/event-stream": {}}}, **NOT_JSON},
)
async def chat_completions(request: ChatRequest, served: ServedDep) -> Any:
    settings = served.settings
    model = chat.ModelId.parse(request.model)
    if model is None or model.slug not in served.hosts:
        raise HTTPException(404, f"no model {request.model!r}; GET /v1/models lists them")
    h = served.hosts[model.slug]
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
    turns = chat.conversation([m.model_dump() for m in request.messages])
    if not turns or turns[-1][0] != "user" or not turns[-1][1]:
        raise HTTPException(400, "messages: the last message must be the user's question")
    if len(turns[-1][1]) > settings.max_question_chars:
        raise HTTPException(400, f"messages: the question is over {settings.max_question_chars} characters")
    completion_id = "chatcmpl-" + uuid.uuid4().hex[:24]

    def work(on_token=None) -> tuple[Answer, int, int, dict]:
        with h.lock:  # no lock unless --serial: chat_turn holds the interview's turn and the model
            state = h.index_state()
            return (*chat_turn(h, model, turns, request.session, on_token, request.as_of), state)

    if not request.stream:
        answer, interview_id, exchange, state = await in_thread(work)
        content = chat.render(answer)
        prompt_tokens = sum(chat.estimate_tokens(t) for _, t in turns)
        return {
            "id": completion_id, "object": "chat.completion", "created": int(time.time()),
            "model": request.model, "system_fingerprint": chat.fingerprint(answer),
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": content}}],
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": chat.estimate_tokens(content),
                "total_tokens": prompt_tokens + chat.estimate_tokens(content),
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
                                         | {"index": state}, "system_fingerprint": chat.fingerprint(answer)})
                yield "data: [DONE]\n\n"
                return
            if kind == "wait":
                yield THINKING

    return StreamingResponse(events(), media_type="text/event-stream")


def chat_turn(h: PersonaHost, model: chat.ModelId, turns, session_id: int | None, on_token=None,
              as_of: str | None = None):
    """Answer the last turn in the interview the conversation continues (lock held): the
    ``session`` the client named, else the one stored under the hash of the turns before it,
    else a new one seeded with the client's history. Returns (answer, interview id, exchange)."""
    persona = h.persona
    question, prior = turns[-1][1], turns[:-1]
    engine = model.engine or persona.config.default_engine
    interview_id = session_id
    if interview_id is None and prior:
        interview_id = interview_records(persona).by_thread(chat.thread_key(prior))
    with h.turn(interview_id) if interview_id is not None else NoLock():
        return _answer_turn(h, engine, question, prior, interview_id, session_id, on_token, as_of)


def _answer_turn(h: PersonaHost, engine: str, question: str, prior, interview_id: int | None,
                 session_id: int | None, on_token, as_of: str | None):
    persona = h.persona
    session = None
    if interview_id is not None:
        session = h.session(interview_id)
        if session_id is None and session.engine.name != engine:
            session = None  # the same words to another engine: a new interview
        elif session_id is None and getattr(session.engine, "as_of", None) != as_of_date(as_of):
            session = None  # or as of another date
    if session is None:
        session = persona.interview(engine, title="chat", as_of=as_of, **h.options_for(engine))
        session.history = chat.history_from(prior)

    def key(answer: Answer) -> str:
        return chat.thread_key([*prior, ("user", question), ("assistant", chat.render(answer))])

    with h.model(session.engine):
        answer = session.ask(question, on_token=on_token, thread_key=key)
    h.keep(session)
    return answer, session.id, session.exchanges
