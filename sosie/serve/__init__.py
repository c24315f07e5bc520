"""Serve doubles over HTTP: the web interview room, the blind quiz and an OpenAI-compatible API.

>>> from sosie.serve import create_app, ServeSettings           # doctest: +SKIP
>>> app = create_app([Persona.open("ada")], ServeSettings())     # any ASGI server runs it
"""

from __future__ import annotations

from sosie.serve.app import ServeSettings, create_app

__all__ = ["ServeSettings", "create_app", "serve"]


def serve(personas, settings: ServeSettings | None = None, log_level: str = "warning") -> None:
    """Run the app with uvicorn until interrupted (what ``sosie serve`` does)."""
    import uvicorn

    settings = settings or ServeSettings()
    app = create_app(list(personas), settings)
    uvicorn.run(app, host=settings.host, port=settings.port, log_level=log_level,
                timeout_graceful_shutdown=5)
