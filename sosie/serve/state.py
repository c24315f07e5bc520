"""What the routes share: the settings, the served personas, and the dependency that reaches them.

``create_app`` builds one :class:`Served` and keeps it on ``app.state.served``; a route asks for
it with a ``Served`` parameter (:data:`ServedDep`) and is otherwise a plain function:

>>> def persona_card(slug: SlugPath, served: ServedDep) -> dict:   # doctest: +SKIP
...     with (h := served.host(slug)).lock:
...         return h.card()
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, HTTPException, Request

from sosie import registry
from sosie.engines.base import engine_available, engine_names
from sosie.errors import SosieError
from sosie.interview import InterviewSession
from sosie.interview.records import interview_records
from sosie.persona import Persona
from sosie.serve import chat
from sosie.serve.guard import is_loopback

log = logging.getLogger("sosie.serve")
NOT_SERVED = {"baseline"}  # the no-persona control of the evaluation is not a double
LIVE_SESSIONS = 256  # interviews kept ready per persona (a cache: all of them are in sosie.db)
TURN_STRIPES = 64  # locks shared out among interviews by id: two turns of one never overlap


@dataclass
class ServeSettings:
    """How ``sosie serve`` runs; each field is a CLI flag and is in the README's table."""

    host: str = "127.0.0.1"
    port: int = 8000
    token: str | None = None  # required when host is not loopback; SOSIE_TOKEN in the CLI
    max_body_bytes: int = 64 * 1024
    max_question_chars: int = 4000
    max_messages: int = 64  # chat history length a client may send in one request
    engine_options: dict = field(default_factory=dict)  # backend, model, base_url (generative)
    max_waiting: int = 8  # answers queued per persona for a local model; beyond, 503 + Retry-After
    serial: bool = False  # one request at a time per persona, as before (the bench's baseline)
    store: str | None = None  # postgresql://...: interviews there, shared by replicas; None: sosie.db

    def check(self) -> None:
        if not is_loopback(self.host) and not self.token:
            raise SosieError(
                f"refusing to serve on {self.host} without a token: pass --token TOKEN or set "
                "SOSIE_TOKEN (e.g. python -c 'import secrets; print(secrets.token_urlsafe())')"
            )
        if self.token and not all(c.isalnum() or c in "-_.~" for c in self.token):
            raise SosieError("the token may use only letters, digits and - _ . ~ (it travels in a cookie)")


class NoLock:
    """Reads need no lock: each worker thread reads on its own SQLite connection."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc) -> None:
        return None


class ModelQueue:
    """A persona's local language model answers one question at a time; at most ``waiting``
    more wait for it, and the next is refused at once with 503 and ``Retry-After`` instead of
    waiting without end. The quote engine and a remote OpenAI-compatible server (which batches
    requests itself) do not queue here."""

    def __init__(self, waiting: int, retry_after_s: int = 10):
        self.slot = threading.Lock()
        self.limit = waiting
        self.retry_after_s = retry_after_s
        self.queued = 0  # running or waiting
        self._count = threading.Lock()

    def check(self, engine) -> None:
        """A 503 now if this engine's question would be refused (before a stream starts)."""
        if uses_local_model(engine) and self.queued > self.limit:
            raise self.busy()

    def busy(self) -> HTTPException:
        return HTTPException(503, f"this double's model is busy ({self.queued - 1} questions waiting); "
                             f"try again in {self.retry_after_s} s",
                             headers={"Retry-After": str(self.retry_after_s)})

    @contextmanager
    def __call__(self, engine) -> Iterator[None]:
        if not uses_local_model(engine):
            yield
            return
        with self._count:
            if self.queued > self.limit:
                raise self.busy()
            self.queued += 1
        try:
            with self.slot:
                yield
        finally:
            with self._count:
                self.queued -= 1


def uses_local_model(engine) -> bool:
    """A model in this process (transformers, llama.cpp), not the quote engine or a server."""
    backend = getattr(engine, "backend", None)
    return backend is not None and getattr(backend, "name", "") != "openai"


class PersonaHost:
    """One served persona: its workspace, its engines, and what keeps its answers in order.

    Reads (cards, transcripts, passages, the quote engine's retrieval) run in parallel, each
    worker thread on its own read connection; the store's writer lock orders the writes; a turn
    of one interview waits for that interview's previous turn; a local model answers one
    question at a time (:class:`ModelQueue`). ``serial`` puts back one lock over everything.
    """

    def __init__(self, persona: Persona, engine_options: dict, serial: bool = False,
                 max_waiting: int = 8):
        status = persona.index_status()
        if not status["built"]:
            raise SosieError(f"persona {persona.slug!r} has no index yet; run: sosie build {persona.slug}")
        self.persona = persona
        self.lock: threading.Lock | NoLock = threading.Lock() if serial else NoLock()
        self.model = ModelQueue(max_waiting)
        self._turns = [threading.Lock() for _ in range(TURN_STRIPES)]
        self._live = threading.Lock()
        self.engine_options = {k: v for k, v in engine_options.items() if v}
        # Live sessions, so a turn need not re-read its interview; each is checked against the
        # stored count of exchanges first, so one written elsewhere is simply read again.
        self.live: OrderedDict[int, InterviewSession] = OrderedDict()
        self._seen: tuple[str, int] | None = None  # (index build, corpus version) last logged

    def index_state(self) -> dict:
        """The index as of now, checked before every answer (lock held). ``Persona.index``
        reloads when ``index/CURRENT`` changed, so a ``sosie build`` run elsewhere is picked up
        at the next request; a corpus changed by ``sosie add`` since the build is logged once
        and flagged (``stale``) in the persona card and in every answer, like the CLI's warning."""
        status = self.persona.index_status()
        state = {
            "built_at": status.get("built_at"),
            "corpus_version": status.get("corpus_version"),
            "stale": bool(status.get("stale")),
            "profile_stale": bool(status.get("profile_stale")),
        }
        seen = (str(self.persona.index.build.name), self.persona.store.corpus_version)
        if seen != self._seen:
            if self._seen is not None and seen[0] != self._seen[0]:
                log.warning("persona %s: a new index build (%s) is live; answering from it",
                            self.persona.slug, seen[0])
            if state["stale"]:
                log.warning("persona %s: files changed since the last build; run: sosie build %s",
                            self.persona.slug, self.persona.slug)
            self._seen = seen
        return state

    def options_for(self, engine: str) -> dict:
        """The served engine options this engine declares: the quote engine uses no model, so
        ``--backend``/``--model`` are for the engines that do (an engine refuses unknown keys)."""
        accepted = registry.option_names(registry.load("engine", engine))
        return {k: v for k, v in self.engine_options.items() if k in accepted}

    @property
    def engines(self) -> list[str]:
        return [name for name in engine_names()
                if name not in NOT_SERVED and engine_available(name, self.persona)]

    def turn(self, interview_id: int) -> threading.Lock:
        """Held while a turn of this interview is answered: its turns stay in order."""
        return self._turns[interview_id % TURN_STRIPES]

    def session(self, interview_id: int) -> InterviewSession:
        """The stored interview, ready to go on; call with its :meth:`turn` held."""
        row = interview_records(self.persona).get(interview_id)
        if row is None:
            raise HTTPException(404, f"persona {self.persona.slug!r} has no interview {interview_id}")
        with self._live:
            session = self.live.get(interview_id)
        if session is None or session.exchanges != row["exchanges"]:
            session = InterviewSession.resume(self.persona, interview_id, **self.options_for(row["engine"]))
        self.keep(session)
        return session

    def keep(self, session: InterviewSession) -> None:
        with self._live:
            self.live[session.id] = session
            self.live.move_to_end(session.id)
            while len(self.live) > LIVE_SESSIONS:
                self.live.popitem(last=False)

    def card(self) -> dict:
        config = self.persona.config
        stats = self.persona.store.stats()
        return {
            "slug": config.slug,
            "name": config.name,
            "description": config.description,
            "disclosure": config.disclosure,
            "simulated": True,
            "consent": config.consent,
            "consent_note": config.consent_note,
            "provenance_note": config.provenance_note,
            "fictional": config.fictional,
            "default_engine": config.default_engine,
            "engines": self.engines,
            "models": [str(chat.ModelId(config.slug, None))]
            + [str(chat.ModelId(config.slug, e)) for e in self.engines],
            "corpus": {k: stats[k] for k in ("sources", "passages", "subject_words", "qa_pairs")},
            "index": self.index_state(),
        }


class Served:
    """Everything one app serves: the settings and a :class:`PersonaHost` per persona."""

    def __init__(self, personas: list[Persona], settings: ServeSettings):
        settings.check()
        if not personas:
            raise SosieError("no personas to serve; create one with: sosie new NAME --name \"Full Name\"")
        self.settings = settings
        self.database = None
        if settings.store:  # before anything else: an unreachable database fails the start
            from sosie.interview.pg import Postgres

            self.database = Postgres.connect(settings.store)
            for persona in personas:
                persona.interviews = self.database.interviews(persona.slug)
        self.hosts = {p.slug: PersonaHost(p, settings.engine_options, settings.serial, settings.max_waiting)
                      for p in personas}
        # panels are kept beside the personas, in their home's panels.db
        self.home = personas[0].workspace.parent

    def host(self, slug: str) -> PersonaHost:
        if slug not in self.hosts:
            raise HTTPException(404, f"no persona {slug!r} is served here (served: {', '.join(self.hosts)})")
        return self.hosts[slug]


def served(request: Request) -> Served:
    """The dependency: the app's :class:`Served`, made by ``create_app``."""
    return request.app.state.served


ServedDep = Annotated[Served, Depends(served)]
