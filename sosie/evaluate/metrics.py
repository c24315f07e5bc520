"""Fidelity metrics: attribution, Burrows' Delta, content overlap, bootstrap intervals.

Each metric is a plain function over texts; ``bootstrap`` turns per-question values into a
mean with a 95% interval, resampling questions (the unit that varies).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from sosie.profile import FUNCTION_WORDS, words_of

BACKGROUND_DIR = Path(__file__).parent / "background"
TOKEN = re.compile(r"\w+")


def bootstrap(values: Sequence[float], statistic: Callable[[np.ndarray], float] = np.mean,
              rounds: int = 1000, seed: int = 0) -> dict:
    """``{"mean", "low", "high", "n"}``: the statistic and its 95% percentile interval."""
    data = np.asarray(values)
    if data.dtype.kind not in "iu":  # index arrays (for paired statistics) stay integers
        data = data.astype(float)
    if not len(data):
        return {"mean": None, "low": None, "high": None, "n": 0}
    rng = np.random.default_rng(seed)
    samples = [statistic(data[rng.integers(0, len(data), len(data))]) for _ in range(rounds)]
    return {
        "mean": float(statistic(data)),
        "low": float(np.percentile(samples, 2.5)),
        "high": float(np.percentile(samples, 97.5)),
        "n": int(len(data)),
    }


def rouge_l(candidate: str, reference: str) -> float:
    """ROUGE-L F1 on lower-cased word tokens (longest common subsequence)."""
    a, b = TOKEN.findall(candidate.lower()), TOKEN.findall(reference.lower())
    if not a or not b:
        return 0.0
    previous = [0] * (len(b) + 1)
    for x in a:
        current = [0]
        for j, y in enumerate(b):
            current.append(previous[j] + 1 if x == y else max(previous[j + 1], current[j]))
        previous = current
    lcs = previous[-1]
    if not lcs:
        return 0.0
    precision, recall = lcs / len(a), lcs / len(b)
    return 2 * precision * recall / (precision + recall)


def background_texts(extra: Sequence[Path] = ()) -> list[str]:
    """Other writers: the fictional set the package ships, plus any the user adds."""
    from sosie.corpus.readers import read_source

    paths = sorted(BACKGROUND_DIR.glob("*.txt"))
    for path in extra:
        paths += sorted(path.rglob("*.*")) if path.is_dir() else [path]
    texts = []
    for path in paths:
        source = read_source(path)
        texts.append(source.text[source.body_start :])
    return texts


def chunks(text: str, words: int = 80) -> list[str]:
    parts = text.split()
    return [" ".join(parts[i : i + words]) for i in range(0, len(parts), words) if parts[i : i + words]]


def _style_features():
    """Character n-grams + function words: how a person writes, more than what about."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import FeatureUnion

    return FeatureUnion([
        ("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), min_df=2,
                                  sublinear_tf=True, max_features=50_000)),
        ("function_words", TfidfVectorizer(vocabulary=sorted(set(FUNCTION_WORDS)),
                                           token_pattern=r"(?u)\b\w+\b", use_idf=False)),
    ])


class AuthorshipClassifier:
    """Character n-grams + function words -> logistic regression: is this the person?"""

    def __init__(self, person: Sequence[str], others: Sequence[str], seed: int = 0):
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline

        self.model = make_pipeline(
            _style_features(), LogisticRegression(max_iter=3000, class_weight="balanced", random_state=seed)
        )
        self.model.fit(list(person) + list(others), [1] * len(person) + [0] * len(others))

    def probability(self, texts: Sequence[str]) -> np.ndarray:
        return self.model.predict_proba(list(texts))[:, 1]


class WhichPerson:
    """The same features, several people: whose words is this text? (a panel's doubles)

    >>> WhichPerson({"ada": ada_chunks, "bo": bo_chunks}).predict(["..."])   # doctest: +SKIP
    ['ada']
    """

    def __init__(self, texts_by_person: dict[str, Sequence[str]], seed: int = 0):
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline

        people = [p for p, texts in texts_by_person.items() for _ in texts]
        self.model = make_pipeline(
            _style_features(), LogisticRegression(max_iter=3000, class_weight="balanced", random_state=seed)
        )
        self.model.fit([t for texts in texts_by_person.values() for t in texts], people)

    def predict(self, texts: Sequence[str]) -> list[str]:
        return [str(p) for p in self.model.predict(list(texts))]


def _frequencies(text: str, vocabulary: Sequence[str]) -> np.ndarray:
    tokens = words_of(text)
    n = max(1, len(tokens))
    counts: dict[str, int] = {}
    for t in tokens:
        counts[t] = counts.get(t, 0) + 1
    return np.array([counts.get(w, 0) / n for w in vocabulary])


class BurrowsDelta:
    """Delta of a text to the person: mean |z(text) - z(person)| over frequent function words.

    Means and deviations come from a reference set of ~800-word chunks of the person,
    the other speakers and the background writers.
    """

    def __init__(self, person_text: str, reference: Sequence[str], top: int = 80):
        pool = chunks(person_text, 800) + [c for text in reference for c in chunks(text, 800)]
        totals = _frequencies(" ".join(pool), FUNCTION_WORDS)
        self.words = [FUNCTION_WORDS[i] for i in np.argsort(-totals)[:top]]
        matrix = np.vstack([_frequencies(c, self.words) for c in pool])
        self.mean = matrix.mean(axis=0)
        self.std = matrix.std(axis=0) + 1e-9
        self.person = self.z(person_text)

    def z(self, text: str) -> np.ndarray:
        return (_frequencies(text, self.words) - self.mean) / self.std

    def __call__(self, text: str) -> float:
        return float(np.mean(np.abs(self.z(text) - self.person)))
