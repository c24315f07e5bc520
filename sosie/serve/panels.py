"""Panels over HTTP: several served doubles asked at once, answers side by side, then let
them respond to each other. Each double answers under its own persona's lock, one at a time;
the panel is stored (``HOME/panels.db``) turn by turn, like ``sosie panel``, so the page, the
API and ``sosie transcript --panel N`` read one record."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import PlainTextResponse

from sosie.errors import SosieError
from sosie.interview.panel import Panel
from sosie.interview.panel_records import PanelRecords
from sosie.interview.panel_transcript import panel_record, panel_transcript
from sosie.serve.schemas import ERRORS, NOT_JSON, IdPath, NewPanel, PanelTurnRequest
from sosie.serve.state import NoLock, Served, ServedDep

router = APIRouter(prefix="/api/panels", tags=["panels"], responses=ERRORS)
_panel_locks: dict[int, threading.Lock] = {}
_locks_lock = threading.Lock()


def _one_at_a_time(panel_id: int) -> threading.Lock:
    """Two requests on one panel would interleave its rounds: they take turns."""
    with _locks_lock:
        return _panel_locks.setdefault(panel_id, threading.Lock())


def _hosts(served: Served, slugs: list[str]) -> dict:
    return {slug: served.host(slug).persona for slug in slugs}


def _guard(served: Served, engine: str):
    """What a double holds while it answers on a panel: its persona's lock (``--serial``), and
    its local model's slot when the panel's engine runs one."""
    local = engine != "quote" and served.settings.engine_options.get("backend") != "openai"

    @contextmanager
    def hold(slug: str) -> Iterator[None]:
        h = served.hosts[slug]
        with h.lock, (h.model.slot if local else NoLock()):
            yield

    return hold


def _options(served: Served) -> dict:
    return {k: v for k, v in served.settings.engine_options.items() if v}


def _check_engine(served: Served, slugs: list[str], engine: str) -> None:
    for slug in slugs:
        if engine not in served.hosts[slug].engines:
            raise HTTPException(400, f"engine: {engine!r} is not served for {slug!r} "
                                     f"(served: {', '.join(served.hosts[slug].engines)})")


def _answer(panel_id: int, added: list, served: Served) -> dict:
    return {**panel_record(panel_id, served.home), "added": [t.id for t in added]}


@router.post("", status_code=201, responses=NOT_JSON)
def new_panel(body: NewPanel, served: ServedDep) -> dict:
    """Start a panel and ask its first question; the record comes back with ``added``, the ids
    of the turns this request made (the question, each answer, each response)."""
    personas = [served.host(slug).persona for slug in body.personas]  # a 404 names an unserved one
    engine = body.engine or (personas[0].config.default_engine if personas else "quote")
    _check_engine(served, body.personas, engine)
    panel = Panel.start(personas, served.home, engine=engine, title=body.title or "web",
                        human=body.human, guard=_guard(served, engine), as_of=body.as_of,
                        **_options(served))
    with _one_at_a_time(panel.id):
        added = panel.ask(body.question, to=body.to, rounds=body.rounds)
    return _answer(panel.id, added, served)


@router.get("")
def panels(served: ServedDep) -> list[dict]:
    records = PanelRecords.open(served.home)
    try:
        return [dict(r) | {"personas": [m["slug"] for m in records.members(r["id"]) if m["slug"]]}
                for r in records.all()]
    finally:
        records.close()


@router.get("/{panel_id}")
def panel(panel_id: IdPath, served: ServedDep) -> dict:
    """The panel as JSON: the same record as ``sosie transcript --panel N --format json``."""
    return panel_record(panel_id, served.home)


@router.get("/{panel_id}/transcript",
            responses={200: {"content": {"text/markdown": {}, "application/json": {}}}})
def transcript(panel_id: IdPath, served: ServedDep,
               format: Annotated[Literal["md", "json"], Query()] = "md") -> PlainTextResponse:
    text = panel_transcript(panel_id, served.home, format)
    media = "application/json" if format == "json" else "text/markdown; charset=utf-8"
    return PlainTextResponse(text, media_type=media, headers={
        "content-disposition": f'attachment; filename="panel-{panel_id}.{format}"'})


@router.post("/{panel_id}/turns", status_code=201, responses=NOT_JSON)
def next_turn(panel_id: IdPath, body: PanelTurnRequest, served: ServedDep) -> dict:
    """Go on: ask the panel (``question``, from ``speaker`` if the panel's human said it) or
    let each double respond to the others once more (``respond``)."""
    if body.respond == (body.question is not None):
        raise HTTPException(400, "give either question or respond: true")
    stored = PanelRecords.open(served.home)
    try:
        row = stored.get(panel_id)
        cast = stored.members(panel_id) if row else []
    finally:
        stored.close()
    if row is None:
        raise HTTPException(404, f"no panel {panel_id}")
    personas = _hosts(served, [m["slug"] for m in cast if m["kind"] == "double"])
    with _one_at_a_time(panel_id):
        try:
            guard = _guard(served, row["engine"])
            panel = Panel.resume(panel_id, served.home, personas=personas, guard=guard, **_options(served))
            added = (panel.respond(to=body.to) if body.respond
                     else panel.ask(body.question, to=body.to, rounds=body.rounds, speaker=body.speaker))
        except SosieError as exc:
            raise HTTPException(400, str(exc)) from exc
    return _answer(panel_id, added, served)
