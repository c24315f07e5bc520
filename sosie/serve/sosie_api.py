"""Sosie's own API, what the OpenAI shape lacks: the persona card, the corpus summary and the
passage behind a citation (interviews are in :mod:`sosie.serve.room`, the quiz in
:mod:`sosie.serve.quiz`)."""

from __future__ import annotations

import json
import mimetypes
from dataclasses import asdict
from pathlib import PurePath

from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse

from sosie.corpus.labels import seconds
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
    recorded = bool(meta.get("media")) and source is not None
    return {
        **{k: v for k, v in asdict(row).items() if k != "source_id"},
        "file": PurePath(row.path).name,
        "origin": source["origin"] if source is not None else None,
        "provenance": meta,
        # a recording: where to play it, and the second the passage starts
        "media": f"/api/personas/{slug}/sources/{source['id']}/media" if recorded else None,
        "seconds": seconds((row.locator or "").split("-")[0]) if recorded else None,
    }


@router.get("/api/personas/{slug}/sources/{source_id}/media", response_class=FileResponse,
            responses={200: {"content": {"audio/*": {}, "video/*": {}}}})
def media(slug: SlugPath, source_id: IdPath, served: ServedDep) -> FileResponse:
    """The recording a source was transcribed from, kept in the workspace; byte ranges are
    served, so a player can start at the cited second."""
    h = served.host(slug)
    with h.lock:
        meta = h.persona.store.source_meta(source_id)
    kept = meta.get("media") if meta is not None else None
    folder = (h.persona.workspace / "media").resolve()
    path = (h.persona.workspace / kept).resolve() if kept else None
    if path is None or not path.is_relative_to(folder) or not path.is_file():
        raise HTTPException(404, f"no recording for source {source_id} in persona {slug!r}")
    return FileResponse(path, media_type=mimetypes.guess_type(path.name)[0] or "application/octet-stream")
