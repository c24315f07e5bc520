"""Recordings with real turn-taking (issue 29, part 5): a speaker is told per word, so a question
and its answer in one Whisper segment come apart, and a voice sample never makes two voices one.

Each conversation is spoken by two different Debian speech engines (espeak-ng, flite,
festival; tests/recordings.py), transcribed by the real whisper-base and told apart by real
voice embeddings. The script's turn times say who really said each word Whisper heard: a word
belongs to the turn under its last 0.25 s (Whisper lets a word's start swallow the pause before
it).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest
import recordings as rec
from conftest import run_cli

from sosie import Persona
from sosie.corpus import audio, voices
from sosie.corpus.audio import Listening

pytestmark = pytest.mark.slow
NAME = "Mara Quill"
# (lines, voices by role, noise): every pair of voices comes from two different engines
CASES = {
    "quick": (rec.QUICK, {"Q": rec.FLITE_SLT, "A": rec.FESTIVAL}, 0.0),
    "interjection": (rec.INTERJECTED, {"Q": rec.INTERVIEWER, "A": rec.FLITE_RMS}, 0.0),
    "noise": (rec.NOISY, {"Q": rec.FESTIVAL, "A": rec.SUBJECT}, 0.05),
    "sample": (rec.SAMPLED, {"Q": rec.FLITE_RMS, "A": rec.FESTIVAL}, 0.0),
}


@dataclass
class Heard:
    persona: Persona
    turns: list[rec.Turn]
    recording: Path
    words: list[tuple[float, float, str, str]]  # start, end, text, the voice Sosie gave it
    subject: str  # the subject's voice label


@pytest.fixture(scope="module")
def speech_models(tmp_path_factory):
    folder = tmp_path_factory.mktemp("speech-models")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SOSIE_MODELS", str(folder))
        done = run_cli("models", "add", "whisper-base")
        assert done.returncode == 0, done.stderr
        yield folder


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> Path:
    """A few seconds of the 'sample' case's subject saying something not in the recording."""
    folder = tmp_path_factory.mktemp("sample")
    return rec.said_by(rec.CLOCKS_SAMPLE, CASES["sample"][1]["A"], folder / "clip.wav")


@pytest.fixture(scope="module")
def heard(tmp_path_factory, speech_models, sample):
    """Each conversation as an mp3 added to a persona of its own: the interviewer is named by
    the speaker map (they speak first), except in the 'sample' case, where the sample says."""
    folder, home = tmp_path_factory.mktemp("conversations"), tmp_path_factory.mktemp("turn-homes")
    found: dict[str, Heard] = {}
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SOSIE_MODELS", str(speech_models))
        for name, (lines, spoken_by, noise) in CASES.items():
            wav, turns = rec.conversation(folder, lines, spoken_by, noise, name)
            mp3 = rec.to_mp3(wav)
            persona = Persona.create(name, NAME, home=home)
            if name == "sample":
                report = persona.add(mp3, listening=Listening(voice_sample=sample))
            else:
                report = persona.add(mp3, speakers={"SPEAKER_2": NAME})
            assert report.ok and report.added, report.failed
            found[name] = Heard(persona, turns, mp3, *_voiced_words(persona))
        yield found
        for one in found.values():
            one.persona.close()


def _voiced_words(persona: Persona) -> tuple[list[tuple[float, float, str, str]], str]:
    """Every word Whisper heard (from the cached transcript) with the voice Sosie gave it (from
    the source's runs of one voice's words), and the subject's voice."""
    (source,) = persona.store.sources()
    meta = json.loads(source["meta_json"])
    (cached,) = (persona.workspace / "media" / source["sha256"]).glob("transcript-*.json")
    words = [w for segment in json.loads(cached.read_text())["segments"] for w in segment["words"]]
    voices_of = [voice for _, _, voice, n in meta["segments"] for _ in range(n)]
    assert len(voices_of) == len(words)
    subject = meta["speakers_found"]["subject"] or "SPEAKER_2"
    return [(s, e, text, voice) for (s, e, text), voice in zip(words, voices_of, strict=True)], subject


def role_of(turns: list[rec.Turn], start: float, end: float) -> str:
    """Who said a word by the script's times: the turn under its last 0.25 s, else the nearest."""
    tail = max(start, end - 0.25)
    best = max(turns, key=lambda t: min(end, t.end) - max(tail, t.start))
    if min(end, best.end) - max(tail, best.start) <= 0:
        best = min(turns, key=lambda t: min(abs(t.start - end), abs(t.end - tail)))
    return best.role


def scores(one: Heard) -> dict[str, float]:
    """Of the words stored as the subject's, the share really theirs; of theirs, the share kept."""
    truly = [role_of(one.turns, s, e) == "A" for s, e, _, _ in one.words]
    given = [voice == one.subject for *_, voice in one.words]
    kept = sum(t and g for t, g in zip(truly, given, strict=True))
    return {"theirs": kept / max(sum(given), 1), "kept": kept / max(sum(truly), 1), "words": len(truly)}


def subject_text(persona: Persona) -> str:
    rows = persona.store.db.execute("SELECT text FROM turns WHERE role = 'subject' ORDER BY seq")
    return " ".join(text for (text,) in rows)


def questions_only(lines: list[tuple[str, str, float]]) -> set[str]:
    """Words of the interviewer's that no answer uses: none of them may be stored as the subject's."""
    answered = {w for role, text, _ in lines if role == "A" for w in rec.words(text)}
    return {w for role, text, _ in lines if role == "Q" for w in rec.words(text)} - answered


def assert_turns_come_apart(one: Heard, lines: list[tuple[str, str, float]], pairs: int) -> None:
    measured = scores(one)
    assert measured["theirs"] >= 0.97 and measured["kept"] >= 0.9, measured
    stored = set(rec.words(subject_text(one.persona)))
    assert not stored & questions_only(lines), stored & questions_only(lines)
    asked = [text for role, text, _ in lines if role == "Q" and len(rec.words(text)) > 2]
    found = [row["question"] for row in one.persona.store.qa_pairs()]
    assert len(found) == pairs, found
    for question in asked:  # every real question is the question of a pair, and nearly verbatim
        want = set(rec.words(question))
        assert any(len(want & set(rec.words(q))) >= 0.5 * len(want) for q in found), (question, found)


def test_a_question_answered_with_no_pause_comes_apart(heard):
    one = heard["quick"]
    assert json.loads(one.persona.store.sources()[0]["meta_json"])["speakers_found"]["count"] == 2
    assert_turns_come_apart(one, rec.QUICK, pairs=3)


def test_an_interjection_inside_an_answer_is_the_interviewers(heard):
    one = heard["interjection"]
    assert_turns_come_apart(one, rec.INTERJECTED, pairs=3)  # the answer after "Right." pairs with it
    others = one.persona.store.db.execute("SELECT text FROM turns WHERE role != 'subject'").fetchall()
    assert any(rec.words(text) == ["right"] for (text,) in others), others


def test_background_noise(heard):
    assert_turns_come_apart(heard["noise"], rec.NOISY, pairs=3)


def test_a_voice_sample_names_the_subject_of_a_question_and_answer_in_one_segment(heard):
    one = heard["sample"]
    meta = json.loads(one.persona.store.sources()[0]["meta_json"])
    assert meta["speakers_found"]["count"] == 2 and meta["speakers_found"]["subject"] == "SPEAKER_2"
    cached = next((one.persona.workspace / "media").glob("*/transcript-*.json"))
    segments = json.loads(cached.read_text())["segments"]
    mixed = [s for s in segments if len({role_of(one.turns, w[0], w[1]) for w in s["words"]}) > 1]
    assert mixed, "the case needs a question and its answer in one Whisper segment"
    assert_turns_come_apart(one, rec.SAMPLED, pairs=3)


def test_a_voice_sample_never_makes_two_voices_one(heard, sample, monkeypatch, tmp_path):
    """The issue's failure, forced: the clustering hears one voice. The sample's closeness splits
    the windows; where it cannot, the recording is refused with the fix, never all the subject's."""
    one = heard["sample"]
    media = one.persona.workspace / "media"  # the cached transcript and windows: no transcribing
    diarise = voices.diarise
    monkeypatch.setattr(voices, "diarise", lambda windows, n=None: diarise(windows, 1))
    source = audio.read_recording(one.recording, media, Listening(voice_sample=sample), single_speaker=False)
    found = source.meta["speakers_found"]
    assert found["count"] == 2 and found["subject"] == "SPEAKER_2"
    voiced = [voice for _, _, voice, n in source.meta["segments"] for _ in range(n)]
    split = Heard(one.persona, one.turns, one.recording,
                  [(*w[:3], v) for w, v in zip(one.words, voiced, strict=True)], found["subject"])
    measured = scores(split)
    assert measured["theirs"] >= 0.97 and measured["kept"] >= 0.9, measured

    monkeypatch.setattr(voices, "split_by_sample", lambda windows, sample: None)
    with pytest.raises(audio.BadSource, match="--num-speakers 2") as refused:
        audio.read_recording(one.recording, media, Listening(voice_sample=sample), single_speaker=False)
    assert "\n" not in str(refused.value)


def test_a_monologue_by_the_sampled_subject_is_all_theirs(speech_models, tmp_path, monkeypatch):
    """One voice that the sample matches throughout is the subject's: it is neither split nor
    refused."""
    monkeypatch.setenv("SOSIE_MODELS", str(speech_models))
    talk, clip = rec.monologue(tmp_path), rec.voice_sample(tmp_path)
    source = audio.read_recording(talk, tmp_path / "media", Listening(voice_sample=clip), False)
    assert source.meta["speakers_found"]["count"] == 1
    assert [turn[0] for turn in source.turns] == [None]  # one turn, the subject's


def test_a_transcript_cached_without_word_times_is_transcribed_again(speech_models, sample, tmp_path,
                                                                     monkeypatch):
    monkeypatch.setenv("SOSIE_MODELS", str(speech_models))
    media = tmp_path / "media"
    first = audio.read_recording(sample, media, Listening(), single_speaker=True)
    (cached,) = media.glob("*/transcript-*.json")
    old = json.loads(cached.read_text())
    for segment in old["segments"]:
        del segment["words"]  # as Sosie cached transcripts before words had times
    cached.write_text(json.dumps(old))
    again = audio.read_recording(sample, media, Listening(), single_speaker=True)
    assert again.text == first.text
    assert all(segment["words"] for segment in json.loads(cached.read_text())["segments"])
