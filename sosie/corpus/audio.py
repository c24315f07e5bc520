"""Recordings in: ffmpeg decodes, faster-whisper transcribes with word timestamps,
:mod:`sosie.corpus.voices` finds the voices and :mod:`sosie.corpus.turntaking` who said each word.

A recording becomes what a speech-to-text JSON export becomes (the same reader turns runs of
one speaker's words into turns), so its passages cite times (``00:31:45``) and the
interviewer's turns become the questions of real question/answer pairs. The transcript (with
every word's time) and the voice windows are cached in the workspace under the recording's
sha256 and the model: adding an unchanged recording again never transcribes it twice, and a
new ``--num-speakers`` re-clusters in seconds.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from sosie.corpus.formats import _speech_to_text
from sosie.corpus.media import MAX_HOURS, SAMPLE_RATE, decode, loudness, probe
from sosie.corpus.readers import SourceText
from sosie.errors import BadSource
from sosie.files import atomic_write, file_sha256

if TYPE_CHECKING:  # numpy loads with the first recording: `sosie --help` stays quick
    import numpy as np

    from sosie.corpus.voices import Windows

AUDIO_SUFFIXES = {".mp3", ".wav", ".m4a", ".ogg", ".flac"}
VIDEO_SUFFIXES = {".mp4", ".webm", ".mkv"}
MEDIA_SUFFIXES = AUDIO_SUFFIXES | VIDEO_SUFFIXES
DEFAULT_ASR = "whisper-base"
SILENT_RMS = 1e-4  # full scale is 1.0; digital silence and a disconnected microphone sit below
# (stage, seconds of audio done, seconds in all): "transcribing" then "speakers"
OnAudio = Callable[[str, float, float], None]


@dataclass(frozen=True)
class Listening:
    """How recordings are read; ``None`` means what was used last time for that recording
    (remembered per source), else the default."""

    asr_model: Path | None = None  # a faster-whisper model folder; default: whisper-base
    num_speakers: int | None = None  # default: estimated
    voice_sample: Path | None = None  # a short clip known to be the subject
    on_progress: OnAudio | None = None
    max_hours: float = MAX_HOURS  # longer recordings are refused before they are decoded


def asr_folder(asr_model: Path | None) -> tuple[str, Path]:
    """``(key, folder)`` of the speech model: a user's faster-whisper folder, else the
    verified whisper-base of ``sosie models add whisper-base``."""
    if asr_model is None:
        from sosie.models import BadModel, resolve

        try:
            weights = resolve(DEFAULT_ASR)
        except BadModel as exc:  # one line, on the file, and the other files still go in
            raise BadSource(f"transcribing recordings needs a speech model: {exc} "
                            "(or give --asr-model DIR)") from exc
        assert weights is not None
        return DEFAULT_ASR, weights.parent
    folder = Path(asr_model).expanduser()
    if not (folder / "model.bin").is_file() or not (folder / "config.json").is_file():
        raise BadSource(f"--asr-model {asr_model}: not a faster-whisper model folder "
                        "(it needs model.bin and config.json)")
    return f"{folder.name}-{(folder / 'model.bin').stat().st_size}", folder


@cache
def _whisper(folder: str):
    from faster_whisper import WhisperModel

    return WhisperModel(folder, device="cpu", compute_type="int8")


def transcribe(audio: np.ndarray, folder: Path, on_progress: OnAudio | None = None) -> dict:
    """faster-whisper's segments (seconds) with the language it heard and every word's time
    (``[start, end, text]``: speakers are told apart word by word). The voice-activity filter
    keeps long silences from being hallucinated into words."""
    total = len(audio) / SAMPLE_RATE
    segments, info = _whisper(str(folder)).transcribe(
        audio, beam_size=5, vad_filter=True, condition_on_previous_text=False, word_timestamps=True)
    found = []
    for segment in segments:
        text = " ".join(segment.text.split())
        words = [[round(w.start, 2), round(max(w.end, w.start), 2), w.word] for w in segment.words or []
                 if w.word.strip()]
        if text and words:
            found.append({"start": round(segment.start, 2), "end": round(segment.end, 2), "text": text,
                          "words": words})
        if on_progress:
            on_progress("transcribing", min(segment.end, total), total)
    return {"language": info.language, "duration": total, "segments": found}


def _cached(path: Path) -> dict | None:
    """A cached transcript, unless it is missing, torn, or from before word timings (those are
    transcribed again: a speaker is told per word now)."""
    try:
        heard = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    segments = heard.get("segments") if isinstance(heard, dict) else None
    if not isinstance(segments, list) or not all(isinstance(s, dict) and s.get("words") for s in segments):
        return None
    return heard


def read_recording(path: Path, media_dir: Path, listening: Listening, single_speaker: bool) -> SourceText:
    """Transcribe (or reuse the cached transcript of) ``path`` and label its speakers."""
    if not path.is_file():
        raise BadSource(f"{path}: no such file; check the path")
    sha256 = file_sha256(path)
    try:
        key, folder = asr_folder(listening.asr_model)
    except BadSource as exc:
        raise BadSource(f"{path}: {exc}") from exc
    cache_dir = media_dir / sha256
    cached = cache_dir / f"transcript-{key}.json"
    audio: np.ndarray | None = None
    heard = _cached(cached)
    if heard is None:
        try:
            audio, heard = _hear(path, cache_dir, folder, key, listening)
        except BadSource:
            with contextlib.suppress(OSError):  # a refused recording leaves no trace in the workspace
                cache_dir.rmdir()
            raise
        atomic_write(cached, json.dumps(heard, ensure_ascii=False))
    segments = heard["segments"]
    reading = {"asr_model": key, "num_speakers": listening.num_speakers,
               "voice_sample": str(listening.voice_sample) if listening.voice_sample else None}
    if single_speaker:  # one voice: whole segments, nothing to tell apart
        items = [{**segment, "speaker": "SPEAKER_1", "words": len(segment["words"])} for segment in segments]
        found_speakers = {"count": 1, "separation": None, "subject": "SPEAKER_1"}
    else:
        from sosie.corpus.turntaking import speakers_of_words

        windows = _windows(path, cache_dir / f"windows-{key}.npz", segments, audio, listening)
        sample = read_sample(listening.voice_sample) if listening.voice_sample is not None else None
        items, found_speakers = speakers_of_words(path, windows, segments, heard["duration"],
                                                  listening.num_speakers, (listening.voice_sample, sample))
    subject = found_speakers["subject"]  # None: the --speaker map (or nobody) says who they are
    turns = [{**item, "speaker": None if item["speaker"] == subject else item["speaker"]} for item in items]
    extracted = _speech_to_text(path, turns, 1.0, "segments")
    meta = {**heard.get("tags", {}), **extracted.meta,  # the file's title, date and page, if tagged
            "format": f"recording ({path.suffix.lower()[1:]}), transcribed by {key}",
            "duration_seconds": round(heard["duration"], 2), "language": heard.get("language"),
            "video": heard.get("video", False), "speakers_found": found_speakers,
            "transcription_seconds": heard.get("seconds"),
            # every run of one voice's words in a segment: its time, voice and words, for checking
            "segments": [[i["start"], i["end"], i["speaker"], i["words"]] for i in items]}
    return SourceText(path, extracted.text, sha256, path.stat().st_size, 0, meta, extracted=True,
                      locators=extracted.locators, turns=extracted.turns, media=path, reading=reading)


def _hear(path: Path, cache_dir: Path, folder: Path, key: str, listening: Listening) -> tuple:
    """Probe, decode (into ``cache_dir``), check for sound, transcribe: ``(audio, heard)``."""
    found = probe(path, listening.max_hours)
    audio = decode(path, found, cache_dir / "decoded")
    if not len(audio) or loudness(audio) < SILENT_RMS:
        raise BadSource(f"{path}: silent ({len(audio) / SAMPLE_RATE:.0f} s without sound); "
                        "nothing to transcribe")
    began = time.perf_counter()
    heard = transcribe(audio, folder, listening.on_progress)
    heard.update(found, model=key, seconds=round(time.perf_counter() - began, 2))
    if not heard["segments"]:
        raise BadSource(f"{path}: no speech found in its {heard['duration']:.0f} s of audio")
    return audio, heard


def _windows(path: Path, cached: Path, segments: list[dict], audio: np.ndarray | None,
             listening: Listening) -> Windows:
    """The voice windows over the words (and which 10 ms frames have sound), cached."""
    from sosie.corpus import turntaking, voices

    spans = [(w[0], w[1]) for segment in segments for w in segment["words"]]
    found = voices.load_windows(cached, len(spans))
    if found is not None:
        return found
    if audio is None:
        audio = decode(path, probe(path), cached)
    progress = listening.on_progress
    found = voices.embed_windows(audio, spans, (lambda done, total: progress("speakers", done, total))
                                 if progress else None)
    found.sound = turntaking.voiced(audio)
    voices.save_windows(cached, found, len(spans))
    return found


def read_sample(path: Path) -> np.ndarray:
    """The voice of a clip known to be the subject (identification only)."""
    from sosie.corpus import voices

    if not Path(path).is_file():
        raise BadSource(f"--voice-sample {path}: no such file")
    audio = decode(Path(path), probe(Path(path)))
    if len(audio) < SAMPLE_RATE:
        raise BadSource(f"--voice-sample {path}: under a second of audio; give a few seconds of the subject")
    return voices.embed(audio)


def keep_media(source: SourceText, media_dir: Path) -> str:
    """Copy a recording into the workspace (a copy-on-write clone where the file system can
    make one), so the web room can play a citation from its second even if the original moves
    or is edited: never a hard link, which an edit of the original would change under the
    recorded sha256. Returns the path relative to the workspace."""
    assert source.media is not None
    target = media_dir / source.sha256 / f"recording{source.media.suffix.lower()}"
    if not target.is_file() or target.stat().st_size != source.size:
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(target.suffix + ".partial")
        try:
            partial.unlink(missing_ok=True)
            if not clone(source.media, partial):
                shutil.copyfile(source.media, partial)
            partial.replace(target)
        finally:
            partial.unlink(missing_ok=True)
    return str(target.relative_to(media_dir.parent))


def clone(source: Path, target: Path) -> bool:
    """A copy-on-write clone (Linux FICLONE: btrfs, XFS): instant and space-free, and an edit of
    either file leaves the other as it was. False where the file system cannot."""
    import fcntl
    import os

    ficlone = 0x40049409
    with open(source, "rb") as src, open(target, "wb") as dst:
        try:
            fcntl.ioctl(dst.fileno(), ficlone, src.fileno())
        except OSError:
            dst.close()
            os.unlink(target)
            return False
    return True
