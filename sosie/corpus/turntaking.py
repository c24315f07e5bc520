"""Who said each word, and the turns the words make.

Whisper's segments follow the sentences, not the speakers: a question and its answer with no
pause between them often share one segment. So a speaker is chosen per WORD (faster-whisper's
word timestamps), from the voice windows of :mod:`sosie.corpus.voices` that cover it: every
10 ms frame scores each speaker by how close the windows over it are to that speaker's voice,
the windows weighted by how near their middle the frame is, and a word takes the speaker whose
frames score best. Whisper lets a word's start swallow the pause before it, so a word is judged
on its last 0.3 s of sound. A lone word whose voice is unclear takes its neighbours' speaker (a
flicker must not split a turn); one that clearly is another voice, like an interviewer's
"Right." inside an answer, stays a turn of its own.

>>> runs(["a", "a", "b", "a"])
[(0, 2, 'a'), (2, 3, 'b'), (3, 4, 'a')]
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from sosie.corpus import voices
from sosie.corpus.voices import FRAME, Speakers, Windows
from sosie.errors import BadSource

TAIL = 0.3  # seconds at a word's end that decide its speaker
# A word of a speaker between two words of another is a flicker unless its frames favour its
# own voice by at least this much (cosine): an interviewer's "Right." between short pauses
# scored 0.26 here, words given the wrong speaker at a turn's edge 0.00-0.04.
INTERJECTION = 0.08
Word = tuple[float, float, str]  # start, end (seconds), text as Whisper wrote it


def frame_scores(windows: Windows, speakers: Speakers, frames: int) -> np.ndarray:
    """``(frames, speakers)``: each 10 ms frame's closeness to each voice, NaN where no window
    covers it. Windows are weighted by a triangle peaking at their middle, so that the scores
    change speaker where the voices do, not a window's width earlier."""
    width = round(windows.length * 100)
    taper = np.bartlett(width + 2)[1:-1]
    total = np.zeros((frames, speakers.count))
    weight = np.zeros(frames)
    similarity = windows.vectors.astype(np.float64) @ speakers.centroids.T.astype(np.float64)
    for start, scores in zip(windows.starts, similarity, strict=True):
        first = int(round(start * 100))
        last = min(frames, first + width)
        if last > first:
            total[first:last] += taper[: last - first, None] * scores
            weight[first:last] += taper[: last - first]
    with np.errstate(invalid="ignore", divide="ignore"):
        return total / weight[:, None]


def voiced(audio: np.ndarray) -> np.ndarray:
    """Frames with sound in them: above the recording's noise floor and within 35 dB of its
    loud frames, so that a word is judged on its sound and not on the silence Whisper gave it."""
    frames = len(audio) // FRAME
    energy = np.sqrt(np.mean(audio[: frames * FRAME].reshape(frames, FRAME).astype(np.float64) ** 2, axis=1))
    if not frames:
        return np.zeros(0, bool)
    floor, loud = np.percentile(energy, 10), np.percentile(energy, 95)
    return energy > max(3 * floor, loud * 10 ** (-35 / 20))


def word_scores(words: list[Word], scores: np.ndarray, sound: np.ndarray) -> np.ndarray:
    """``(words, speakers)``: each word's mean frame scores over the sound at its end."""
    covered = np.flatnonzero(~np.isnan(scores[:, 0])) if len(scores) else np.zeros(0, int)
    out = np.zeros((len(words), scores.shape[1]))
    for i, (start, end, _) in enumerate(words):
        first = min(int(start * 100), len(scores) - 1)
        last = min(max(int(end * 100), first + 1), len(scores))
        tail = max(first, last - round(TAIL * 100))
        frames = np.arange(tail, last)
        frames = frames[sound[frames]] if sound[frames].any() else np.arange(first, last)
        frames = frames[~np.isnan(scores[frames, 0])]
        if not len(frames) and len(covered):  # no window over it: the nearest covered frame
            frames = covered[[int(np.argmin(np.abs(covered - (first + last) // 2)))]]
        if len(frames):
            out[i] = scores[frames].mean(axis=0)
    return out


def runs(labels: list) -> list[tuple[int, int, object]]:
    """``(first, after_last, label)`` of each run of equal labels."""
    found: list[tuple[int, int, object]] = []
    for i, label in enumerate(labels):
        if found and found[-1][2] == label:
            found[-1] = (found[-1][0], i + 1, label)
        else:
            found.append((i, i + 1, label))
    return found


def word_speakers(words: list[Word], scores: np.ndarray) -> list[int]:
    """The speaker of each word: its best-scoring voice, with flickers smoothed away."""
    if not len(words):
        return []
    labels = [int(i) for i in np.argmax(scores, axis=1)]
    changed = True
    while changed:  # a flicker folded in can make its neighbours one run: look again
        changed = False
        found = runs(labels)
        for before, (first, last, label), after in zip(found, found[1:], found[2:], strict=False):
            if last - first > 1 or before[2] != after[2]:
                continue
            margin = float(scores[first, label] - scores[first, before[2]])
            if margin < INTERJECTION:
                labels[first] = int(before[2])
                changed = True
    return labels


def turn_items(segments: list[dict], speakers: list[int], names: list[str]) -> list[dict]:
    """What the speech-to-text reader takes: one item per run of one speaker's words within a
    Whisper segment, with its start (its locator), end, text, speaker and number of words."""
    items: list[dict] = []
    at = 0
    for segment in segments:
        words = segment["words"]
        for first, last, label in runs(speakers[at : at + len(words)]):
            said = words[first:last]
            items.append({"start": said[0][0], "end": said[-1][1], "speaker": names[int(label)],
                          "text": " ".join("".join(w[2] for w in said).split()), "words": len(said)})
        at += len(words)
    return items


def speakers_of_words(path: Path, windows: Windows, segments: list[dict], duration: float,
                      num_speakers: int | None, voice_sample: tuple[Path | None, np.ndarray | None],
                      ) -> tuple[list[dict], dict]:
    """The turn items of a recording's Whisper ``segments`` (runs of one speaker's words), and
    what was found (``subject``: the voice a sample matched), or :class:`BadSource` saying why
    its speakers cannot be told. ``voice_sample`` is the clip's path and its embedding."""
    clip, sample = voice_sample
    found = voices.diarise(windows, num_speakers)
    subject, similarity = None, None
    if sample is not None:
        if found.count == 1 and not num_speakers:  # a sample never makes two voices one
            split = voices.split_by_sample(windows, sample)
            if split is not None:
                found = split
            elif voices.partly_like_sample(windows, sample):
                raise BadSource(f"{path}: one voice found, but the voice sample {clip} "
                                "matches only part of it; give --num-speakers 2 (or --single-speaker "
                                "if it is all the subject)")
        subject, similarity = voices.match_sample(sample, found)
        if subject is None:
            raise BadSource(f"{path}: the voice sample {clip} is close to no speaker "
                            f"(best cosine {similarity:.2f} < {voices.SAMPLE_MATCH}); name the subject "
                            "with --speaker 'SPEAKER_n=Name' instead")
    if found.count == 1 and subject is None and num_speakers != 1:
        raise BadSource(f"{path}: its speakers cannot be told apart (one voice found); if it is a "
                        "monologue by the subject add --single-speaker, else give --num-speakers N "
                        "or --voice-sample CLIP")
    if num_speakers and num_speakers > 1 and found.separation < voices.SEPARATE / 3:
        raise BadSource(f"{path}: its {num_speakers} speakers cannot be told apart "
                        f"(separation {found.separation:.2f}); --single-speaker if it is a monologue")
    words = [w for segment in segments for w in segment["words"]]
    scores = frame_scores(windows, found, int(duration * 100) + 1)
    sound = np.ones(len(scores), bool)  # no record of the sound: every frame counts
    if windows.sound is not None and len(windows.sound):
        sound[:] = False
        sound[: len(windows.sound)] = windows.sound[: len(sound)]
    labels = word_speakers(words, word_scores(words, scores, sound))
    order: dict[int, int] = {}  # SPEAKER_1 is whoever says the first word, as a reader expects
    for label in [*labels, *range(found.count)]:
        order.setdefault(label, len(order))
    names = [f"SPEAKER_{order[n] + 1}" for n in range(found.count)]
    info = {"count": found.count, "separation": round(found.separation, 3),
            "subject": names[subject] if subject is not None else None,
            "sample_similarity": round(similarity, 3) if similarity is not None else None}
    return turn_items(segments, labels, names), info
