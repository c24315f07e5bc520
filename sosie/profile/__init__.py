"""The style profile: how the person talks, measured on their own passages.

Computed at build time and stored as readable, versioned JSON (``profile.json`` in the
workspace). The generative engine puts its summary in the prompt; the evaluation uses the
function-word frequencies for Burrows' Delta.

>>> p = compute_profile(["Look, trains win. I could be wrong, but trains win."], [])
>>> p["openings"][0]["opening"], p["hedges"]["i could be wrong"]
('Look,', 1)
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable

import numpy as np

from sosie.corpus.sentences import sentence_spans

PROFILE_FORMAT = 1
WORD = re.compile(r"[A-Za-z]+(?:['’][A-Za-z]+)?")

# High-frequency English function words, the usual material of Burrows' Delta.
FUNCTION_WORDS = (
    "a about above after again against all also although am among an and another any are as at "
    "be because been before being below between both but by can could did do does doing down "
    "during each either enough even ever every few for from further had has have having he her "
    "here hers herself him himself his how however i if in into is it its itself just least less "
    "like many may me might more most much must my myself neither never no nor not now of off "
    "often on once one only or other our ours ourselves out over own perhaps quite rather same "
    "shall she should since so some still such than that the their theirs them themselves then "
    "there these they this those though through thus to too under until up upon us very was we "
    "well were what when where whether which while who whom whose why will with within without "
    "would yet you your yours yourself yourselves"
).split()
HEDGES = (
    "i think", "i guess", "i suppose", "i could be wrong", "i might be wrong", "maybe",
    "perhaps", "probably", "sort of", "kind of", "to be honest", "honestly", "i believe",
    "it seems", "in a way", "more or less", "i'm not sure", "i am not sure",
)
FIRST_SINGULAR = {"i", "me", "my", "mine", "myself", "i'm", "i've", "i'd", "i'll"}
FIRST_PLURAL = {"we", "us", "our", "ours", "ourselves", "we're", "we've", "we'd", "we'll"}
SECOND = {"you", "your", "yours", "yourself", "yourselves", "you're", "you've", "you'd", "you'll"}


def words_of(text: str) -> list[str]:
    return [w.lower().replace("’", "'") for w in WORD.findall(text)]


def _stats(values: list[int]) -> dict:
    if not values:
        return {"mean": 0.0, "median": 0.0, "p10": 0.0, "p90": 0.0}
    arr = np.array(values, dtype=float)
    return {
        "mean": round(float(arr.mean()), 2),
        "median": float(np.median(arr)),
        "p10": float(np.percentile(arr, 10)),
        "p90": float(np.percentile(arr, 90)),
    }


def _mattr(tokens: list[str], window: int = 500) -> float:
    """Moving-average type-token ratio: vocabulary richness that does not shrink with length."""
    if len(tokens) <= window:
        return round(len(set(tokens)) / max(1, len(tokens)), 4)
    counts = Counter(tokens[:window])
    ratios = [len(counts)]
    for i in range(window, len(tokens)):
        counts[tokens[i]] += 1
        old = tokens[i - window]
        counts[old] -= 1
        if not counts[old]:
            del counts[old]
        ratios.append(len(counts))
    return round(float(np.mean(ratios)) / window, 4)


def _ngrams(tokens: list[str], n: int) -> Iterable[tuple[str, ...]]:
    return zip(*(tokens[i:] for i in range(n)), strict=False)


def signature_phrases(texts: list[str], background: list[str], top: int = 15) -> list[dict]:
    """2-4 word phrases the person repeats (in 2+ passages) far more than the background does.

    Scored by a smoothed log-ratio of rates against the other speakers' words, so
    "small tools sharp edges" beats "a lot of".
    """
    def count(docs: list[str]) -> tuple[Counter, Counter]:
        total, spread = Counter(), Counter()
        for doc in docs:
            tokens = words_of(doc)
            seen = set()
            for n in (2, 3, 4):
                for gram in _ngrams(tokens, n):
                    if all(w in FUNCTION_WORDS for w in gram) or " ".join(gram) in HEDGES:
                        continue  # hedges have their own table
                    total[gram] += 1
                    seen.add(gram)
            spread.update(seen)
        return total, spread

    mine, spread = count(texts)
    theirs, _ = count(background)
    my_total = sum(mine.values()) or 1
    their_total = sum(theirs.values()) or 1
    scored = []
    for gram, c in mine.items():
        if c < 3 or spread[gram] < 2:
            continue
        ratio = math.log((c / my_total) / ((theirs[gram] + 0.5) / (their_total + 0.5 * len(mine))))
        scored.append((ratio * math.log(1 + c) * (1 + 0.25 * (len(gram) - 2)), gram, c))
    scored.sort(reverse=True)
    picked: list[dict] = []
    for _, gram, c in scored:
        phrase = " ".join(gram)
        if any(len(set(gram) & set(p["phrase"].split())) >= min(2, len(gram)) for p in picked):
            continue  # "i could be wrong" and "could be wrong but" are one habit
        picked.append({"phrase": phrase, "count": c})
        if len(picked) == top:
            break
    return picked


def compute_profile(answers: list[str], background: list[str]) -> dict:
    """``answers``: the person's turns or passages; ``background``: other speakers' text."""
    tokens: list[str] = []
    sentence_lengths: list[int] = []
    openings: Counter = Counter()
    for text in answers:
        tokens += words_of(text)
        spans = sentence_spans(text)
        sentence_lengths += [len(words_of(text[s:e])) for s, e in spans]
        if spans:
            first = text[spans[0][0] : spans[0][1]].split()
            if first:
                # "Look," or "Honestly?" stand alone; otherwise two words ("I think")
                alone = first[0][-1] in ",.?!;:—" or len(first) == 1
                openings[first[0] if alone else " ".join(first[:2])] += 1
    n = max(1, len(tokens))
    counts = Counter(tokens)
    joined = " " + " ".join(tokens) + " "
    hedges = {h: joined.count(" " + h.replace("'", "'") + " ") for h in HEDGES}
    counts_hist, edges = np.histogram(sentence_lengths or [0], bins=[0, 5, 10, 15, 20, 25, 30, 40, 60, 1000])
    return {
        "format": PROFILE_FORMAT,
        "words": len(tokens),
        "answers": len(answers),
        "sentences": len(sentence_lengths),
        "sentence_length": {
            **_stats(sentence_lengths),
            "histogram": {"edges": edges.tolist(), "counts": counts_hist.tolist()},
        },
        "answer_length": _stats([len(words_of(a)) for a in answers]),
        "function_words": {w: round(counts[w] / n, 6) for w in FUNCTION_WORDS},
        "signature_phrases": signature_phrases(answers, background),
        "openings": [
            {"opening": o, "count": c} for o, c in openings.most_common(8) if c >= 2 or len(answers) < 5
        ],
        "hedges": {h: c for h, c in hedges.items() if c},
        "vocabulary": {"types": len(counts), "tokens": len(tokens), "mattr_500": _mattr(tokens)},
        "person_per_1000_words": {
            "first_singular": round(1000 * sum(counts[w] for w in FIRST_SINGULAR) / n, 1),
            "first_plural": round(1000 * sum(counts[w] for w in FIRST_PLURAL) / n, 1),
            "second": round(1000 * sum(counts[w] for w in SECOND) / n, 1),
        },
    }


def summary(profile: dict, name: str) -> str:
    """A few lines a language model can follow."""
    lines = [
        f"{name} answers in about {profile['answer_length']['median']:.0f} words, with sentences "
        f"of {profile['sentence_length']['median']:.0f} words on average (from "
        f"{profile['sentence_length']['p10']:.0f} to {profile['sentence_length']['p90']:.0f})."
    ]
    if profile["openings"]:
        lines.append("Often opens with: " + ", ".join(f'"{o["opening"]}"' for o in profile["openings"][:4]))
    if profile["signature_phrases"]:
        lines.append(
            "Signature phrases: " + "; ".join(f'"{p["phrase"]}"' for p in profile["signature_phrases"][:6])
        )
    if profile["hedges"]:
        top = sorted(profile["hedges"].items(), key=lambda kv: -kv[1])[:3]
        lines.append("Hedges with: " + ", ".join(f'"{h}"' for h, _ in top))
    person = profile["person_per_1000_words"]
    lines.append(
        f"Speaks in the first person ({person['first_singular']:.0f} I/me/my per 1000 words) "
        f"and addresses 'you' {person['second']:.0f} times per 1000 words."
    )
    return "\n".join(lines)
