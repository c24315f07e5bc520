"""What issue 14 suggested for the quote engine and the product does not keep, measured by
``python bench/selector.py --alternatives`` on the same splits as the engine itself:

* sentence retrieval over the whole corpus: the passages holding the 20 sentences closest to the
  question (and to the predicted answer) join the selector's pool, up to 6 more passages;
* learned weights: the window score's weights (opening sentence, length, predicted answer)
  fitted by ridge regression on the person's own visible Q/A pairs, in 5 folds, each fold's
  answers hidden while its candidate windows are scored (a linear reranker trained per person);
* a contrastive question adapter in place of the ridge map: a linear map of the question
  vector, trained on the visible pairs so that the sentences of each real answer outrank every
  other visible sentence (softmax over the whole corpus, kept near the identity);
* the whole-corpus ceiling: the best run of every passage the index shows, knowing the answer.

Each alternative is a context manager that patches the selector for the length of one run.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np

import sosie.engines.selector as selector
from sosie.corpus.sentences import sentence_spans
from sosie.engines import make_engine
from sosie.engines.base import tidy
from sosie.engines.retrieval import retrieve
from sosie.engines.selector import AnswerMap, Selector, leans_back, unit
from sosie.evaluate.metrics import rouge_l
from sosie.index.embedder import embed

CEILING_SENTENCES, CEILING_WORDS = 8, 150  # a candidate run: up to 8 sentences, 150 words

def runs_of(text: str) -> list[str]:
    """Every run of consecutive sentences of ``text`` that is a candidate answer."""
    sentences = [" ".join(text[a:b].split()) for a, b in sentence_spans(text)]
    return [" ".join(sentences[i:j]) for i in range(len(sentences))
            for j in range(i + 1, min(len(sentences), i + CEILING_SENTENCES) + 1)
            if len(" ".join(sentences[i:j]).split()) <= CEILING_WORDS]


def whole_corpus_ceiling(persona, pairs) -> tuple[np.ndarray, np.ndarray]:
    """The best run of any visible passage for each real answer (ROUGE-L over the 300 runs
    closest to it by cosine): whether the person's words exist anywhere, found or not."""
    index = persona.index
    visible = [int(p) for p, ok in zip(index.passage_ids, index.passage_allowed, strict=True) if ok]
    runs = [r for row in persona.store.passages(visible).values() for r in runs_of(row.text)]
    vectors = embed(runs)
    cosines, rouges = [], []
    for pair in pairs:
        close = vectors @ embed([pair.answer])[0]
        cosines.append(float(close.max()))
        rouges.append(max(rouge_l(runs[i], pair.answer) for i in np.argsort(-close)[:300]))
    return np.array(cosines), np.array(rouges)


@contextmanager
def sentence_retrieval(top: int = 20, extra: int = 6) -> Iterator[None]:
    """The selector's pool also gets the passages of the corpus's sentences closest to the
    question (plus the predicted answer), wherever they are."""
    choose = Selector.choose

    def wider(self, qv, relevance, rows, max_words):
        index = self.workspace.index
        answer_map = self.answer_map()
        score = index.sentence_vectors @ qv
        if answer_map is not None:
            score = score + selector.MAP_WEIGHT * (index.sentence_vectors @ answer_map.predict(qv))
        owner = np.searchsorted(index.sentence_starts, np.arange(len(score)), side="right") - 1
        score = np.where(index.passage_allowed[owner], score, -np.inf)
        relevance = dict(relevance)
        added = [int(index.passage_ids[owner[r]]) for r in np.argsort(-score)[:top]]
        for pid in [p for p in dict.fromkeys(added) if p not in relevance][:extra]:
            relevance[pid] = float(index.vectors[index.row_of[pid]] @ qv)
        rows.update(self.workspace.store.passages([p for p in relevance if p not in rows]))
        return choose(self, qv, relevance, rows, max_words)

    Selector.choose = wider
    try:
        yield
    finally:
        Selector.choose = choose


def window_features(text, spans, vectors, qv, predicted, target) -> tuple[np.ndarray, np.ndarray]:
    """The terms of the selector's window score, one row per candidate run (as ``windows``)."""
    sentences = [tidy(text[a:b]) for a, b in spans]
    words = np.concatenate([[0], np.cumsum([len(x.split()) for x in sentences])])
    first, end = [], []
    for i, sentence in enumerate(sentences):
        if not leans_back(sentence):
            last = max(i, int(np.searchsorted(words, words[i] + target, side="right")) - 2)
            first += [i] * (last - i + 1)
            end += range(i, last + 1)
    first, end = np.array(first, dtype=int), np.array(end, dtype=int)
    if not len(first):
        return np.zeros((0, 4)), np.zeros((0, len(qv)))
    running = np.vstack([np.zeros_like(vectors[:1]), np.cumsum(vectors, axis=0)])
    runs = unit(running[end + 1] - running[first])
    size = words[end + 1] - words[first]
    fit = runs @ predicted if predicted is not None else np.zeros(len(first))
    return np.stack([runs @ qv, vectors[first] @ qv, np.minimum(1.0, size / target), fit], 1), runs


def fitted_weights(persona, folds: int = 5) -> tuple[float, float, float]:
    """(FIRST_WEIGHT, LENGTH_WEIGHT, MAP_WEIGHT) fitted on the visible pairs: each candidate
    window's cosine to the real answer, centred per question, regressed on the score's terms."""
    index, store = persona.index, persona.store
    passages0, questions0 = index.passage_allowed.copy(), index.question_allowed.copy()
    turns = [int(t) for t in index.question_turn_ids[questions0]]
    asked = dict(store.db.execute(
        f"SELECT a.id, q.text FROM turns a JOIN turns q ON q.id = a.question_turn_id "
        f"WHERE a.id IN ({','.join('?' * len(turns))})", turns))
    answers = store.passage_ids_of_turns(turns)
    fold = np.random.default_rng(0).integers(0, folds, len(turns))
    rows_x, rows_y = [], []
    try:
        for k in range(folds):
            out = [t for t, f in zip(turns, fold, strict=True) if f == k]
            own = [p for t in out for p in answers.get(t, [])]
            index.passage_allowed = passages0 & ~np.isin(index.passage_ids, own)
            index.question_allowed = questions0 & ~np.isin(index.question_turn_ids, out)
            chooser = Selector(persona)
            for turn in out:
                seen = [index.vectors[index.row_of[p]] for p in answers.get(turn, []) if p in index.row_of]
                found = retrieve(persona, asked.get(turn) or "", persona.config.retrieval)
                if not seen or found.empty:
                    continue
                real = unit(np.mean(seen, axis=0))
                rows = store.passages(list(found.relevance))
                answer_map = chooser.answer_map()
                predicted = answer_map.predict(found.question_vector) if answer_map else None
                ids = chooser.pool(found.question_vector, predicted, found.relevance, rows)
                chooser.sentences(rows, ids)
                target = chooser.target_words(persona.config.retrieval.max_words)
                parts = [window_features(*chooser._sentences[p], found.question_vector, predicted, target)
                         for p in ids]
                x = np.vstack([f for f, _ in parts])
                y = np.concatenate([r @ real for _, r in parts])
                if len(y) > 1:
                    rows_x.append(x - x.mean(0))
                    rows_y.append(y - y.mean())
    finally:
        index.passage_allowed, index.question_allowed = passages0, questions0
    x, y = np.vstack(rows_x), np.concatenate(rows_y)
    w = np.linalg.solve(x.T @ x + 0.1 * np.eye(4), x.T @ y)
    return float(w[1] / w[0]), float(w[2] / w[0]), float(w[3] / w[0])


@contextmanager
def learned_weights(persona) -> Iterator[tuple[float, float, float]]:
    kept = selector.FIRST_WEIGHT, selector.LENGTH_WEIGHT, selector.MAP_WEIGHT
    fitted = fitted_weights(persona)
    selector.FIRST_WEIGHT, selector.LENGTH_WEIGHT, selector.MAP_WEIGHT = fitted
    try:
        yield fitted
    finally:
        selector.FIRST_WEIGHT, selector.LENGTH_WEIGHT, selector.MAP_WEIGHT = kept


ADAPTER_STEPS, ADAPTER_TEMPERATURE, ADAPTER_PULL = 100, 0.05, 0.01


class QuestionAdapter:
    """``predict``: the question vector through a learned linear map (the ridge map's place)."""

    def __init__(self, weights: np.ndarray):
        self.weights = weights

    def predict(self, question_vector: np.ndarray) -> np.ndarray:
        return unit(question_vector @ self.weights).astype(np.float32)


def fit_adapter(workspace) -> QuestionAdapter | None:
    """Trained on the pairs and sentences the index shows (held-out ones stay hidden)."""
    import torch

    index = workspace.index
    asked = index.question_allowed if index.question_allowed is not None else np.ones(
        len(index.question_turn_ids), dtype=bool)
    shown = index.passage_allowed if index.passage_allowed is not None else np.ones(
        len(index.passage_ids), dtype=bool)
    turns = [int(t) for t in index.question_turn_ids[asked]]
    answers = workspace.store.passage_ids_of_turns(turns)
    owner = np.searchsorted(index.sentence_starts, np.arange(len(index.sentence_vectors)), side="right") - 1
    visible = shown[owner]
    sentences, passage_of = index.sentence_vectors[visible], index.passage_ids[owner[visible]]
    rows, positives = [], []
    for n, turn in enumerate(turns):
        mask = np.isin(passage_of, answers.get(turn, []))
        if mask.any():
            rows.append(n)
            positives.append(mask)
    if len(rows) < selector.MAP_MIN_PAIRS:
        return None
    questions = torch.tensor(index.question_vectors[asked][rows], dtype=torch.float32)
    corpus = torch.tensor(sentences, dtype=torch.float32)
    answer = torch.tensor(np.array(positives))
    identity = torch.eye(questions.shape[1])
    weights = identity.clone().requires_grad_(True)
    optimiser = torch.optim.Adam([weights], lr=1e-3)
    for _ in range(ADAPTER_STEPS):
        logits = torch.nn.functional.normalize(questions @ weights, dim=1) @ corpus.T / ADAPTER_TEMPERATURE
        loss = (torch.logsumexp(logits, 1) - torch.logsumexp(logits.masked_fill(~answer, -1e9), 1)).mean()
        loss = loss + ADAPTER_PULL * ((weights - identity) ** 2).sum()
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
    return QuestionAdapter(weights.detach().numpy())


@contextmanager
def question_adapter() -> Iterator[None]:
    fit = AnswerMap.__dict__["fit"]
    AnswerMap.fit = classmethod(lambda cls, workspace: fit_adapter(workspace))
    try:
        yield
    finally:
        AnswerMap.fit = fit


def quoted(persona, pairs) -> tuple[np.ndarray, np.ndarray]:
    engine = make_engine("quote", persona)
    answers = [(lambda a: "" if a.abstained else a.text)(engine.answer(p.question)) for p in pairs]
    real = [p.answer for p in pairs]
    cosines = (embed(answers) * embed(real)).sum(1)
    return cosines, np.array([rouge_l(a, r) for a, r in zip(answers, real, strict=True)])


def alternatives(persona, pairs) -> dict:
    out = {}
    with sentence_retrieval():
        out["sentences_cos"], out["sentences_rouge"] = quoted(persona, pairs)
    with learned_weights(persona) as fitted:
        out["learned_cos"], out["learned_rouge"] = quoted(persona, pairs)
    out["weights"] = fitted
    with question_adapter():
        out["adapter_cos"], out["adapter_rouge"] = quoted(persona, pairs)
    out["corpus_cos"], out["corpus_rouge"] = whole_corpus_ceiling(persona, pairs)
    return out
