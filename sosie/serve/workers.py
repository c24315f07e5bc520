"""``sosie serve --workers N``: N server processes on one port, each with its own copy of the
personas, so N questions are answered truly at once (a process's Python runs one thread at a
time; the embedding model's forward pass is most of a quote answer).

uvicorn starts the workers and shares the listening socket among them; each builds its app
with :func:`app_from_env` from the settings the parent put in the environment. Every worker
writes to the same ``sosie.db`` (SQLite allows one writer at a time across processes, and the
others wait) or to the same PostgreSQL (``--store``).
"""

from __future__ import annotations

import dataclasses
import json
import os

ENV = "SOSIE_SERVE_WORKER"


def worker_env(home: str, slugs: list[str], settings) -> str:
    """What a worker needs to build the same app, as JSON."""
    return json.dumps({"home": home, "slugs": slugs, "settings": dataclasses.asdict(settings)})


def app_from_env():
    """The app of one worker (uvicorn calls it once per process)."""
    from sosie.persona import Persona
    from sosie.serve.app import create_app
    from sosie.serve.state import ServeSettings

    spec = json.loads(os.environ[ENV])
    personas = [Persona.open(slug, spec["home"]) for slug in spec["slugs"]]
    return create_app(personas, ServeSettings(**spec["settings"]))
