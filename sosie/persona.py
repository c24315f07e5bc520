"""``Persona``: the library's front door, a :class:`Workspace` that can answer. The CLI and the
server are thin layers over it.

>>> p = Persona.create("ada", name="Ada Example", aliases=["Ada"])   # doctest: +SKIP
>>> p.add("interviews/"); p.build()                                  # doctest: +SKIP
>>> print(p.ask("What do you think of cities?").text)                # doctest: +SKIP
"""

from __future__ import annotations

from sosie.engines import Answer, Engine, engine_for
from sosie.workspace import Workspace


class Persona(Workspace):
    """A workspace with its engines: ask it, interview it, read the transcript."""

    def engine(self, name: str | None = None, **options) -> Engine:
        """An engine by name, made once; ``options`` (backend, model, base_url) pick its backend."""
        return engine_for(self, name, **options)

    def ask(self, question: str, engine: str | None = None, on_token=None, **options) -> Answer:
        return self.engine(engine, **options).answer(question, on_token=on_token)

    def interview(self, engine: str | None = None, title: str | None = None, **options):
        from sosie.interview import InterviewSession

        return InterviewSession(self, self.engine(engine, **options), title=title)

    def transcript(self, interview_id: int | None = None, fmt: str = "md") -> str:
        from sosie.interview import transcript

        return transcript(self, interview_id, fmt)
