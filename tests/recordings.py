"""Recordings made for the tests and ``bench/audio.py``: an interview spoken by espeak-ng in
two clearly different voices, encoded by ffmpeg the way people receive them (mp3, an mp4
with a picture), and the bad files people also receive (silence, garbage, a video with no
sound, a codec nobody decodes).

The script is ours, the voices are generic synthetic ones (nobody's voice is imitated), and
every turn's start and end in seconds is known, so the tests can say which speaker really
said each transcribed word.
"""

from __future__ import annotations

import struct
import subprocess
import wave
from dataclasses import dataclass
from pathlib import Path

RATE = 16_000
GAP = 0.7  # seconds of silence between turns, as between speakers in an interview
INTERVIEWER = ["-v", "en-us+f3", "-p", "70", "-s", "165"]
SUBJECT = ["-v", "en-gb+m3", "-p", "30", "-s", "150"]

# No digits: a number spoken as words comes back from Whisper as digits, which says nothing
# about who spoke. Everything else is ordinary interview talk.
SCRIPT = [
    ("Q", "Thank you for joining us today. When did you first start working with glass?"),
    ("A", "I started when I was a student, in a small workshop by the harbour. The furnace ran all "
          "night and I swept the floor for a year before anyone let me hold a pipe."),
    ("Q", "What did that first year teach you?"),
    ("A", "Patience, mostly. Glass punishes hurry. If you rush the cooling, the piece cracks a week "
          "later, long after you have forgotten what you did wrong."),
    ("Q", "How would you teach a child to blow glass?"),
    ("A", "I would start with water and bubbles, not fire. A child has to feel how breath becomes "
          "shape before the heat makes every mistake expensive."),
    ("Q", "Do you think machines will replace craft workshops?"),
    ("A", "Machines make the same bowl again and again. A workshop makes one bowl that remembers the "
          "hand that made it. People will always want both, but they pay for the second."),
    ("Q", "What is the hardest piece you ever made?"),
    ("A", "A chandelier for the old library. Every arm was slightly different, and the ceiling was "
          "too low for the design we had promised."),
    ("Q", "Finally, what advice would you give a young maker?"),
    ("A", "Keep a notebook of your failures. Write down the temperature, the weather and your mood. "
          "After some years you will know more than any teacher can tell you."),
]
SAMPLE = "This is my own voice, recorded at home, so that you can tell which speaker I am."
MONOLOGUE = ("Good evening. Tonight I want to talk about the furnace, the pipe and the patience "
             "they ask of anyone who works with glass. The first thing to learn is to wait.")


@dataclass
class Turn:
    role: str  # "Q" (the interviewer) or "A" (the subject)
    text: str
    start: float  # seconds into the recording
    end: float


def run(*command: str) -> None:
    subprocess.run(command, check=True, capture_output=True)


def speak(text: str, voice: list[str], out: Path) -> float:
    """``text`` in ``voice`` as a 16 kHz mono WAV; returns its length in seconds."""
    raw = out.with_suffix(".raw.wav")
    run("espeak-ng", *voice, "-w", str(raw), text)
    run("ffmpeg", "-y", "-v", "error", "-i", str(raw), "-ar", str(RATE), "-ac", "1", str(out))
    raw.unlink()
    with wave.open(str(out)) as handle:
        return handle.getnframes() / handle.getframerate()


def interview(folder: Path, turns: int = len(SCRIPT)) -> tuple[Path, list[Turn]]:
    """The scripted interview (its first ``turns`` turns) as one WAV, with each turn's times."""
    folder.mkdir(parents=True, exist_ok=True)
    frames, timed, clock = [], [], 0.0
    silence = b"\0\0" * int(GAP * RATE)
    for i, (role, text) in enumerate(SCRIPT[:turns]):
        piece = folder / f"turn{i:02d}.wav"
        length = speak(text, INTERVIEWER if role == "Q" else SUBJECT, piece)
        with wave.open(str(piece)) as handle:
            frames.append(handle.readframes(handle.getnframes()))
        piece.unlink()
        timed.append(Turn(role, text, clock, clock + length))
        frames.append(silence)
        clock += length + GAP
    out = folder / f"interview-{turns}.wav"
    with wave.open(str(out), "wb") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(RATE)
        handle.writeframes(b"".join(frames))
    return out, timed


def to_mp3(wav: Path) -> Path:
    out = wav.with_suffix(".mp3")
    run("ffmpeg", "-y", "-v", "error", "-i", str(wav), "-b:a", "64k", str(out))
    return out


PAGE = "https://www.youtube.com/watch?v=glass-talk"


def to_mp4(wav: Path) -> Path:
    """A video as yt-dlp saves one with --embed-metadata: H.264 picture, AAC sound, and the
    page, title and date in its tags."""
    out = wav.with_suffix(".mp4")
    run("ffmpeg", "-y", "-v", "error", "-f", "lavfi", "-i", "color=c=navy:s=160x120:r=5", "-i", str(wav),
        "-shortest", "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "64k",
        "-metadata", "title=Glass, a conversation", "-metadata", "date=20240502",
        "-metadata", f"purl={PAGE}", "-metadata", f"comment={PAGE}", str(out))
    return out


def voice_sample(folder: Path) -> Path:
    """A few seconds of the subject's voice saying something that is not in the interview."""
    return to_mp3(_said(SAMPLE, SUBJECT, folder / "sample.wav"))


def monologue(folder: Path) -> Path:
    return to_mp3(_said(MONOLOGUE, SUBJECT, folder / "talk.wav"))


def _said(text: str, voice: list[str], out: Path) -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    speak(text, voice, out)
    return out


def bad_files(folder: Path) -> dict[str, Path]:
    """One file per way a recording can be unusable, named by what is wrong with it."""
    folder.mkdir(parents=True, exist_ok=True)
    silent = folder / "silent.wav"
    run("ffmpeg", "-y", "-v", "error", "-f", "lavfi", "-i", f"anullsrc=r={RATE}:cl=mono", "-t", "4",
        str(silent))
    corrupt = folder / "corrupt.mp3"
    corrupt.write_bytes(b"ID3\x03\x00\x00\x00\x00\x00\x00" + bytes(range(256)) * 64)
    no_audio = folder / "no-audio.mp4"
    run("ffmpeg", "-y", "-v", "error", "-f", "lavfi", "-i", "color=c=black:s=160x120:r=5", "-t", "2",
        "-c:v", "libx264", "-pix_fmt", "yuv420p", str(no_audio))
    unknown = folder / "unknown-codec.wav"  # a RIFF header naming a format tag no decoder has
    data = b"\x01\x02" * RATE
    fmt = struct.pack("<HHIIHH", 0x3A3A, 1, RATE, RATE * 2, 2, 16)
    chunks = b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"data" + struct.pack("<I", len(data)) + data
    unknown.write_bytes(b"RIFF" + struct.pack("<I", 4 + len(chunks)) + b"WAVE" + chunks)
    return {"silent": silent, "corrupt": corrupt, "no audio": no_audio, "codec": unknown}


def words(text: str) -> list[str]:
    """Lower-case word tokens, punctuation gone, British and American spelling made one."""
    import re

    tokens = re.findall(r"[a-z']+", text.lower().replace("harbor", "harbour"))
    return [t.strip("'") for t in tokens if t.strip("'")]


def word_error_rate(reference: list[str], hypothesis: list[str]) -> float:
    """(substitutions + deletions + insertions) / reference words, by edit distance."""
    previous = list(range(len(hypothesis) + 1))
    for i, ref in enumerate(reference, start=1):
        current = [i]
        for j, hyp in enumerate(hypothesis, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ref != hyp)))
        previous = current
    return previous[-1] / max(len(reference), 1)
