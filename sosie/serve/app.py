"""``sosie serve``: the web interview room, the blind quiz and two APIs, in one FastAPI app.

This module only assembles it; each area is a router in its own module:

* :mod:`~sosie.serve.openai_api` -- ``/v1/models`` and ``/v1/chat/completions``, the OpenAI
  shape, so any OpenAI client can interview a double (``sosie/ada``, ``sosie/ada:quote``).
* :mod:`~sosie.serve.sosie_api` -- ``/api/personas/...``: the card, the corpus, a passage.
* :mod:`~sosie.serve.room` -- interview sessions, their transcripts, asking (SSE streaming).
* :mod:`~sosie.serve.panels` -- panels: several doubles asked at once, then responding.
* :mod:`~sosie.serve.quiz` -- the blind quiz.
* :mod:`~sosie.serve.static` -- the pages ``/`` and ``/quiz`` and their files.

What the routes share (settings, personas) is one :class:`~sosie.serve.state.Served` on
``app.state``, reached through a dependency; :mod:`~sosie.serve.guard` checks Host, token, body
size and Content-Type before any of it. Questions are answered in parallel on the answer threads
(:mod:`~sosie.serve.stream`), each reading SQLite on its own connection; a local language model
answers one at a time behind a bounded queue (:mod:`~sosie.serve.state`).
"""

from __future__ import annotations

from fastapi import FastAPI

from sosie import __version__
from sosie.persona import Persona
from sosie.serve import errors, openai_api, panels, quiz, room, sosie_api, static
from sosie.serve.guard import Guard, is_loopback
from sosie.serve.state import Served, ServeSettings

__all__ = ["ServeSettings", "create_app"]
ROUTERS = [static.router, openai_api.router, sosie_api.router, room.router, panels.router, quiz.router]


def create_app(personas: list[Persona], settings: ServeSettings | None = None) -> Guard:
    """The ASGI app serving ``personas`` (already built), ready for uvicorn: the :class:`Guard`
    around the FastAPI app (``create_app(...).app``), whose ``state.served`` is shared."""
    settings = settings or ServeSettings()
    served = Served(personas, settings)  # checks the settings and that every index is built
    app = FastAPI(
        # The interactive docs pages load their scripts from a CDN; offline, the spec is enough.
        docs_url=None,
        redoc_url=None,
        title="Sosie",
        version=__version__,
        description="Interview cited, clearly labelled doubles of a person. Every answer is a "
        "simulation; its disclosure and sources travel with it.",
    )
    app.state.served = served
    app.state.hosts = served.hosts  # the PersonaHost per slug, as callers have read it
    errors.add_handlers(app)
    static.mount(app)
    for router in ROUTERS:
        # Not app.include_router: FastAPI (0.165) includes a router lazily, and app.routes would
        # list the router rather than its routes. Each router already carries its full paths,
        # tags and error responses, so its routes join the app's own list as they are.
        app.router.routes.extend(router.routes)
    return Guard(app, settings.token, is_loopback(settings.host) and not settings.token,
                 settings.max_body_bytes)
