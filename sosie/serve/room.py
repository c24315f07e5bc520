"""The interview room's API: interview sessions, their transcripts, and asking a question
(answered whole, or streamed as Server-Sent Events). Every answer comes from
:class:`~sosie.interview.InterviewSession`, which stores the exchange in the persona's
``sosie.db`` before it is returned, so the page, the API and ``sosie transcript`` read one record."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, HTTPException, Query
from fastapi.responses import PlainTextResponse, Response, StreamingResponse

from sosie.interview import transcript
from sosie.interview.records import interview_records
from sosie.serve.schemas import ERRORS, NOT_JSON, IdPath, NewSession, Question, SlugPath
from sosie.serve.state import ServedDep
from sosie.serve.stream import THINKING, in_thread, run_in_worker

router = APIRouter(prefix="/api/personas/{slug}/sessions", tags=["sosie"], responses=ERRORS)


@router.post("", status_code=201, responses=NOT_JSON)
def new_session(slug: SlugPath, served: ServedDep,
                body: Annotated[NewSession | None, Body()] = None) -> dict:
    body = body or NewSession()
    h = served.host(slug)
    engine = body.engine or h.persona.config.default_engine
    if engine not in h.engines:
        raise HTTPException(400, f"engine: no engine {engine!r}; served: {', '.join(h.engines)}")
    with h.lock:
        session = h.persona.interview(engine, title=body.title or "web", as_of=body.as_of,
                                      **h.options_for(engine))
        h.keep(session)
        return dict(interview_records(h.persona).get(session.id))


@router.get("")
def sessions(slug: SlugPath, served: ServedDep) -> list[dict]:
    h = served.host(slug)
    with h.lock:
        return [dict(r) for r in interview_records(h.persona).all()]


@router.get("/{session_id}")
def session_record(slug: SlugPath, session_id: IdPath, served: ServedDep) -> dict:
    """The interview as JSON: the same record as ``sosie transcript NAME --id N --format json``."""
    h = served.host(slug)
    with h.lock:
        h.session(session_id)
        return json.loads(transcript(h.persona, session_id, "json"))


@router.get("/{session_id}/transcript",
            responses={200: {"content": {"text/markdown": {}, "application/json": {}}}})
def session_transcript(
    slug: SlugPath, session_id: IdPath, served: ServedDep,
    format: Annotated[Literal["md", "json"], Query()] = "md",
) -> Response:
    h = served.host(slug)
    with h.lock:
        h.session(session_id)
        text = transcript(h.persona, session_id, format)
    name = f"{slug}-interview-{session_id}.{format}"
    media = "application/json" if format == "json" else "text/markdown; charset=utf-8"
    return PlainTextResponse(
        text, media_type=media, headers={"content-disposition": f'attachment; filename="{name}"'}
    )


@router.post("/{session_id}/ask", response_model=None,
             responses={200: {"content": {"application/json": {}, "text/event-stream": {}}}, **NOT_JSON})
async def ask(slug: SlugPath, session_id: IdPath, body: Question, served: ServedDep) -> Any:
    """Ask one question; with ``stream`` true, Server-Sent Events: ``token`` drafts as the
    model writes, then ``answer`` (the checked answer, with citations), or ``error``."""
    h = served.host(slug)
    limit = served.settings.max_question_chars
    if len(body.question) > limit:
        raise HTTPException(400, f"question: over {limit} characters")
    if body.stream:
        with h.lock:
            session = h.session(session_id)  # a 404 before the stream starts (after it, only an event)
            h.model.check(session.engine)  # and a 503 when the model's queue is full

    def work(on_token=None) -> dict:
        with h.lock, h.turn(session_id):
            state = h.index_state()
            session = h.session(session_id)
            with h.model(session.engine):
                answer = session.ask(body.question, on_token=on_token)
        return {"interview": session_id, "exchange": session.exchanges, "answer": answer.to_dict(),
                "index": state}

    if not body.stream:
        return await in_thread(work)

    async def events() -> AsyncIterator[str]:
        async for kind, value in run_in_worker(work, with_tokens=True):
            if kind == "wait":
                yield THINKING
                continue
            name = {"token": "token", "done": "answer", "error": "error"}[kind]
            data = {"text": value} if kind == "token" else (
                {"message": value} if kind == "error" else value)
            yield f"event: {name}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"
            if kind != "token":
                return

    return StreamingResponse(events(), media_type="text/event-stream")
