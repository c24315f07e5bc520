"""The pages: the interview room at ``/``, the panel at ``/panel``, the blind quiz at ``/quiz``,
and their files under ``/static`` (plain HTML, CSS and JavaScript shipped in the package; no build
step, no CDN)."""

from __future__ import annotations

from importlib.resources import files

from fastapi import APIRouter, FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

STATIC = files("sosie.serve") / "static"
router = APIRouter(include_in_schema=False)


def mount(app: FastAPI) -> None:
    """``/static/...``: a mount, which a router cannot carry, so the app adds it."""
    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")


@router.get("/")
def room() -> FileResponse:
    return FileResponse(str(STATIC / "room.html"))


@router.get("/panel")
def panel_page() -> FileResponse:
    return FileResponse(str(STATIC / "panel.html"))


@router.get("/quiz")
def quiz_page() -> FileResponse:
    return FileResponse(str(STATIC / "quiz.html"))
