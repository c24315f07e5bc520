"""Speech: answers and interviews read aloud by espeak-ng's GENERIC synthetic voices.

Sosie never clones or imitates a real person's voice, and offers no way to: the only voices
accepted are espeak-ng's language voices with, optionally, one of its numbered generic
variants (``en``, ``en-gb``, ``en+m3``, ``en+f2``). They sound plainly robotic, which is the point:
nobody can take the recording for the person. A transcript's recording begins by saying so.

>>> speak("Trains are libraries that move [1].", Path("answer.wav"))   # doctest: +SKIP
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
import wave
from pathlib import Path

from sosie.engines.base import model_label
from sosie.errors import SosieError

ESPEAK = "espeak-ng"
INSTALL = "speech needs espeak-ng (a generic synthetic voice): apt-get install espeak-ng"
# A language (``en``, ``en-gb``, ``pt-br``) and at most one numbered generic variant. espeak-ng's
# named variants and voice files given by path are refused, so no option can point the
# synthesiser at anything resembling a particular person.
VOICE = re.compile(r"^[a-z]{2,3}(-[a-z0-9]{1,8})*(\+(m[1-8]|f[1-5]))?$")
MIN_WPM, MAX_WPM = 80, 450  # espeak-ng's own usable range
CITATION = re.compile(r"\s*\[\d+(?:\s*[-–,]\s*\d+)*\]")  # [1], [1, 2], [2-4]
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")  # ctrl-A starts an espeak embedded command
TIMEOUT_S = 300

NARRATOR_VOICE = "en"
INTERVIEWER_VOICE = "en+m3"
DOUBLE_VOICE = "en+f3"
# a panel's doubles, in order of the cast: generic variants a listener can tell apart
PANEL_VOICES = ("en+f3", "en+m1", "en+f2", "en+m5", "en+f4", "en+m7")
HUMAN_VOICE = "en-gb"  # a real participant of a panel, read by a generic voice too


def espeak_path(executable: str = ESPEAK) -> str | None:
    """The full path of the espeak-ng program, or None when it is not installed."""
    return shutil.which(executable)


def speakable(text: str) -> str:
    """The text as it should be heard: no citation markers, no control characters."""
    text = CITATION.sub("", text)
    return " ".join(CONTROL.sub(" ", text).split())


def _check_voice(voice: str) -> str:
    if not VOICE.match(voice):
        raise SosieError(
            f"voice {voice!r} is not a generic espeak-ng voice; use a language such as 'en' or "
            "'en-gb', optionally with a numbered variant such as 'en+m3' or 'en+f2'"
        )
    return voice


def _check_rate(words_per_minute: int) -> int:
    if not MIN_WPM <= words_per_minute <= MAX_WPM:
        raise SosieError(f"words per minute must be between {MIN_WPM} and {MAX_WPM}, not {words_per_minute}")
    return words_per_minute


def _program(executable: str) -> str:
    path = espeak_path(executable)
    if path is None:
        raise SosieError(INSTALL if executable == ESPEAK else f"{INSTALL} (no {executable!r} on PATH)")
    return path


def speak(
    text: str,
    out: Path,
    voice: str = "en",
    words_per_minute: int = 160,
    executable: str = ESPEAK,
) -> Path:
    """Render ``text`` to the WAV file ``out`` with a generic espeak-ng voice; return ``out``."""
    spoken = speakable(text)
    if not spoken:
        raise SosieError("nothing to speak: the text is empty once citation markers are removed")
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(f".{out.name}.partial")
    try:
        _render(spoken, partial, _check_voice(voice), _check_rate(words_per_minute), _program(executable))
        partial.replace(out)  # a reader never sees half a file
    finally:
        partial.unlink(missing_ok=True)
    return out


def _render(text: str, out: Path, voice: str, words_per_minute: int, program: str) -> None:
    # The text goes in on stdin, never on a command line or through a shell: it cannot be taken
    # for an option, and its quotes and semicolons are just words.
    command = [program, "-v", voice, "-s", str(words_per_minute), "-b", "1", "-w", str(out), "--stdin"]
    try:
        result = subprocess.run(command, input=text.encode("utf-8"), capture_output=True, timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired as exc:
        raise SosieError(f"espeak-ng took over {TIMEOUT_S} s; speak a shorter text") from exc
    except OSError as exc:
        raise SosieError(f"{program}: could not run ({exc.strerror or exc}); {INSTALL}") from exc
    problem = " ".join(result.stderr.decode("utf-8", "replace").split())
    if result.returncode != 0 or not out.is_file():
        raise SosieError(f"espeak-ng failed (exit {result.returncode}): {problem or 'no output'}")


# -- transcripts ------------------------------------------------------------------------------------
def transcript_script(transcript_json: dict) -> list[tuple[str, str]]:
    """``(role, text)`` in speaking order: the disclosure, then each question and answer, then a close.

    ``role`` is ``"narrator"``, ``"interviewer"`` or ``"double"``; for a panel (a record with
    ``turns``) also ``"human"`` and ``"double:N"``, the N-th double of the cast.
    """
    if "turns" in transcript_json:
        return _panel_script(transcript_json)
    name = transcript_json.get("name") or transcript_json.get("persona") or "this person"
    disclosure = transcript_json.get("disclosure", "")
    opening = (
        f"This is a synthetic voice reading a simulation of {name}, not the real person, "
        f"and not {name}'s voice. {disclosure}{spoken_models(transcript_json.get('exchanges', []))}"
    )
    script = [("narrator", opening)]
    for exchange in transcript_json.get("exchanges", []):
        if speakable(exchange.get("question", "")):
            script.append(("interviewer", exchange["question"]))
        if speakable(exchange.get("text", "")):
            script.append(("double", exchange["text"]))
    script.append(("narrator", f"End of the interview with a simulation of {name}."))
    return script


def spoken_models(answers: list[dict]) -> str:
    """What produced the answers, said after the disclosure: one sentence per distinct model,
    without the backend and sha256 (the transcript has them)."""
    labels = dict.fromkeys(model_label(a.get("model"), detail=False) for a in answers)
    return "".join(f" Answers: {label}." for label in labels)


def _panel_script(record: dict) -> list[tuple[str, str]]:
    """A panel read aloud: the narrator names each simulated voice before it first speaks."""
    doubles = [p for p in record["participants"] if p["kind"] == "double"]
    number = {p["persona"]: i for i, p in enumerate(doubles)}
    answers = [t for t in record["turns"] if t["kind"] == "double"]
    script = [("narrator", "These are synthetic voices reading simulations, not the real people, and "
                           f"not their voices. {record['disclosure']}{spoken_models(answers)}")]
    introduced: set[str] = set()
    for turn in record["turns"]:
        if not speakable(turn.get("text", "")):
            continue
        if turn["kind"] != "double":
            script.append(("human" if turn["kind"] == "human" else "interviewer", turn["text"]))
            continue
        if turn["speaker"] not in introduced:
            introduced.add(turn["speaker"])
            script.append(("narrator", f"The simulation of {turn['name']}."))
        script.append((f"double:{number[turn['speaker']] % len(PANEL_VOICES)}", turn["text"]))
    script.append(("narrator", f"End of panel {record['panel']}, a panel of simulations."))
    return script


def speak_transcript(
    transcript_json: dict | str,
    out: Path,
    *,
    interviewer_voice: str = INTERVIEWER_VOICE,
    double_voice: str = DOUBLE_VOICE,
    narrator_voice: str = NARRATOR_VOICE,
    words_per_minute: int = 160,
    pause_s: float = 0.6,
    executable: str = ESPEAK,
) -> Path:
    """One WAV of a stored interview (``sosie.interview.transcript(persona, id, "json")``).

    The disclosure comes first, in the narrator's voice; questions and answers follow in two
    different generic voices, so a listener can tell them apart, with ``pause_s`` of silence
    between turns.
    """
    if isinstance(transcript_json, str):
        transcript_json = json.loads(transcript_json)
    voices = {
        "narrator": _check_voice(narrator_voice),
        "interviewer": _check_voice(interviewer_voice),
        "double": _check_voice(double_voice),
        "human": HUMAN_VOICE,
        **{f"double:{i}": voice for i, voice in enumerate(PANEL_VOICES)},
    }
    program = _program(executable)  # before any work: the missing program is the likely error
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="sosie-speech-") as tmp:
        parts = []
        for i, (role, text) in enumerate(transcript_script(transcript_json)):
            part = Path(tmp) / f"{i:04d}-{role}.wav"
            speak(text, part, voices[role], words_per_minute, program)
            parts.append(part)
        partial = out.with_name(f".{out.name}.partial")
        try:
            join_wavs(parts, partial, pause_s)
            partial.replace(out)
        finally:
            partial.unlink(missing_ok=True)
    return out


def join_wavs(parts: list[Path], out: Path, pause_s: float = 0.6) -> Path:
    """Concatenate WAV files of one format into ``out``, ``pause_s`` of silence between them."""
    if not parts:
        raise SosieError("nothing to join: no audio parts")
    with wave.open(str(parts[0]), "rb") as first:
        params = first.getparams()
    # 8-bit WAV is unsigned (silence is 0x80); wider samples are signed (silence is 0)
    zero = b"\x80" if params.sampwidth == 1 else b"\x00" * params.sampwidth
    silence = zero * params.nchannels * int(params.framerate * pause_s)
    with wave.open(str(out), "wb") as joined:
        joined.setnchannels(params.nchannels)
        joined.setsampwidth(params.sampwidth)
        joined.setframerate(params.framerate)
        for i, part in enumerate(parts):
            with wave.open(str(part), "rb") as audio:
                if (audio.getnchannels(), audio.getsampwidth(), audio.getframerate()) != (
                    params.nchannels, params.sampwidth, params.framerate
                ):
                    raise SosieError(f"{part}: a different audio format from {parts[0]}; cannot join")
                if i:
                    joined.writeframes(silence)
                joined.writeframes(audio.readframes(audio.getnframes()))
    return out
