"""Who the voices are: voice embeddings of short sliding windows over the speech, clustered
into speakers.

The embeddings come from Resemblyzer's voice encoder (its weights ship inside the wheel, so
nothing is downloaded); the clustering is agglomerative (SciPy's average linkage on cosine
distance, one tree cut at each number of speakers tried, scored by scikit-learn's
silhouette). Windows are short (1 s, every 0.25 s) so that a question and the answer that
follows it without a pause land in different windows: a whole Whisper segment can hold both,
and one embedding of it is a blend of two voices. Which speaker said each word is decided from these
windows in :mod:`sosie.corpus.turntaking`.

The number of speakers is given, or chosen as the one whose clusters are best separated
(silhouette); a recording whose voices do not separate is one voice, and the caller decides
whether that is allowed. Nothing here synthesises a voice: a voice sample only tells which
cluster is the subject, or splits a recording the clustering heard as one voice.

>>> labels_in_order([2, 2, 0, 2, 1])
[0, 0, 1, 0, 2]
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

SAMPLE_RATE = 16_000
FRAME = 160  # samples per 10 ms frame of the encoder's mel spectrogram
WINDOW = 1.0  # seconds of audio per embedding: short enough for quick turn-taking
HOP = 0.25  # seconds between windows
MAX_SPEAKERS = 8
MAX_CLUSTERED = 1500  # windows clustered at most (an hour holds ~12,000); the rest take the nearest
# Best silhouette below which a recording counts as one voice: two different synthetic voices
# scored 0.38-0.65 on 1 s windows here (README, "Recordings"); monologues never got this far,
# every split of one having a cluster under MIN_SPEAKER_SECONDS or two alike as SAME_VOICE.
SEPARATE = 0.3
# Two clusters whose mean voices are this close are one person: one voice split in two gave
# 0.87-0.95 here (noise under it included), two different synthetic voices 0.49-0.81.
SAME_VOICE = 0.85
# A "speaker" with less windowed speech than this is noise, or the edge of a turn: stray clusters
# were 1-2 windows (0.5 s) here, while an interviewer's three short questions held 2.25 s.
MIN_SPEAKER_SECONDS = 1.5
SAMPLE_MATCH = 0.7  # cosine between a voice sample and a speaker's centroid to call it the subject
# A voice sample splits a recording found to be one voice when the windows near it and the rest
# differ this much in closeness to it: two voices differed by 0.19-0.40 here, one voice by
# 0.05-0.10 (however its windows were cut in two).
SAMPLE_GAP = 0.15
TARGET_DBFS = -30.0  # the loudness the encoder was trained at (Resemblyzer's preprocessing)
OnWindows = Callable[[float, float], None]  # (seconds of audio done, seconds in all)


@dataclass
class Windows:
    """Embeddings of windows of ``WINDOW`` seconds, each starting at ``starts[i]`` seconds."""

    starts: np.ndarray  # (n,) seconds
    vectors: np.ndarray  # (n, 256), unit length
    length: float = WINDOW
    sound: np.ndarray | None = None  # per 10 ms frame of the recording: is there sound in it


@dataclass
class Speakers:
    labels: list[int]  # one per window, 0 for whoever speaks first
    count: int
    separation: float  # silhouette of the chosen clustering (1.0 when one voice was asked for)
    centroids: np.ndarray  # (count, dim), unit length


@cache
def _encoder():
    from resemblyzer import VoiceEncoder  # loads torch: only when a recording is read

    return VoiceEncoder("cpu", verbose=False)


def _normalised(audio: np.ndarray, speech: np.ndarray | None = None) -> np.ndarray:
    """``audio`` scaled so that its speech sits at the encoder's training loudness: the mel
    spectrogram it reads is not logarithmic, so a quiet recording would sound like another voice."""
    heard = audio if speech is None or not speech.any() else audio[: len(speech)][speech]
    rms = float(np.sqrt(np.mean(heard.astype(np.float64) ** 2))) if len(heard) else 0.0
    return (audio * (10 ** (TARGET_DBFS / 20) / rms)).astype(np.float32) if rms > 1e-6 else audio


def embed(audio: np.ndarray) -> np.ndarray:
    """The voice of one stretch of 16 kHz mono audio (a voice sample), as a unit vector."""
    return _encoder().embed_utterance(_normalised(audio.astype(np.float32)))


def embed_windows(audio: np.ndarray, spans: list[tuple[float, float]],
                  on_progress: OnWindows | None = None) -> Windows:
    """Windows centred every ``HOP`` seconds inside ``spans`` (the words, in seconds), embedded."""
    import torch
    from resemblyzer.audio import wav_to_mel_spectrogram

    width, hop, frames = round(WINDOW * 100), round(HOP * 100), len(audio) // FRAME
    speech = np.zeros(frames, bool)
    for start, end in spans:
        speech[int(start * 100) : int(end * 100) + 1] = True
    if frames < width or not speech.any():
        return Windows(np.zeros(0), np.zeros((0, 256), np.float32))
    starts = sorted({min(max(0, c - width // 2), frames - width) for c in range(0, frames, hop) if speech[c]})
    audio = _normalised(audio, np.repeat(speech, FRAME)[: len(audio)])
    total, vectors, batches = len(audio) / SAMPLE_RATE, [], [[starts[0]]]
    for start in starts[1:]:  # batches of up to 64 windows within 30 s: one mel spectrogram each
        if len(batches[-1]) < 64 and start - batches[-1][0] < 3000:
            batches[-1].append(start)
        else:
            batches.append([start])
    for batch in batches:
        offset = batch[0]
        mel = wav_to_mel_spectrogram(audio[offset * FRAME : (batch[-1] + width) * FRAME])
        mels = np.stack([mel[a - offset : a - offset + width] for a in batch])
        with torch.no_grad():
            vectors.append(_encoder()(torch.from_numpy(mels)).numpy())
        if on_progress:
            on_progress(min(total, (batch[-1] + width) / 100), total)
    return Windows(np.array(starts) / 100, np.vstack(vectors))


def save_windows(path: Path, windows: Windows, words: int) -> None:
    """A cache of the windows (half precision is plenty for a cosine), beside the transcript."""
    import io

    from sosie.files import atomic_write

    sound = windows.sound if windows.sound is not None else np.zeros(0, bool)
    packed = io.BytesIO()
    np.savez(packed, starts=windows.starts.astype(np.float32), vectors=windows.vectors.astype(np.float16),
             sound=np.packbits(sound), frames=len(sound), shape=np.array([WINDOW, HOP, words]))
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, packed.getvalue(), mode=None)  # whole or not at all; a stale one is redone


def load_windows(path: Path, words: int) -> Windows | None:
    """The cached windows, if made with these settings over these ``words`` (their number)."""
    try:
        with np.load(path) as found:
            if not np.allclose(found["shape"], [WINDOW, HOP, words]) or not len(found["starts"]):
                return None
            vectors = found["vectors"].astype(np.float32)
            sound = np.unpackbits(found["sound"])[: int(found["frames"])].astype(bool)
            return Windows(found["starts"].astype(np.float64), vectors, WINDOW, sound)
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):  # torn: made again
        return None


def labels_in_order(labels: list[int]) -> list[int]:
    """Renumber clusters by first appearance, so SPEAKER_1 is whoever speaks first."""
    order: dict[int, int] = {}
    for label in labels:
        order.setdefault(label, len(order))
    return [order[label] for label in labels]


def _tree(vectors: np.ndarray) -> np.ndarray:
    """Agglomerative clustering (average linkage, cosine distance), built once and cut at each
    number of clusters tried."""
    from scipy.cluster.hierarchy import linkage

    return linkage(vectors.astype(np.float64), method="average", metric="cosine")


def _clusters(tree: np.ndarray, k: int) -> np.ndarray:
    from scipy.cluster.hierarchy import fcluster

    return fcluster(tree, k, criterion="maxclust") - 1


def diarise(windows: Windows, num_speakers: int | None = None) -> Speakers:
    """Cluster window embeddings into speakers. Clusters with too little speech to be a person
    (an edge, a cough) join their nearest speaker; clusters as alike as one voice are merged,
    unless the number of speakers was given."""
    from sklearn.metrics import silhouette_score

    every = windows.vectors
    if len(every) < 4:  # a second of voice: nothing to tell apart
        return _speakers(every, np.zeros(len(every), int), 1.0)
    step = max(1, -(-len(every) // MAX_CLUSTERED))
    vectors = every[::step]
    # windows a speaker needs; fewer when the user said how many people speak
    least = MIN_SPEAKER_SECONDS / (HOP * step) / (3 if num_speakers else 1)
    best: tuple[int, float, np.ndarray] = (1, 1.0 if num_speakers == 1 else 0.0, np.zeros(len(vectors), int))
    if num_speakers == 1:
        candidates: range | list[int] = []
    elif num_speakers:  # a few more clusters than asked, so edges do not count as speakers
        candidates = list(range(num_speakers, num_speakers + 4))
    else:
        candidates = range(2, MAX_SPEAKERS + 3)
    tree = _tree(vectors)
    for k in candidates:
        if k >= len(vectors):
            break
        labels = _speaker_clusters(vectors, _clusters(tree, k), least, merge=not num_speakers)
        count = int(labels.max()) + 1
        if count < 2 or (num_speakers and count != num_speakers):
            continue
        score = float(silhouette_score(vectors, labels, metric="cosine"))
        if num_speakers:
            best = (count, score, labels)
            break
        if score > best[1] and count <= MAX_SPEAKERS:
            best = (count, score, labels)
    count, score, labels = best
    if not num_speakers and score < SEPARATE:
        count, labels = 1, np.zeros(len(vectors), int)
    centroids = _centroids(vectors, labels, count)
    return _speakers(every, np.argmax(every @ centroids.T, axis=1), score)


def _speaker_clusters(vectors: np.ndarray, labels: np.ndarray, least: float, merge: bool) -> np.ndarray:
    """Clusters relabelled as speakers ``0..n-1``: small ones join the nearest big one, and (when
    ``merge``) two whose mean voices are :data:`SAME_VOICE` alike become one."""
    big = [c for c in range(int(labels.max()) + 1) if (labels == c).sum() >= least]
    if len(big) < 2:
        return np.zeros(len(vectors), int)
    groups = [[c] for c in big]
    while merge and len(groups) > 1:
        centroids = np.vstack([_unit(vectors[np.isin(labels, g)].mean(axis=0)) for g in groups])
        similarity = centroids @ centroids.T - 2 * np.eye(len(groups))
        i, j = sorted(int(n) for n in np.unravel_index(int(np.argmax(similarity)), similarity.shape))
        if similarity[i, j] < SAME_VOICE:
            break
        groups[i] += groups.pop(j)  # j > i: popping it leaves group i where it was
    centroids = np.vstack([_unit(vectors[np.isin(labels, g)].mean(axis=0)) for g in groups])
    return np.unique(np.argmax(vectors @ centroids.T, axis=1), return_inverse=True)[1].reshape(-1)


def _centroids(vectors: np.ndarray, labels: np.ndarray, count: int) -> np.ndarray:
    return np.vstack([_unit(vectors[labels == c].mean(axis=0)) if (labels == c).any()
                      else np.zeros(vectors.shape[1], vectors.dtype) for c in range(count)])


def _speakers(vectors: np.ndarray, labels: np.ndarray, separation: float) -> Speakers:
    """Speakers numbered by first appearance, with their centroids in that order."""
    ordered = labels_in_order([int(label) for label in labels])
    count = max(ordered, default=0) + 1
    centroids = _centroids(vectors, np.array(ordered, int), count) if len(vectors) else np.zeros((1, 256))
    return Speakers(ordered, count, separation, centroids)


def match_sample(sample: np.ndarray, speakers: Speakers) -> tuple[int | None, float]:
    """The speaker whose voice is closest to ``sample`` (a unit embedding), and how close;
    ``None`` when no speaker reaches :data:`SAMPLE_MATCH`."""
    similarity = speakers.centroids @ sample
    best = int(np.argmax(similarity))
    return (best if similarity[best] >= SAMPLE_MATCH else None), float(similarity[best])


def split_by_sample(windows: Windows, sample: np.ndarray) -> Speakers | None:
    """Two speakers, the subject and the rest, where the clustering heard one voice but the
    windows' closeness to the voice sample falls in two clear groups (the best threshold,
    Otsu's); ``None`` when it does not. A sample must never make two voices one."""
    closeness = windows.vectors @ sample
    if len(closeness) < 4:
        return None
    order = np.sort(closeness)
    below = np.arange(1, len(order))  # Otsu: the cut with the most variance between the two sides
    above = len(order) - below
    sums = np.cumsum(order)[:-1]
    between = below * above * ((order.sum() - sums) / above - sums / below) ** 2
    near = closeness >= order[int(below[np.argmax(between)])]
    least = MIN_SPEAKER_SECONDS / HOP
    if min(near.sum(), (~near).sum()) < least or closeness[near].mean() < SAMPLE_MATCH:
        return None
    if closeness[near].mean() - closeness[~near].mean() < SAMPLE_GAP:
        return None
    from sklearn.metrics import silhouette_score

    labels = (~near).astype(int)  # 0: the subject, 1: the other voice; renumbered by first speech
    separation = float(silhouette_score(windows.vectors, labels, metric="cosine",
                                        sample_size=min(len(labels), MAX_CLUSTERED), random_state=0))
    return _speakers(windows.vectors, labels, separation)


def partly_like_sample(windows: Windows, sample: np.ndarray) -> bool:
    """Do some windows sound like the voice sample and others clearly not (another voice,
    likely), each for at least :data:`MIN_SPEAKER_SECONDS`?"""
    closeness = windows.vectors @ sample
    near, far = (closeness >= SAMPLE_MATCH).sum() * HOP, (closeness < SAMPLE_MATCH - 0.1).sum() * HOP
    return bool(min(near, far) >= MIN_SPEAKER_SECONDS)


def _unit(vector: np.ndarray) -> np.ndarray:
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm else vector
