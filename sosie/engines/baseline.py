"""The baseline: the same language model with no persona, no retrieval, no exemplars.

It gives every fidelity number a floor: a generic assistant answering the same questions.
Its answers are labelled as what they are, never as the person.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sosie.corpus.sentences import sentence_spans
from sosie.engines.backends import Backend, backend_for, generate
from sosie.engines.base import Answer, EngineOptions, History, TokenCallback, backend_model, capped, tidy

if TYPE_CHECKING:
    from sosie.workspace import Workspace

SYSTEM = "You are a helpful assistant. Answer the interviewer's question in a few sentences."


class BaselineEngine:
    name = "baseline"
    Options = EngineOptions

    def __init__(
        self,
        workspace: Workspace,
        backend: str | None = None,
        model: str | None = None,
        base_url: str | None = None,
        max_new_tokens: int | None = None,
        grounding: str | None = None,  # accepted and unused: the baseline has no sources to keep to
        as_of: str | None = None,  # likewise: it knows no dates
        backend_instance: Backend | None = None,
    ):
        self.workspace = workspace
        self.settings = capped(workspace.config.generative, max_new_tokens)
        self.backend = backend_instance or backend_for(self.settings, backend, model, base_url)

    def answer(self, question: str, history: History = (), on_token: TokenCallback | None = None) -> Answer:
        messages = [{"role": "system", "content": SYSTEM}]
        for q, a in history:
            messages += [{"role": "user", "content": q}, {"role": "assistant", "content": a}]
        messages.append({"role": "user", "content": question})
        text = tidy(generate(self.backend, messages, self.settings, on_token))
        return Answer(
            question=question,
            text=text or "(the model gave no answer)",
            persona=self.workspace.slug,
            engine=self.name,
            disclosure=(
                "Generic assistant with no persona — an evaluation baseline, not "
                f"{self.workspace.config.name}."
            ),
            support=[
                {"sentence": text[s:e], "tag": "extrapolated", "citations": [], "similarity": 0.0}
                for s, e in sentence_spans(text)
            ],
            model=backend_model(self.backend, "wrote"),
        )
