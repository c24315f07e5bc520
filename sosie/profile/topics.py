"""What the person talks about, mined from the stored corpus: distinctive topics, a real
sentence that says a topic, and real exchanges to show the voice.

Everything here reads the corpus (``store.db``) and returns the person's own words; how they
are shown (a card's lorebook, its example dialogue) is the exporter's business.

>>> topic_terms(store, background_texts(), skip=["rowan", "adler"])[0]    # doctest: +SKIP
['library', 'libraries']
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable

from sosie.corpus.sentences import sentence_spans
from sosie.corpus.store import Store
from sosie.profile import FUNCTION_WORDS, words_of


def _tidy(text: str) -> str:
    return " ".join(text.split())


def _words(text: str) -> int:
    return len(text.split())


def stopwords() -> set[str]:
    """Words that are no one's subject: English stopwords and the profile's function words."""
    import bm25s

    return set(bm25s.stopwords.STOPWORDS_EN) | set(FUNCTION_WORDS)


def topic_terms(
    store: Store, background: Iterable[str], skip: Iterable[str] = (), top: int = 8
) -> list[list[str]]:
    """The person's distinctive subjects: words they use in many passages, far more often than
    the ``background`` writers do (other writers; not the interviewers, who ask about the very
    same subjects). ``skip``: words that are never a topic (the person's own names). Each topic
    is a list of surface forms of one stem (``["library", "libraries"]``), most frequent first."""
    from sosie.index.hybrid import tokenize

    passages = store.passage_texts()
    skipped = stopwords() | set(skip)
    others = Counter(w for text in background for w in words_of(text))
    surface: dict[str, Counter] = defaultdict(Counter)
    spread: Counter = Counter()
    for text in passages:
        seen = set()
        for word in words_of(text):
            if len(word) < 4 or "'" in word or word in skipped:
                continue
            stems = tokenize(word)
            if not stems:
                continue
            surface[stems[0]][word] += 1
            seen.add(stems[0])
        spread.update(seen)
    mine_total = sum(sum(c.values()) for c in surface.values()) or 1
    theirs_total = sum(others.values()) + 1
    scored = []
    for stem, forms in surface.items():
        if spread[stem] < 3:
            continue  # one passage's subject is not a topic of the person's
        mine = sum(forms.values()) / mine_total
        theirs = (sum(others[w] for w in forms) + 0.5) / theirs_total
        scored.append((math.log(mine / theirs) * math.log(1 + spread[stem]), stem))
    scored.sort(reverse=True)
    return [[w for w, _ in surface[stem].most_common(3)] for _, stem in scored[:top]]


def quote_for(store: Store, keys: list[str], used: set[str]) -> dict | None:
    """A real sentence of 8-40 words that says one of ``keys`` (and is not in ``used``), the one
    nearest 20 words: ``{"quote", "path", "date"}`` of its source, or ``None``."""
    pattern = re.compile(r"\b(?:" + "|".join(re.escape(k) for k in keys) + r")\b", re.I)
    best: tuple[int, dict] | None = None
    for text, date, path in store.passages_with_paths():
        if not pattern.search(text):
            continue
        for s, e in sentence_spans(text):
            sentence = _tidy(text[s:e])
            if sentence in used or not pattern.search(sentence) or not 8 <= _words(sentence) <= 40:
                continue
            distance = abs(_words(sentence) - 20)
            if best is None or distance < best[0]:
                best = (distance, {"quote": sentence, "path": path, "date": date})
    return None if best is None else best[1]


def sample_exchanges(store: Store, count: int) -> list[tuple[str | None, str]]:
    """Up to ``count`` real (question, answer) pairs, one per source in date order, then a second
    round...; answers of 25-150 words to a real question (they read as an interview). A corpus
    with no interviews gives its first passages of 15 words or more instead, question ``None``."""
    rows = store.answered_questions()
    by_source: dict[str, list] = defaultdict(list)
    for row in rows:
        if 25 <= _words(row["answer"]) <= 150:
            by_source[row["path"]].append(row)
    picked: list[tuple[str | None, str]] = []
    queues = list(by_source.values())
    while queues and len(picked) < count:
        for queue in queues:
            if queue and len(picked) < count:
                row = queue.pop(0)
                picked.append((row["question"], row["answer"]))
        queues = [q for q in queues if q]
    if picked:
        return picked
    return [(None, text) for text in store.first_passages(count, min_words=15)]
