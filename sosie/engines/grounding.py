"""Keeping a generated answer in the person's words: grounding modes, check and repair.

The generative engine tags every sentence of the model's answer ``verbatim``, ``supported`` or
``extrapolated``; then the persona's grounding mode decides what becomes of the rest:

* ``strict``: only the person's sentences, selected, ordered and lightly joined by the model.
  An unsupported sentence is replaced by the closest real sentence of the sources (cosine >=
  ``replace_similarity``), or removed.
* ``balanced``: new sentences only where a source supports them. An unsupported sentence is
  regenerated once with its best evidence; still unsupported, it is removed.
* ``free``: the model's answer as it is, every sentence tagged.

Style is a constraint in every mode: assistant phrases ("As an AI", "Great question", "In
summary") go, openings the person never uses are not added, and the answer is cut to the
person's usual length. Each change is recorded in ``Answer.repairs``:

>>> strip_assistant("Great question! I ride trains.", openings=set())
('I ride trains.', True)
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sosie.engines.base import Repair, Support, tidy
from sosie.errors import SosieError

if TYPE_CHECKING:
    from sosie.corpus.queries import PassageRow

MODES = ("strict", "balanced", "free")
# strict keeps a paraphrase only when it is the person's sentence lightly joined: this share of
# its words in one real sentence ("and so", a changed tense); else the real sentence replaces it
STRICT_OVERLAP = 0.7
WORD = re.compile(r"[a-z0-9']+")

# a sentence with one of these is the assistant speaking, never the person: it is removed
ASSISTANT_SENTENCE = re.compile(
    r"\b(?:as an ai|an ai (?:language )?model|language model|i hope (?:this|that) helps|"
    r"feel free to|let me know if|(?:great|good|excellent|interesting|wonderful) question|"
    r"happy to help|i'?m here to help|thanks? (?:you )?for (?:the|your) question|"
    r"i(?:'m| am) (?:just )?a simulation|as a simulation|i cannot (?:browse|access)|"
    r"here(?:'s| is) (?:a|an|my) (?:answer|response|summary))\b",
    re.I,
)
# openers an assistant puts before its answer; kept when the person really opens that way
ASSISTANT_OPENER = re.compile(
    r"^(?:(?:in summary|in conclusion|to summari[sz]e|to sum up|overall|certainly|sure|"
    r"absolutely|of course|indeed|ah|(?:what an? )?(?:great|good|excellent|interesting|wonderful) "
    r"question)\b[,!.:]?\s*)+",
    re.I,
)


def check_mode(mode: str) -> str:
    if mode not in MODES:
        raise SosieError(f"unknown grounding mode {mode!r}; use {', '.join(MODES)}")
    return mode


def strip_assistant(sentence: str, openings: set[str]) -> tuple[str, bool]:
    """The sentence without assistant phrasing (``""`` when it is wholly the assistant's), and
    whether anything was removed. ``openings``: the person's own opening words, lowercased."""
    rest, changed = sentence, False
    found = ASSISTANT_OPENER.match(sentence)
    if found and found.group(0).strip():
        first = found.group(0).strip(" ,!.:").lower()
        if not any(o == first or o.startswith(first + " ") for o in openings):  # else the person's
            rest, changed = sentence[found.end():], True
    if ASSISTANT_SENTENCE.search(rest) or not rest.strip(" .!"):
        return "", True  # wholly the assistant's ("As an AI, ...", "Certainly!" alone)
    return (rest[0].upper() + rest[1:], True) if changed else (sentence, False)


def person_openings(profile: dict | None) -> set[str]:
    return {tidy(o["opening"]).lower() for o in (profile or {}).get("openings", [])}


def length_target(profile: dict | None) -> int | None:
    """Words a short answer is filled to: 80% of the person's median answer."""
    median = ((profile or {}).get("answer_length") or {}).get("median")
    return int(0.8 * median) if median else None


def length_cap(profile: dict | None) -> int | None:
    """Words an answer may have: the person's 90th percentile, never under 25."""
    p90 = ((profile or {}).get("answer_length") or {}).get("p90")
    return max(25, int(p90)) if p90 else None


@dataclass
class Sentence:
    text: str  # as said, without markers
    tag: str  # verbatim | supported | extrapolated
    citations: list[int]  # source numbers, 1-based
    similarity: float
    repair: str | None = None  # replaced | regenerated | added | None

    def support(self) -> Support:
        entry: Support = {"sentence": self.text, "tag": self.tag, "citations": self.citations,
                 "similarity": round(self.similarity, 3)}
        if self.repair:
            entry["repair"] = self.repair
        return entry


@dataclass
class Evidence:
    """Every real sentence of the numbered sources, embedded once per answer."""

    sentences: list[tuple[int, str]]  # (source number, sentence)
    vectors: object  # numpy array, one row per sentence

    def overlap(self, text: str) -> float:
        """The largest share of the sentence's words found in one real sentence (1.0 = all)."""
        mine = set(WORD.findall(text.lower()))
        if not mine:
            return 0.0
        return max((len(mine & set(WORD.findall(t.lower()))) / len(mine) for _, t in self.sentences),
                   default=0.0)

    def anchor(self, text: str) -> int | None:
        """The real sentence this one is, or nearly is (STRICT_OVERLAP of its words)."""
        mine = set(WORD.findall(text.lower()))
        best, share = None, 0.0
        for i, (_, real) in enumerate(self.sentences):
            theirs = set(WORD.findall(real.lower()))
            if mine and theirs:
                overlap = len(mine & theirs) / max(len(mine), len(theirs))
                if overlap > share:
                    best, share = i, overlap
        return best if share >= STRICT_OVERLAP else None

    def closest(self, vector, exclude: set[str]) -> tuple[int, str, float] | None:
        if not self.sentences:
            return None
        sims = self.vectors @ vector
        for i in sims.argsort()[::-1]:
            n, text = self.sentences[int(i)]
            if text.lower() not in exclude:
                return n, text, float(sims[int(i)])
        return None


@dataclass
class Repaired:
    sentences: list[Sentence]
    repairs: list[Repair] = field(default_factory=list)


def repair(
    sentences: list[Sentence],
    vectors,  # the generated sentences' embeddings, row i for sentences[i]
    mode: str,
    evidence: Callable[[], Evidence],
    regenerate: Callable[[Sentence], Sentence | None],
    replace_similarity: float,
    regenerate_limit: int,
) -> Repaired:
    """Apply the mode to the tagged sentences; see the module docstring."""
    out = Repaired([])
    seen: set[str] = set()
    regenerated = 0
    for i, sentence in enumerate(sentences):
        if sentence.text.lower() in seen:
            out.repairs.append({"sentence": sentence.text, "action": "dropped", "why": "repeated"})
            continue
        loose = (mode == "strict" and sentence.tag == "supported"
                 and evidence().overlap(sentence.text) < STRICT_OVERLAP)
        if (sentence.tag != "extrapolated" and not loose) or mode == "free":
            out.sentences.append(sentence)
            seen.add(sentence.text.lower())
            continue
        if mode == "strict":
            found = evidence().closest(vectors[i], seen)
            if found and found[2] >= replace_similarity:
                n, text, similarity = found
                out.sentences.append(Sentence(text, "verbatim", [n], similarity, "replaced"))
                out.repairs.append({"sentence": sentence.text, "action": "replaced", "by": text})
                seen.add(text.lower())
                continue
        elif regenerated < regenerate_limit:  # balanced: one more try, with the evidence
            regenerated += 1
            again = regenerate(sentence)
            if again is not None and again.tag != "extrapolated" and again.text.lower() not in seen:
                again.repair = "regenerated"
                out.sentences.append(again)
                out.repairs.append({"sentence": sentence.text, "action": "regenerated", "by": again.text})
                seen.add(again.text.lower())
                continue
        out.repairs.append({"sentence": sentence.text, "action": "dropped", "why": "unsupported"})
    return out


def fit_length(sentences: list[Sentence], cap: int | None) -> tuple[list[Sentence], list[Repair]]:
    """Whole sentences from the end go until the answer is within ``cap`` words (one stays)."""
    if cap is None:
        return sentences, []
    kept, words = [], 0
    for sentence in sentences:
        size = len(sentence.text.split())
        if kept and words + size > cap:
            break
        kept.append(sentence)
        words += size
    cut = [{"sentence": s.text, "action": "dropped", "why": "longer than the person answers"}
           for s in sentences[len(kept):]]
    return kept, cut


def fill_length(kept: list[Sentence], evidence: Evidence, target: int | None, question_vector,
                leans_back: Callable[[str], bool], floor: float,
                answering: Sequence[tuple[int, str]] = ()) -> tuple[list[Sentence], list[Repair]]:
    """Lengthen a short answer with the person's own sentences: first ``answering`` (the quote
    selector's run of sentences that answer the question, in order), then as the person would
    have gone on (the sentences that follow the last kept one in its passage), then the real
    sentences closest to the question (never one that leans on a predecessor)."""
    words = sum(len(s.text.split()) for s in kept)
    if target is None or words >= target or not evidence.sentences:
        return kept, []
    used = {s.text.lower() for s in kept}
    added: list[Sentence] = []
    following: list[int] = []
    for sentence in reversed(kept):  # the latest kept sentence that is (nearly) a real one
        anchor = evidence.anchor(sentence.text)
        if anchor is not None:
            n = evidence.sentences[anchor][0]
            following = [i for i in range(anchor + 1, len(evidence.sentences))
                         if evidence.sentences[i][0] == n]
            break
    sims = evidence.vectors @ question_vector
    # the passage goes on only while it stays near the question (it drifts: stop there)
    drift = next((k for k, i in enumerate(following) if sims[i] < floor / 2), len(following))
    following = following[:drift]
    closest = [int(i) for i in sims.argsort()[::-1] if sims[int(i)] >= floor
               and not leans_back(evidence.sentences[int(i)][1])]
    position = {pair: i for i, pair in enumerate(evidence.sentences)}
    chosen = [position[pair] for pair in answering if pair in position]
    for i in chosen + following + closest:
        if words >= target:
            break
        n, text = evidence.sentences[i]
        if text.lower() in used:
            continue
        used.add(text.lower())
        added.append(Sentence(text, "verbatim", [n], float(sims[i]), "added"))
        words += len(text.split())
    notes = [{"sentence": "", "action": "added", "why": "shorter than the person answers", "by": s.text}
             for s in added]
    return kept + added, notes


def render(sentences: list[Sentence]) -> str:
    return " ".join(s.text + "".join(f" [{n}]" for n in s.citations) for s in sentences)


YEAR = re.compile(r"\b(?:1[89]|20)\d\d\b")


def keep_to_time(kept: list[Sentence], sources: list[PassageRow],
                 as_of: str | None) -> tuple[list[Sentence], list[Repair]]:
    """Drop a sentence that cites a passage from after the as-of date (a violation: the
    double must not know it yet), or that names a year none of its sources gives ("as I
    said in 2019" only from a citation's date, never invented)."""
    out, repairs = [], []
    for sentence in kept:
        cited = [sources[n - 1] for n in sentence.citations if 0 < n <= len(sources)]
        if as_of and any(not row.date or row.date > as_of for row in cited):
            repairs.append({"sentence": sentence.text, "action": "dropped",
                            "why": f"as-of violation: cites a passage dated after {as_of}"})
            continue
        given = {row.date[:4] for row in cited if row.date}
        given |= {year for row in cited for year in YEAR.findall(row.text)}
        invented = [y for y in YEAR.findall(sentence.text) if y not in given]
        if invented and sentence.tag != "verbatim":
            repairs.append({"sentence": sentence.text, "action": "dropped",
                            "why": f"names {invented[0]}, a year none of its sources gives"})
            continue
        out.append(sentence)
    return out, repairs
