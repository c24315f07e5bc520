"""The generative engine: a language model answers in the person's voice, grounded in sources.

Prompt (:mod:`sosie.engines.prompts`) = persona card and fixed rules, style-profile summary,
the retrieved passages numbered as sources, few-shot exemplars from the person's *real*
question/answer pairs, the interview so far (within the backend's context budget), and the
question; in strict mode the person's numbered sentences instead, the model replying with
numbers (:mod:`sosie.engines.choosing`). After generation every sentence is checked against the
passages and repaired per the grounding mode (:mod:`sosie.engines.checking`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np

from sosie.corpus.dates import as_of_date
from sosie.engines.backends import Backend, backend_for, generate
from sosie.engines.base import (
    Answer,
    Citation,
    EngineOptions,
    History,
    Remark,
    TokenCallback,
    abstention,
    backend_model,
    before_the_record,
    capped,
    chosen_by_embedder,
    tidy,
)
from sosie.engines.checking import MARKER, TRAILING_MARKERS, Checking
from sosie.engines.choosing import CHOICE_TOKENS, WORD, NumberStream, choices, chosen_text
from sosie.engines.control import neutralise, neutralise_messages
from sosie.engines.coverage import uncovered_note, uncovered_parts
from sosie.engines.grounding import check_mode, render
from sosie.engines.prompts import (
    EXEMPLAR_WORDS,
    Prompt,
    as_of_rule,
    choices_block,
    clip,
    fit,
    sources_block,
    system_message,
)
from sosie.engines.retrieval import Window, any_said, follow_up, retrieve, said_before, select, window
from sosie.engines.selector import Selector
from sosie.engines.timeline import timeline, topic_of

if TYPE_CHECKING:
    from sosie.workspace import Workspace

__all__ = ["GenerativeEngine", "Prompt", "fit", "system_message"]


class GenerativeEngine(Checking):
    name = "generative"

    Options = EngineOptions

    def __init__(
        self,
        persona: Workspace,
        backend: str | None = None,
        model: str | None = None,
        base_url: str | None = None,
        max_new_tokens: int | None = None,
        grounding: str | None = None,
        as_of: str | None = None,
        backend_instance: Backend | None = None,
    ):
        self.persona = persona
        self.as_of = as_of_date(as_of)
        self._profile: tuple[int, dict] | None = None
        self.settings = capped(persona.config.generative, max_new_tokens, grounding=grounding)
        self.mode = check_mode(self.settings.grounding)
        self.retrieval = persona.config.quote
        self.backend = backend_instance or backend_for(self.settings, backend, model, base_url)
        self.selector = Selector(persona)

    def model_info(self, role: str) -> dict:
        """Which model produced an answer: ``{**backend.describe(), "role": role}``."""
        return backend_model(self.backend, role)

    def produced_by(self, repairs: list[dict]) -> dict:
        """What really produced the answer's text: in strict mode the model chose the person's
        sentences, else it wrote; when the check set its whole answer aside for the person's
        sentence closest to the question, the embedding model chose that sentence."""
        role = "chose" if self.mode == "strict" else "wrote"
        if any(change["action"] == "fallback" for change in repairs):
            return chosen_by_embedder(instead_of=self.model_info(role))
        return self.model_info(role)

    def profile(self) -> dict | None:
        """profile.json, read again only when a build rewrote it."""
        path = self.persona.workspace / "profile.json"
        if not path.is_file():
            return None
        stamp = path.stat().st_mtime_ns
        if self._profile is None or self._profile[0] != stamp:
            self._profile = (stamp, json.loads(path.read_text(encoding="utf-8")))
        return self._profile[1]

    def exemplars(self, question_vector: np.ndarray,
                  when: Window | None = None) -> tuple[list[tuple[str, str]], list[int]]:
        """The person's real answers to the past questions most like this one, and their turns
        (of those dated up to the as-of date, when there is one)."""
        index, store = self.persona.index, self.persona.store
        ranked = index.similar_questions(question_vector, k=self.settings.few_shot,
                                         allowed=when.questions if when else None)
        turns = [q.answer_turn_id for q in ranked]
        rows = store.db.execute(
            f"SELECT a.id, a.text AS answer, q.text AS question FROM turns a "
            f"JOIN turns q ON q.id = a.question_turn_id WHERE a.id IN ({','.join('?' * len(turns))})",
            turns,
        ).fetchall() if turns else []
        by_id = {r["id"]: r for r in rows}
        kept = [t for t in turns if t in by_id]
        return [
            (neutralise(clip(by_id[t]["question"], 60)),
             neutralise(clip(by_id[t]["answer"], EXEMPLAR_WORDS)))
            for t in kept
        ], kept

    def window(self) -> Window | None:
        return window(self.persona, self.as_of) if self.as_of else None

    def prompt(self, question: str, history: History = (), others: Sequence[Remark] = ()) -> Prompt | None:
        when = self.window()
        found = retrieve(self.persona, follow_up(question, others), self.retrieval, when)
        if found.empty:
            return None  # off-topic: the model is never called
        relevance = found.relevance
        if others and history:  # a response draws on passages this double has not used yet, if any
            said = said_before(history)
            rows = self.persona.store.passages(list(relevance))
            unsaid = {pid: v for pid, v in relevance.items()
                      if pid in rows and not any_said(rows[pid].text, said)}
            relevance = unsaid or relevance
        chosen = select(self.persona, relevance, self.settings.sources, self.retrieval.mmr_lambda)
        runs = []
        if self.mode == "strict":  # the sentences that answer lead the sources, and fill a short answer
            rows = self.persona.store.passages(list(relevance))
            runs = self.selector.choose(found.question_vector, relevance, rows, self.retrieval.max_words)
            first = list(dict.fromkeys(r.passage_id for r in runs))
            chosen = (first + [p for p in chosen if p not in first])[: max(len(first), self.settings.sources)]
        topic = None if others else topic_of(question)  # a response answers the others, not a timeline
        over_time = timeline(self.persona, topic, when) if topic else None
        if over_time is not None and len(over_time.by_year) >= 2:  # "how has your view changed?"
            said = over_time.statements
            picks = [0, *(c["before"] for c in over_time.changes[:1]), len(said) - 1]
            chosen = [said[i].passage_id for i in dict.fromkeys(picks)]  # oldest first, dated
        else:
            topic = None
        rows = self.persona.store.passages(chosen)
        sources = [rows[pid] for pid in chosen if pid in rows]
        if not sources:
            return None
        uncovered = uncovered_parts(self.persona, question, self.retrieval, when)
        system = system_message(self.persona, self.profile(), self.mode)
        if self.as_of:
            system += "\n" + as_of_rule(self.persona, self.as_of)
        messages = [{"role": "system", "content": system}]
        exemplars, exemplar_turns = self.exemplars(found.question_vector, when)
        # the exemplars are the person's words too: a sentence the model takes from them is
        # checked against, and cited to, their passages (after the numbered sources)
        shown = len(sources)
        of_turns = self.persona.store.passage_ids_of_turns(exemplar_turns)
        extra = self.persona.store.passages([p for t in exemplar_turns for p in of_turns.get(t, [])])
        seen = {r.id for r in sources}
        sources += [r for pid, r in extra.items()
                    if pid not in seen and self.persona.index.vector(pid) is not None]
        number = {row.id: n for n, row in enumerate(sources, start=1)}
        answering = [(number[r.passage_id], s) for r in runs if r.passage_id in number for s in r.sentences]
        candidates: list[tuple[int, str]] = []
        evidence = None
        if self.mode == "strict":  # the model chooses among the person's sentences, by number
            evidence = self.evidence(sources)
            candidates = choices(answering, evidence, found.question_vector, chronological=topic is not None)
            shown = len(sources)
        else:  # the person's real answers to similar questions, as few-shot turns
            for q, a in exemplars:
                messages += [{"role": "user", "content": q}, {"role": "assistant", "content": a}]
        history_from = len(messages)
        for q, a in history:
            messages += [{"role": "user", "content": neutralise(q)},
                         {"role": "assistant", "content": neutralise(a)}]
        block = (choices_block(self.persona, candidates, neutralise(question), sources, uncovered, others)
                 if candidates else
                 sources_block(self.persona, sources[:shown], neutralise(question), uncovered, topic, others))
        messages.append({"role": "user", "content": block})
        # every string above, whatever field it came from, passes one last time through the
        # same neutralisation, so no field added later can carry a control token to the model
        messages = neutralise_messages(messages)
        budget = self.backend.context_tokens - self.settings.max_new_tokens
        messages, dropped = fit(messages, history_from, self.backend, budget)
        return Prompt(messages, sources, dropped, uncovered, found.question_vector, shown, answering,
                      candidates, evidence)

    def answer(self, question: str, history: History = (), on_token: TokenCallback | None = None,
               others: Sequence[Remark] = ()) -> Answer:
        """``others``: a panel's other speakers, quoted in the prompt to respond to (never as
        sources: the check and the citations know only this persona's passages)."""
        question = question.strip()
        when = self.window()
        dated = when.describe() if when else None
        if when is not None and not when.sources:
            return before_the_record(self.persona, question, self.name, dated)
        prompt = self.prompt(question, history, others)
        if prompt is None:
            return replace(abstention(self.persona, question, self.name), as_of=dated)
        own = ""  # strict: what the model wrote besides its numbers (never said)
        if prompt.candidates:  # strict: the model replies with numbers; the person's sentences are the answer
            numbers = capped(self.settings, min(CHOICE_TOKENS, self.settings.max_new_tokens))
            reply = generate(self.backend, prompt.messages, numbers,
                             NumberStream(prompt.candidates, on_token) if on_token else None)
            # a model that answers in prose instead ("I haven't talked about that", or a fine-tuned
            # one that only talks like the person) gets the sentence-by-sentence check below
            raw = chosen_text(reply, prompt.candidates)
            own, raw = (tidy(re.sub(r"[\d,;\[\]]+", " ", reply)), raw) if raw else ("", reply.strip())
        else:
            raw = generate(self.backend, prompt.messages, self.settings, on_token).strip()
        # markers that point at no source are the model's invention: drop them
        raw = MARKER.sub(lambda m: m.group(0) if 1 <= int(m.group(1)) <= prompt.shown else "", raw)
        raw = TRAILING_MARKERS.sub(lambda m: m.group(2) + m.group(1), raw)
        kept, repairs = self.check(raw, prompt)
        if prompt.candidates and len(WORD.findall(own)) >= 3:  # said nowhere: shown as taken out
            repairs.insert(0, {"sentence": own, "action": "dropped",
                               "why": "the model's own words (strict says only the person's sentences)"})
        text = render(kept)
        support = [s.support() for s in kept]
        if prompt.uncovered:
            note = uncovered_note(self.persona.config.name, prompt.uncovered)
            text = f"{text} {note}".strip()
            support.append({"sentence": note, "tag": "note", "citations": [], "similarity": 0.0})
        used = sorted({n for s in kept for n in s.citations})
        citations = [Citation.from_passage(n, prompt.sources[n - 1]) for n in used]
        declined_only = bool(kept) and all(s.tag == "declined" for s in kept)
        return Answer(
            question=question,
            text=text or "(the model gave no answer)",
            persona=self.persona.slug,
            engine=self.name,
            disclosure=self.persona.config.disclosure,
            abstained=declined_only,
            citations=citations,
            support=support,
            grounding=self.mode,
            repairs=repairs,
            as_of=dated,
            model=self.produced_by(repairs),
        )
