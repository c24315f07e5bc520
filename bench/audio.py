"""Recordings benchmark: how fast Sosie transcribes and tells speakers apart, beside bare
faster-whisper on the same audio in the same run.

``python bench/audio.py [--repeat 3] [--json FILE]``

The audio is the tests' interview (tests/recordings.py: espeak-ng in two voices, about 85 s,
as a 64 kbit/s mp3). Per run:

* baseline: ``faster_whisper.WhisperModel(...).transcribe(mp3)`` with Sosie's settings (int8,
  beam 5, voice-activity filter, word timestamps), the segments consumed; the model is loaded
  beforehand. The same without word timestamps is timed too: what telling speakers apart word
  by word costs the transcription;
* Sosie's transcription: ``read_recording`` on a fresh cache, as ``sosie add`` does it: sha256,
  ffprobe, ffmpeg decoding, the same transcription, the cached transcript written, and the
  speakers found (voice windows, clustering, a speaker per word) timed on their own;
* the real-time factor of each (seconds of work per second of audio: under 1 is faster than
  real time) and Sosie's overhead over the baseline.

Target: Sosie's transcription within 10% of bare faster-whisper. A benchmark reports: it exits 0
whatever the numbers.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent / "tests")]

import recordings as rec  # noqa: E402

from sosie import models  # noqa: E402
from sosie.corpus import audio  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        wav, turns = rec.interview(folder / "made")
        mp3 = rec.to_mp3(wav)
        length = turns[-1].end + rec.GAP
        if models.installed(audio.DEFAULT_ASR) is None:  # its parts come with `make`; join them once
            models.add_model(audio.DEFAULT_ASR)
        _, model_folder = audio.asr_folder(None)
        model = audio._whisper(str(model_folder))  # loaded once, outside every timing
        runs = []
        for i in range(args.repeat):
            began = time.perf_counter()
            segments, _ = model.transcribe(str(mp3), beam_size=5, vad_filter=True,
                                           condition_on_previous_text=False)
            list(segments)  # a generator: transcribing happens as it is read
            no_words = time.perf_counter() - began
            began = time.perf_counter()
            segments, _ = model.transcribe(str(mp3), beam_size=5, vad_filter=True,
                                           condition_on_previous_text=False, word_timestamps=True)
            bare_words = sum(len(s.text.split()) for s in segments)
            bare = time.perf_counter() - began

            media = folder / f"media-{i}"
            began = time.perf_counter()
            source = audio.read_recording(mp3, media, audio.Listening(), single_speaker=True)
            sosie = time.perf_counter() - began
            began = time.perf_counter()
            audio.read_recording(mp3, media, audio.Listening(), single_speaker=False)  # cached transcript
            speakers = time.perf_counter() - began
            runs.append({"bare_s": bare, "no_words_s": no_words, "sosie_s": sosie, "speakers_s": speakers,
                         "bare_words": bare_words, "sosie_words": len(source.text.split())})
            print(f"run {i + 1}: bare {bare:.2f} s (no word times {no_words:.2f} s), Sosie {sosie:.2f} s, "
                  f"speakers {speakers:.2f} s", file=sys.stderr)
    p50 = {key: statistics.median(r[key] for r in runs)
           for key in ("bare_s", "no_words_s", "sosie_s", "speakers_s")}
    result = {
        "audio_seconds": round(length, 1),
        "runs": runs,
        "rtf_no_words": p50["no_words_s"] / length,
        "rtf_bare": p50["bare_s"] / length,
        "rtf_sosie": p50["sosie_s"] / length,
        "rtf_speakers": p50["speakers_s"] / length,
        "overhead": p50["sosie_s"] / p50["bare_s"] - 1,
        "worst_overhead": max(r["sosie_s"] / r["bare_s"] for r in runs) - 1,
    }
    print(f"audio: {length:.0f} s, {args.repeat} runs (p50)")
    print(f"{'':28}{'seconds':>9}{'real-time factor':>18}")
    print(f"{'bare faster-whisper':28}{p50['bare_s']:9.2f}{result['rtf_bare']:18.3f}")
    print(f"{'  (without word timestamps)':28}{p50['no_words_s']:9.2f}{result['rtf_no_words']:18.3f}")
    print(f"{'Sosie transcription':28}{p50['sosie_s']:9.2f}{result['rtf_sosie']:18.3f}")
    print(f"{'Sosie speakers (diarisation)':28}{p50['speakers_s']:9.2f}{result['rtf_speakers']:18.3f}")
    print(f"Sosie / bare: {p50['sosie_s'] / p50['bare_s']:.3f}x (overhead {result['overhead']:+.1%}, "
          f"worst run {result['worst_overhead']:+.1%}; target <= +10%)")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
