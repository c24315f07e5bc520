"""The generative engine's check: every sentence tagged against the sources, then repaired.

Each sentence of the model's answer is tagged ``verbatim``, ``supported``, ``extrapolated`` or
``declined`` (the double saying the record is silent); a supported sentence without a marker
gets the marker of the passage that supports it. Then the grounding mode repairs what the
sources do not support (:mod:`sosie.engines.grounding`), the person's style is fitted (length,
no assistant phrases) and, as of a date, nothing later is kept.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import numpy as np

from sosie.corpus.sentences import sentence_spans
from sosie.engines.backends import generate
from sosie.engines.base import Repair, capped, tidy
from sosie.engines.grounding import (
    Evidence,
    Sentence,
    fill_length,
    fit_length,
    keep_to_time,
    length_cap,
    length_target,
    person_openings,
    repair,
    strip_assistant,
)
from sosie.engines.prompts import Prompt, regenerate_message
from sosie.engines.selector import leans_back
from sosie.index.embedder import embed

if TYPE_CHECKING:
    from sosie.corpus.queries import PassageRow

MARKER = re.compile(r"\s*\[(\d+)\]")
# "said so. [1] Next" -> "said so [1]. Next": a marker after the full stop belongs to that sentence
TRAILING_MARKERS = re.compile(r"([.!?…])((?:\s*\[\d+\])+)")
# the double saying the record is silent: not a claim about the person, never "repaired"
DECLINES = re.compile(
    r"\b(?:i )?(?:haven'?t|have not|never) (?:really )?(?:talked|spoken|said|written|discussed)\b|"
    r"\bnot something i(?:'ve| have) (?:talked|spoken|said)|\bi don'?t know\b|"
    r"\bnothing (?:in|on) (?:the|my) record", re.I)
REGENERATE_TOKENS = 60
FILL_SIMILARITY = 0.3  # a real sentence added to a short answer must be this close to the question


class Checking:
    """What the generative engine does after the model has written (a mixin: it needs the
    engine's ``workspace``, ``settings``, ``mode``, ``backend``, ``as_of`` and ``profile()``)."""

    def _source_vectors(self, sources: list[PassageRow]) -> np.ndarray:
        # the sources' vectors are already in the index: only the answer is embedded
        return np.vstack([self.workspace.index.vector(r.id) for r in sources])

    def tag(self, text: str, sources: list[PassageRow]) -> tuple[list[Sentence], np.ndarray]:
        """Tag each sentence and make sure every supported one carries a valid citation;
        the sentences' embeddings come back too, for the repair."""
        spans = sentence_spans(text)
        sentences = [text[s:e] for s, e in spans]
        plain = [tidy(MARKER.sub("", s)) for s in sentences]
        keep = [i for i, p in enumerate(plain) if p]
        sentences, plain = [sentences[i] for i in keep], [plain[i] for i in keep]
        if not sentences:
            return [], np.zeros((0, 1))
        mine = embed(plain, batch_size=32)
        sims = mine @ self._source_vectors(sources).T
        tagged = []
        for i, sentence in enumerate(sentences):
            cited = [int(n) for n in MARKER.findall(sentence) if 1 <= int(n) <= len(sources)]
            pool = [n - 1 for n in cited] or list(range(len(sources)))
            best = max(pool, key=lambda j: sims[i, j])
            similarity = float(sims[i, best])
            verbatim = len(plain[i].split()) >= 4 and any(
                plain[i].lower().rstrip(".!?") in tidy(r.text).lower() for r in sources
            )
            if verbatim:
                tag = "verbatim"
            elif similarity >= self.settings.supported_similarity:
                tag = "supported"
            elif DECLINES.search(plain[i]):
                tag, cited = "declined", []
            else:
                tag = "extrapolated"
            if not cited and tag in ("verbatim", "supported"):
                cited = [best + 1]  # a claim the sources support gets their citation
            tagged.append(Sentence(plain[i], tag, cited, similarity))
        return tagged, mine

    def evidence(self, sources: list[PassageRow]) -> Evidence:
        """Every sentence of the numbered sources, embedded (the strict mode's replacements)."""
        pairs, vectors, missing = [], [], []
        for n, row in enumerate(sources, start=1):
            indexed = self.workspace.index.sentences(row.id)  # built with the index: nothing to embed
            spans, known = indexed if indexed is not None else (sentence_spans(row.text), None)
            for k, (s, e) in enumerate(spans):
                text = tidy(row.text[s:e])
                if len(text.split()) >= 3:
                    pairs.append((n, text))
                    vectors.append(known[k] if known is not None else None)
                    if known is None:
                        missing.append(len(pairs) - 1)
        if missing:
            for i, v in zip(missing, embed([pairs[i][1] for i in missing], batch_size=32), strict=True):
                vectors[i] = v
        return Evidence(pairs, np.vstack(vectors) if pairs else np.zeros((0, 1)))

    def regenerate(self, sentence: Sentence, sources: list[PassageRow], system: str) -> Sentence | None:
        """One more try at an unsupported sentence, shown only its best evidence."""
        n = (sentence.citations or [1])[0]
        if not sentence.citations:
            sims = embed([sentence.text]) @ self._source_vectors(sources).T
            n = int(sims[0].argmax()) + 1
        messages = [{"role": "system", "content": system},
                    {"role": "user", "content": regenerate_message(
                        self.workspace, sentence.text, sources[n - 1], n)}]
        settings = capped(self.settings, min(REGENERATE_TOKENS, self.settings.max_new_tokens),
                          temperature=0.0)
        text = generate(self.backend, messages, settings).strip().strip('"')
        spans = sentence_spans(text)
        if not spans:
            return None
        tagged, _ = self.tag(text[spans[0][0]:spans[0][1]], sources)
        return tagged[0] if tagged else None

    def check(self, raw: str, prompt: Prompt) -> tuple[list[Sentence], list[Repair]]:
        """Tag, then repair per the mode, then fit the person's style; returns the kept
        sentences and the record of every change."""
        sources = prompt.sources
        openings = person_openings(self.profile())
        styled: list[str] = []
        repairs: list[Repair] = []
        for s, e in sentence_spans(raw):
            original = raw[s:e]
            cleaned, changed = strip_assistant(original.strip(), openings)
            if changed:
                repairs.append({"sentence": tidy(MARKER.sub("", original)),
                                "action": "restyled" if cleaned else "dropped",
                                "why": "assistant phrase", **({"by": cleaned} if cleaned else {})})
            if cleaned:
                styled.append(cleaned)
        sentences, vectors = self.tag(" ".join(styled), sources)
        cache: list[Evidence] = [prompt.evidence] if prompt.evidence is not None else []

        def evidence() -> Evidence:
            if not cache:
                cache.append(self.evidence(sources))
            return cache[0]

        system = prompt.messages[0]["content"]
        fixed = repair(sentences, vectors, self.mode, evidence,
                       lambda s: self.regenerate(s, sources, system),
                       self.settings.replace_similarity, self.settings.regenerate)
        kept, repairs = fixed.sentences, repairs + fixed.repairs
        if not kept and self.mode != "free" and prompt.question_vector is not None:
            # nothing left (or nothing said): the person's own sentence closest to the question
            found = evidence().closest(prompt.question_vector, set())
            if found:
                kept = [Sentence(found[1], "verbatim", [found[0]], found[2], "replaced")]
                repairs.append({"sentence": "", "action": "fallback", "by": found[1]})
        if self.settings.fit_length and self.mode != "free":
            kept, cut = fit_length(kept, length_cap(self.profile()))
            claims = [k for k in kept if k.tag != "declined"]  # "I haven't talked about that" stays as is
            if self.mode == "strict" and prompt.question_vector is not None and claims:
                kept, more = fill_length(kept, evidence(), length_target(self.profile()),
                                         prompt.question_vector, leans_back, FILL_SIMILARITY,
                                         prompt.answering)
                cut += more
            repairs += cut
        if self.mode != "free":
            kept, out_of_time = keep_to_time(kept, sources, self.as_of)
            repairs += out_of_time
        return kept, repairs
