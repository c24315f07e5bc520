"""Serve doubles over HTTP: the web interview room, the blind quiz and an OpenAI-compatible API.

>>> from sosie.serve import create_app, ServeSettings           # doctest: +SKIP
>>> app = create_app([Persona.open("ada")], ServeSettings())     # doctest: +SKIP
"""

from __future__ import annotations

from sosie.serve.app import ServeSettings, create_app

__all__ = ["ServeSettings", "create_app", "serve"]


def serve(personas, settings: ServeSettings | None = None, log_level: str = "warning",
          workers: int = 1) -> None:
    """Run the app with uvicorn until interrupted (what ``sosie serve`` does); ``workers`` > 1
    runs that many processes on the port (see :mod:`sosie.serve.workers`)."""
    import os

    import uvicorn

    settings = settings or ServeSettings()
    personas = list(personas)
    app = create_app(personas, settings)  # in this process too: a bad setting fails here, at once
    if workers <= 1:
        uvicorn.run(app, host=settings.host, port=settings.port, log_level=log_level,
                    timeout_graceful_shutdown=5)
        return
    from sosie.serve.workers import ENV, worker_env

    home = str(personas[0].workspace.parent)
    os.environ[ENV] = worker_env(home, [p.slug for p in personas], settings)
    uvicorn.run("sosie.serve.workers:app_from_env", factory=True, workers=workers, host=settings.host,
                port=settings.port, log_level=log_level, timeout_graceful_shutdown=5)
