"""Recordings made for the tests and ``bench/audio.py``: an interview spoken by espeak-ng in
two clearly different voices, encoded by ffmpeg the way people receive them (mp3, an mp4
with a picture), and the bad files people also receive (silence, garbage, a video with no
sound, a codec nobody decodes). Conversations with real turn-taking (no pause between a
question and its answer, an interjection inside an answer, background noise) are spoken by
three different Debian speech engines: espeak-ng, flite and festival.

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


# Voices of the other engines, as ("engine", options): each engine's own generic voices
FLITE_SLT = ["flite", "slt"]  # a US woman
FLITE_RMS = ["flite", "rms"]  # a US man
FESTIVAL = ["festival", "kal_diphone"]  # a US man, diphone synthesis


def speak(text: str, voice: list[str], out: Path, trim: bool = False) -> float:
    """``text`` in ``voice`` (espeak-ng options, or a ``FLITE_*``/``FESTIVAL`` voice) as a
    16 kHz mono WAV; returns its length in seconds. ``trim`` cuts the silence the engine leaves
    around what it says, so that "no pause" between two turns means none."""
    raw = out.with_suffix(".raw.wav")
    if voice[0] == "flite":
        run("flite", "-voice", voice[1], "-t", text, "-o", str(raw))
    elif voice[0] == "festival":
        script = out.with_suffix(".txt")
        script.write_text(text)
        run("text2wave", "-eval", f"(voice_{voice[1]})", "-o", str(raw), str(script))
        script.unlink()
    else:
        run("espeak-ng", *voice, "-w", str(raw), text)
    edges = "silenceremove=start_periods=1:start_threshold=-50dB,areverse"
    run("ffmpeg", "-y", "-v", "error", "-i", str(raw), "-ar", str(RATE), "-ac", "1",
        *(["-af", f"{edges},{edges}"] if trim else []), str(out))
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
    _write_wav(out, b"".join(frames))
    return out, timed


# Conversations with real turn-taking: (role, text, seconds of silence before it). Each is
# spoken by two engines, so no two voices come from the same synthesiser.
QUICK = [  # no pause at all between a question and its answer
    ("Q", "How did you begin keeping bees?", 0.0),
    ("A", "My grandmother left me two hives and a smoker that never stayed lit. I learned by being "
          "stung, again and again.", 0.0),
    ("Q", "Do the bees know who you are?", 0.0),
    ("A", "They know my smell and my pace. On a calm morning I can open a hive without gloves.", 0.0),
    ("Q", "What do people get wrong about honey?", 0.0),
    ("A", "They think it is simple. Every field gives a different honey, and a wet spring gives "
          "almost none.", 0.0),
]
INTERJECTED = [  # the interviewer's "Right." inside an answer, with the short pauses people leave
    ("Q", "Why do you collect old maps of the sea?", 0.5),
    ("A", "My father kept a drawer of them under the stairs. Each one had pencil notes from a "
          "captain who had sailed there.", 0.3),
    ("Q", "Right.", 0.35),
    ("A", "Some notes were warnings about rocks, and some were only complaints about the food on "
          "board.", 0.35),
    ("Q", "Which chart do you treasure most?", 0.3),
    ("A", "A chart of the northern islands, drawn by hand. The coastline is wrong in a dozen places, "
          "and I love it for that.", 0.3),
]
NOISY = [  # short pauses, and a room's noise under everything
    ("Q", "Why did you open a bakery in such a small village?", 0.4),
    ("A", "Because the nearest bread was an hour away by bus. People were buying it frozen, and that "
          "seemed wrong to me.", 0.25),
    ("Q", "What time does your day begin?", 0.25),
    ("A", "Before the birds. The dough needs a slow night, so I start it in the evening and shape "
          "it before dawn.", 0.25),
    ("Q", "Which bread sells out first in the morning?", 0.25),
    ("A", "The dark rye. Nobody orders it at first, and then they cannot do without it.", 0.25),
]
SAMPLED = [  # the case: a question and its answer close enough to share a segment
    ("Q", "Where did you learn to repair clocks?", 0.3),
    ("A", "In my uncle's shop, behind the station. He gave me broken alarm clocks and told me to "
          "come back when they rang.", 0.2),
    ("Q", "What is the first thing you check?", 0.2),
    ("A", "The spring. A tired spring makes every other part look guilty.", 0.2),
    ("Q", "Do people still bring you old clocks?", 0.2),
    ("A", "Every week. Mostly they bring the clock of a parent, and they want to hear it tick the "
          "way it used to.", 0.2),
]
CLOCKS_SAMPLE = "I have spent most of my life at a workbench, with a lamp and a very small screwdriver."


def conversation(folder: Path, lines: list[tuple[str, str, float]], voices: dict[str, list[str]],
                 noise: float = 0.0, name: str = "conversation") -> tuple[Path, list[Turn]]:
    """``lines`` spoken in ``voices`` (by role) as one WAV with each line's times; ``noise`` is
    the amplitude of pink noise (full scale 1.0) mixed under all of it by sox."""
    folder.mkdir(parents=True, exist_ok=True)
    frames, timed, clock = [], [], 0.0
    for i, (role, text, pause) in enumerate(lines):
        frames.append(b"\0\0" * int(pause * RATE))
        clock += int(pause * RATE) / RATE
        piece = folder / f"{name}-{i:02d}.wav"
        speak(text, voices[role], piece, trim=True)
        with wave.open(str(piece)) as handle:
            count = handle.getnframes()
            frames.append(handle.readframes(count))
        piece.unlink()
        timed.append(Turn(role, text, clock, clock + count / RATE))
        clock += count / RATE
    frames.append(b"\0\0" * int(0.5 * RATE))
    out = folder / f"{name}.wav"
    _write_wav(out, b"".join(frames))
    if noise:
        clean = out.with_suffix(".clean.wav")
        out.replace(clean)
        # -R: the same noise every run, so a test that passes once passes again
        run("sox", "-R", "-m", "-v", "1", str(clean), "-v", str(noise),
            f"|sox -R -n -r {RATE} -c 1 -b 16 -p synth {clock + 0.5:.2f} pinknoise", str(out))
        clean.unlink()
    return out, timed


def said_by(text: str, voice: list[str], out: Path) -> Path:
    """``text`` in ``voice`` as an mp3: a voice sample, a clip."""
    out.parent.mkdir(parents=True, exist_ok=True)
    speak(text, voice, out, trim=True)
    return to_mp3(out)


def _write_wav(out: Path, frames: bytes) -> None:
    with wave.open(str(out), "wb") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(RATE)
        handle.writeframes(frames)


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
