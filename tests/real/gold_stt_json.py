"""Gold speakers for stt_json: one 26-second NASA TV clip (Tracy Caldwell Dyson, first all-woman
spacewalk coverage, 18 Oct 2019) as six speech-to-text JSON exports: AssemblyAI `utterances[]`
(speaker "A", ms), AssemblyAI `words[]` only (utterances null), Deepgram `results.utterances[]`
(seconds, `transcript`, no speaker), Deepgram `results.channels[0].alternatives[0].words[]` (nova
with `punctuated_word`; whisper without it), and whisper-timestamped `segments[]` (no speaker).

Plus two Deepgram nova-2 diarised exports (`diarize=true`, integer `speaker` 0/1/2 on every word) of a
170-second stretch of the same NASA TV coverage: Andrew Morgan on the space-to-ground loop, the loop
calls of the spacewalk (crew and CAPCOM), the NASA TV commentator, and Tracy Caldwell Dyson answering
the commentator ("Tracy, how important is this..."). `dg_speakers.json` has `results.utterances[]`,
`dg_speakers_no_utterances.json` has the same words and no utterances. Deepgram's labels are NOT the
truth: label 1 mixes her answers (all three, "Absolutely." at speaker_confidence 0.03) with the loop
calls, and label 0 takes "report it's opened and stowed" in mid-sentence from label 1. So
for these two files the gold assigns each word, by its start time, to a speaker from a hand annotation
by content (_TRUTH below), and turns are runs of one true speaker."""
import json
from pathlib import Path

SUBJECT = "Tracy Caldwell Dyson"

SET = {
    "name": "stt_json",
    "kind": "speech-to-text JSON export (AssemblyAI, Deepgram, whisper-timestamped)",
    "subject": SUBJECT,
    "aliases": ["Tracy", "Caldwell Dyson", "Tracy Dyson"],
    # AssemblyAI's diarised label "A" is her (the only voice in the clip); the other single-clip files
    # carry no label. Deepgram's 0/1/2 in the dg_speakers files map to no one person (see _TRUTH).
    "speaker_map": {"A": SUBJECT},
    # no label of the diarised files is hers alone: nothing may be stored as hers unless a user says so
    "subject_unlabelled": ["dg_speakers.json", "dg_speakers_no_utterances.json"],
    "files": [
        "assemblyai_utterances.json",
        "assemblyai_transcription.json",
        "dg_utterances.json",
        "dg_transcription.json",
        "dg_whisper_transcription.json",
        "whisper_timestamped.json",
        "dg_speakers.json",
        "dg_speakers_no_utterances.json",
    ],
}


LOOP = "ISS loop (crew and CAPCOM)"
COMMENTATOR = "NASA TV commentator"
MORGAN = "Andrew Morgan"
# dg_speakers*.json: (from second, speaker) in order; a word belongs to the last entry whose second
# is <= its start. Annotated by content: Morgan hands the crew "over to Stephanie"; the commentator
# says "Final steps before they begin the space walk", asks "Tracy, how important is this...", gives
# "38 AM CST..." and "Andrew Morgan there wishing the crew luck."; she says "Absolutely.",
# "Christina and Jessica have enough work ... someone like Stephanie." and "So not only does
# Stephanie"; every procedure call ("Jessica, on your DCMs, ...", "Copy.") is the loop.
_TRUTH = [
    (0.0, MORGAN),  # And, Jessica, Christina, we are so proud of you ... great, great EVA.
    (17.5, LOOP),  # Drew, thank you so much ... expect a warning tone.
    (64.0, COMMENTATOR),  # Final steps before they begin the space walk.
    (65.9, LOOP),  # Copy. Check display switch functional.
    (73.0, COMMENTATOR),  # Tracy, how important is this ... on your own.
    (80.1, SUBJECT),  # Absolutely.
    (81.0, LOOP),  # Take power EV 1, EV 2. Two switches to off, o f f.
    (86.2, SUBJECT),  # Christina and Jessica have enough work ... someone like Stephanie.
    (95.0, LOOP),  # Connect your SCUs from your DCMs and stow the SCUs in the pouch.
    (119.0, SUBJECT),  # So not only does Stephanie
    (130.0, COMMENTATOR),  # 38 AM CST. ... Andrew Morgan there wishing the crew luck.
    (156.3, LOOP),  # We need it in pouch and DCM cover clothes. Copy.
]
_ANNOTATED = {"dg_speakers.json", "dg_speakers_no_utterances.json"}


def _true_speaker(start: float) -> str:
    who = _TRUTH[0][1]
    for second, name in _TRUTH:
        if start >= second:
            who = name
    return who


def _by_truth(words):
    turns: list[tuple[str, str]] = []
    for w in words:
        who = _true_speaker(float(w["start"]))
        text = " ".join(w.get("punctuated_word", w["word"]).split())
        if turns and turns[-1][0] == who:
            turns[-1] = (who, turns[-1][1] + " " + text)
        else:
            turns.append((who, text))
    return turns


def _name(label) -> str:
    # No label (Deepgram without diarize, whisper): the clip has one voice, hers.
    if label is None:
        return SUBJECT
    return SET["speaker_map"].get(str(label), f"Speaker {label}")


def _merge(pieces):
    """pieces: (label, text) in order -> turns, consecutive pieces of one speaker joined."""
    turns: list[tuple[str, str]] = []
    for label, text in pieces:
        text = " ".join(text.split())
        if not text:
            continue
        who = _name(label)
        if turns and turns[-1][0] == who:
            turns[-1] = (who, turns[-1][1] + " " + text)
        else:
            turns.append((who, text))
    return turns


def gold(path: Path) -> list[tuple[str, str]]:
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    if Path(path).name in _ANNOTATED:
        return _by_truth(data["results"]["channels"][0]["alternatives"][0]["words"])
    if "results" in data:  # Deepgram
        res = data["results"]
        if res.get("utterances"):
            return _merge((u.get("speaker"), u["transcript"]) for u in res["utterances"])
        words = res["channels"][0]["alternatives"][0]["words"]
        return _merge((w.get("speaker"), w.get("punctuated_word", w["word"])) for w in words)
    if "segments" in data:  # whisper / whisper-timestamped / WhisperX
        return _merge((s.get("speaker"), s["text"]) for s in data["segments"])
    if "words" in data:  # AssemblyAI
        if data.get("utterances"):
            return _merge((u.get("speaker"), u["text"]) for u in data["utterances"])
        return _merge((w.get("speaker"), w["text"]) for w in data["words"])
    raise ValueError(f"unknown layout: {path}")


if __name__ == "__main__":
    import collections
    import sys

    root = Path(__file__).resolve().parents[2] / ".real-records" / SET["name"]
    for name in SET["files"]:
        turns = gold(root / name)
        c = collections.Counter()
        w = collections.Counter()
        for who, text in turns:
            c[who] += 1
            w[who] += len(text.split())
        print(name, {k: (c[k], w[k]) for k in c}, file=sys.stdout)
        for who, text in turns:
            print("   ", who, "|", text[:400])
