"""Who spoke when: one voice embedding per transcribed segment, clustered into speakers.

The embeddings come from Resemblyzer's voice encoder (its weights ship inside the wheel, so
nothing is downloaded); the clustering is scikit-learn's agglomerative clustering on cosine
distance. The number of speakers is given, or chosen as the one whose clusters are best
separated (silhouette); a recording whose voices do not separate is one voice, and the caller
decides whether that is allowed. Nothing here synthesises a voice: a voice sample only tells
which cluster is the subject.

>>> labels_in_order([2, 2, 0, 2, 1])
[0, 0, 1, 0, 2]
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np

SAMPLE_RATE = 16_000
MIN_SECONDS = 1.5  # shorter segments carry too little voice to place; they join the nearest speaker
MAX_SPEAKERS = 8
# Best silhouette below which a recording counts as one voice: two different voices scored
# 0.79 here, one voice forced into two 0.33 (README, "Recordings").
SEPARATE = 0.3
# Two clusters whose mean voices are this close are one person: across one voice's segments
# the cosine was 0.8-0.9 here, between two people 0.6.
SAME_VOICE = 0.78
MIN_SPEAKER_SECONDS = 3.0  # a "speaker" with less placed speech than this is noise
SAMPLE_MATCH = 0.7  # cosine between a voice sample and a speaker's centroid to call it the subject


@dataclass
class Speakers:
    labels: list[int]  # one per segment, 0 for whoever speaks first
    count: int
    separation: float  # silhouette of the chosen clustering (1.0 when one voice was asked for)
    centroids: np.ndarray  # (count, dim), unit length


@cache
def _encoder():
    from resemblyzer import VoiceEncoder  # loads torch: only when a recording is read

    return VoiceEncoder("cpu", verbose=False)


def embed(audio: np.ndarray) -> np.ndarray:
    """The voice of one stretch of 16 kHz mono audio, as a unit vector."""
    return _encoder().embed_utterance(audio.astype(np.float32))


def embed_segments(audio: np.ndarray, spans: list[tuple[float, float]]) -> np.ndarray:
    """One embedding per ``(start, end)`` span in seconds; rows of zeros where a span is too
    short to hold a voice (under 0.3 s)."""
    rows = []
    for start, end in spans:
        piece = audio[int(start * SAMPLE_RATE) : int(end * SAMPLE_RATE)]
        rows.append(embed(piece) if len(piece) >= 0.3 * SAMPLE_RATE else np.zeros(256, np.float32))
    return np.vstack(rows) if rows else np.zeros((0, 256), np.float32)


def labels_in_order(labels: list[int]) -> list[int]:
    """Renumber clusters by first appearance, so SPEAKER_1 is whoever speaks first."""
    order: dict[int, int] = {}
    for label in labels:
        order.setdefault(label, len(order))
    return [order[label] for label in labels]


def _clusters(vectors: np.ndarray, k: int) -> np.ndarray:
    from sklearn.cluster import AgglomerativeClustering

    return AgglomerativeClustering(n_clusters=k, metric="cosine", linkage="average").fit_predict(vectors)


def diarise(embeddings: np.ndarray, durations: list[float], num_speakers: int | None = None) -> Speakers:
    """Cluster segment embeddings into speakers; short segments take their nearest speaker."""
    from sklearn.metrics import silhouette_score

    placed = [i for i, d in enumerate(durations) if d >= MIN_SECONDS and embeddings[i].any()]
    if len(placed) < 2:  # one segment's worth of voice: nothing to tell apart
        placed = [i for i in range(len(durations)) if embeddings[i].any()] or list(range(len(durations)))
    vectors = embeddings[placed]
    best_k, best_score, best_labels = 1, 1.0 if num_speakers == 1 else 0.0, np.zeros(len(placed), int)
    candidates = [num_speakers] if num_speakers else range(2, min(MAX_SPEAKERS, len(placed) - 1) + 1)
    seconds = np.array([durations[i] for i in placed])
    for k in candidates:
        if k < 2 or k >= len(placed):
            continue
        labels = _clusters(vectors, k)
        if not num_speakers and not _distinct(vectors, labels, seconds, k):
            continue
        score = float(silhouette_score(vectors, labels, metric="cosine"))
        if num_speakers or score > best_score:
            best_k, best_score, best_labels = k, score, labels
    if not num_speakers and best_score < SEPARATE:
        best_k, best_labels = 1, np.zeros(len(placed), int)
    centroids = np.vstack([_unit(vectors[best_labels == c].mean(axis=0)) for c in range(best_k)])
    everyone = [int(np.argmax(centroids @ row)) for row in embeddings]  # short ones: the nearest
    for slot, i in enumerate(placed):
        everyone[i] = int(best_labels[slot])
    ordered = labels_in_order(everyone)
    first_seen = {old: new for old, new in zip(everyone, ordered, strict=True)}
    centroids = centroids[[old for old, _ in sorted(first_seen.items(), key=lambda kv: kv[1])]]
    return Speakers(ordered, best_k, best_score, centroids)


def _distinct(vectors: np.ndarray, labels: np.ndarray, seconds: np.ndarray, k: int) -> bool:
    """Are these ``k`` clusters ``k`` people: each with enough speech, no two alike?"""
    if min(seconds[labels == c].sum() for c in range(k)) < MIN_SPEAKER_SECONDS:
        return False
    centroids = np.vstack([_unit(vectors[labels == c].mean(axis=0)) for c in range(k)])
    similarity = centroids @ centroids.T
    return float(similarity[~np.eye(k, dtype=bool)].max()) < SAME_VOICE


def match_sample(sample: np.ndarray, speakers: Speakers) -> tuple[int | None, float]:
    """The speaker whose voice is closest to ``sample`` (a unit embedding), and how close;
    ``None`` when no speaker reaches :data:`SAMPLE_MATCH`."""
    similarity = speakers.centroids @ sample
    best = int(np.argmax(similarity))
    return (best if similarity[best] >= SAMPLE_MATCH else None), float(similarity[best])


def _unit(vector: np.ndarray) -> np.ndarray:
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm else vector
