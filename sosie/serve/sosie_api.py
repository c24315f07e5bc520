"""Sosie's own API, what the OpenAI shape lacks: the persona card, the corpus summary and the
passage behind a citation (interviews are in :mod:`sosie.serve.room`, the quiz in
:mod:`sosie.serve.quiz`)."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import PurePath

from fastapi import APIRouter, HTTPException

from sosie.serve.schemas import ERRORS, IdPath, SlugPath
from sosie.serve.state import ServedDep

router = APIRouter(tags=["sosie"], responses=ERRORS)


@router.get("/healthz")
def healthz(served: ServedDep) -> dict:
    return {"ok": True, "personas": list(served.hosts)}


@router.get("/api/personas")
def personas_list(served: ServedDep) -> list[dict]:
    out = []
    for h in served.hosts.values():
        with h.lock:
            out.append(h.card())
    return out


@router.get("/api/personas/{slug}")
def persona_card(slug: SlugPath, served: ServedDep) -> dict:
    h = served.host(slug)
    with h.lock:
        return h.card()


@router.get("/api/personas/{slug}/corpus")
def corpus(slug: SlugPath, served: ServedDep) -> dict:
    from sosie.corpus.summary import corpus_summary

    h = served.host(slug)
    with h.lock:
        return corpus_summary(h.persona.store)


@router.get("/api/personas/{slug}/passages/{passage_id}")
def passage(slug: SlugPath, passage_id: IdPath, served: ServedDep) -> dict:
    """The passage behind a citation, with where it came from."""
    h = served.host(slug)
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
