"""The generative engine: a language model answers in the person's voice, grounded in sources.

Prompt (:mod:`sosie.engines.prompts`) = persona card and fixed rules, style-profile summary,
the retrieved passages numbered as sources, few-shot exemplars from the person's *real*
question/answer pairs, the interview so far (within the backend's context budget), and the
question; in strict mode the person's numbered sentences instead, the model replying with
numbers (:mod:`sosie.engines.choosing`). After generation every sentence is checked against the
passages and repaired per the grounding mode (:mod:`sosie.engines.checking`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
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
    Repair,
    Support,
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
from sosie.engines.retrieval import (
    Retrieved,
    Window,
    any_said,
    follow_up,
    retrieve,
    said_before,
    select,
    window,
)
from sosie.engines.selector import Run, Selector, asks_yes_or_no, recency_for
from sosie.engines.timeline import timeline as topic_timeline
from sosie.engines.timeline import topic_of
from sosie.errors import NotBuilt

if TYPE_CHECKING:
    from sosie.corpus.queries import PassageRow
    from sosie.engines.grounding import Evidence
    from sosie.workspace import Workspace

class GenerativeEngine(Checking):
    name = "generative"

    Options = EngineOptions

    def __init__(
        self,
        workspace: Workspace,
        backend: str | None = None,
        model: str | None = None,
        base_url: str | None = None,
        max_new_tokens: int | None = None,
        grounding: str | None = None,
        as_of: str | None = None,
        backend_instance: Backend | None = None,
    ):
        self.workspace = workspace
        self.as_of = as_of_date(as_of)
        self.settings = capped(workspace.config.generative, max_new_tokens, grounding=grounding)
        self.mode = check_mode(self.settings.grounding)
        self.retrieval = workspace.config.retrieval
        self.backend = backend_instance or backend_for(self.settings, backend, model, base_url)
        self.selector = Selector(workspace)

    def model_info(self, role: str) -> dict:
        """Which model produced an answer: ``{**backend.describe(), "role": role}``."""
        return backend_model(self.backend, role)

    def produced_by(self, repairs: list[Repair]) -> dict:
        """What really produced the answer's text: in strict mode the model chose the person's
        sentences, else it wrote; when the check set its whole answer aside for the person's
        sentence closest to the question, the embedding model chose that sentence."""
        role = "chose" if self.mode == "strict" else "wrote"
        if any(change["action"] == "fallback" for change in repairs):
            return chosen_by_embedder(instead_of=self.model_info(role))
        return self.model_info(role)

    def profile(self) -> dict | None:
        """The workspace's style profile (``None`` before the first build)."""
        try:
            return self.workspace.profile()
        except NotBuilt:
            return None

    def exemplars(self, question_vector: np.ndarray,
                  when: Window | None = None) -> tuple[list[tuple[str, str]], list[int]]:
        """The person's real answers to the past questions most like this one, and their turns
        (of those dated up to the as-of date, when there is one)."""
        ranked = self.workspace.index.similar_questions(question_vector, k=self.settings.few_shot,
                                                        allowed=when.questions if when else None)
        turns = [q.answer_turn_id for q in ranked]
        found = self.workspace.store.exchanges_of(turns)
        kept = [t for t in turns if t in found]
        return [(neutralise(clip(found[t][0], 60)), neutralise(clip(found[t][1], EXEMPLAR_WORDS)))
                for t in kept], kept

    def window(self) -> Window | None:
        return window(self.workspace, self.as_of) if self.as_of else None

    def prompt(self, question: str, history: History = (), others: Sequence[Remark] = ()) -> Prompt | None:
        """The model's messages, and what the check reads its reply against; ``None`` when the
        record has nothing on the question (the model is never called)."""
        when = self.window()
        found = retrieve(self.workspace, follow_up(question, others), self.retrieval, when)
        chosen, runs, topic = self.sources(question, found, history, others, when)
        if not chosen:
            return None
        exemplars, exemplar_turns = self.exemplars(found.question_vector, when)
        # the exemplars are the person's words too: a sentence the model takes from them is
        # checked against, and cited to, their passages (after the numbered sources)
        sources = chosen + self.exemplar_passages(exemplar_turns, {row.id for row in chosen})
        number = {row.id: n for n, row in enumerate(sources, start=1)}
        answering = [(number[r.passage_id], s) for r in runs if r.passage_id in number for s in r.sentences]
        candidates, evidence = self.strict_candidates(sources, answering, found.question_vector, topic)
        prompt = Prompt(
            messages=[], sources=sources, answering=answering, candidates=candidates, evidence=evidence,
            uncovered=uncovered_parts(self.workspace, question, self.retrieval, when),
            question_vector=found.question_vector,
            shown=len(sources) if self.mode == "strict" else len(chosen),  # strict numbers them all
        )
        prompt.messages, prompt.dropped_turns = self.messages(prompt, question, history, others, exemplars,
                                                              topic)
        return prompt

    def sources(self, question: str, found: Retrieved, history: History, others: Sequence[Remark],
                when: Window | None) -> tuple[list[PassageRow], list[Run], str | None]:
        """The passages to number, read once: MMR's, led in strict mode by the selector's runs
        (returned too); for "how has your view changed?" the timeline's picks, and its topic."""
        if found.empty:
            return [], [], None  # off-topic
        store = self.workspace.store
        relevance = found.relevance
        rows = store.passages(list(relevance))
        if others and history:  # a response draws on passages this double has not used yet, if any
            said = said_before(history)
            unsaid = {pid: v for pid, v in relevance.items()
                      if pid in rows and not any_said(rows[pid].text, said)}
            relevance = unsaid or relevance
        chosen = select(self.workspace, relevance, self.settings.sources, self.retrieval.mmr_lambda)
        runs: list[Run] = []
        if self.mode == "strict":  # the sentences that answer lead the sources, and fill a short answer
            runs = self.selector.choose(found.question_vector, relevance, rows, self.retrieval.max_words,
                                        self.retrieval.max_passages, yes_no=asks_yes_or_no(question),
                                        recency=recency_for(question, self.retrieval.recency))
            first = list(dict.fromkeys(r.passage_id for r in runs))
            chosen = (first + [p for p in chosen if p not in first])[: max(len(first), self.settings.sources)]
        topic = None if others else topic_of(question)  # a response answers the others, not a timeline
        over_time = topic_timeline(self.workspace, topic, when) if topic else None
        if over_time is not None and len(over_time.by_year) >= 2:  # "how has your view changed?"
            chosen = [s.passage_id for s in over_time.picks()]  # oldest first, dated
            rows |= store.passages([pid for pid in chosen if pid not in rows])  # beyond retrieval's
        else:
            topic = None
        return [rows[pid] for pid in chosen if pid in rows], runs, topic

    def exemplar_passages(self, turns: list[int], numbered: set[int]) -> list[PassageRow]:
        """The exemplars' passages not yet numbered that the index shows (not held out)."""
        store, index = self.workspace.store, self.workspace.index
        of_turns = store.passage_ids_of_turns(turns)
        extra = store.passages([p for t in turns for p in of_turns.get(t, [])])
        return [row for pid, row in extra.items() if pid not in numbered and index.vector(pid) is not None]

    def strict_candidates(self, sources: list[PassageRow], answering: list[tuple[int, str]],
                          question_vector: np.ndarray, topic: str | None,
                          ) -> tuple[list[tuple[int, str]], Evidence | None]:
        """Strict mode: the sentences the model picks by number (``answering`` first; by date for
        a timeline) and the sources' sentences, embedded; nothing in the other modes."""
        if self.mode != "strict":
            return [], None
        evidence = self.evidence(sources)
        return choices(answering, evidence, question_vector, chronological=topic is not None,
                       limit=self.settings.choices), evidence

    def messages(self, prompt: Prompt, question: str, history: History, others: Sequence[Remark],
                 exemplars: list[tuple[str, str]], topic: str | None) -> tuple[list[dict], int]:
        """Rules and style, real answers as few-shot turns (not in strict mode: it answers with
        numbers), the interview so far (the oldest turns dropped to fit), then the question."""
        system = system_message(self.workspace, self.profile(), self.mode)
        if self.as_of:
            system += "\n" + as_of_rule(self.workspace, self.as_of)
        messages = [{"role": "system", "content": system}]
        if self.mode != "strict":
            for q, a in exemplars:
                messages += [{"role": "user", "content": q}, {"role": "assistant", "content": a}]
        history_from = len(messages)
        for q, a in history:
            messages += [{"role": "user", "content": neutralise(q)},
                         {"role": "assistant", "content": neutralise(a)}]
        asked = neutralise(question)
        if prompt.candidates:
            block = choices_block(self.workspace, prompt.candidates, asked, prompt.sources, prompt.uncovered,
                                  others)
        else:
            block = sources_block(self.workspace, prompt.sources[:prompt.shown], asked, prompt.uncovered,
                                  topic, others)
        messages.append({"role": "user", "content": block})
        # every string above, whatever field it came from, passes one last time through the
        # same neutralisation, so no field added later can carry a control token to the model
        messages = neutralise_messages(messages)
        budget = self.backend.context_tokens - self.settings.max_new_tokens
        return fit(messages, history_from, self.backend, budget)

    def answer(self, question: str, history: History = (), on_token: TokenCallback | None = None,
               others: Sequence[Remark] = ()) -> Answer:
        """``others``: a panel's other speakers, quoted in the prompt to respond to (never as
        sources: the check and the citations know only this persona's passages)."""
        question = question.strip()
        when = self.window()
        dated = when.describe() if when else None
        if when is not None and not when.sources:
            return before_the_record(self.workspace, question, self.name, dated)
        prompt = self.prompt(question, history, others)
        if prompt is None:
            return abstention(self.workspace, question, self.name, as_of=dated)
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
            note = uncovered_note(self.workspace.config.name, prompt.uncovered)
            text = f"{text} {note}".strip()
            support.append(Support(sentence=note, tag="note", citations=[], similarity=0.0))
        used = sorted({n for s in kept for n in s.citations})
        citations = [Citation.from_passage(n, prompt.sources[n - 1]) for n in used]
        declined_only = bool(kept) and all(s.tag == "declined" for s in kept)
        return Answer(
            question=question,
            text=text or "(the model gave no answer)",
            persona=self.workspace.slug,
            engine=self.name,
            disclosure=self.workspace.config.disclosure,
            abstained=declined_only,
            citations=citations,
            support=support,
            grounding=self.mode,
            repairs=repairs,
            as_of=dated,
            model=self.produced_by(repairs),
        )
