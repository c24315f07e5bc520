"""Portable personas (``pack``/``unpack``) and speech with a generic espeak-ng voice.

The demo persona is packed once per module from the session's demo home (packing only reads
it); everything that changes a persona works on a restored copy in a fresh home.
"""

from __future__ import annotations

import hashlib
import inspect
import io
import json
import os
import sqlite3
import tarfile
import wave
from collections.abc import Callable
from pathlib import Path

import pytest

import sosie
from sosie import Persona, SosieError
from sosie.export.pack import pack
from sosie.export.speech import (
    INSTALL,
    espeak_path,
    speak,
    speak_transcript,
    speakable,
    transcript_script,
)
from sosie.export.unpack import unpack as unpack_workspace
from sosie.interview import transcript


def unpack(*args, **kwargs) -> Persona:
    """Restore as the library's front door does: an opened Persona, ready to be asked."""
    return unpack_workspace(*args, opener=Persona.open, **kwargs)

QUESTION = "What do you think about trains?"
needs_espeak = pytest.mark.skipif(espeak_path() is None, reason="espeak-ng is not installed")


@pytest.fixture(scope="module")
def archive(rowan, tmp_path_factory) -> Path:
    return pack(rowan, tmp_path_factory.mktemp("packed") / "rowan.sosie.tar.gz")


def read_archive(path: Path) -> tuple[dict, dict[str, bytes]]:
    """The manifest and every member's bytes, by member name."""
    with tarfile.open(path, "r:gz") as tar:
        data = {m.name: tar.extractfile(m).read() for m in tar.getmembers()}
    return json.loads(data["rowan/manifest.json"]), data


def repack(source: Path, target: Path, change: Callable[[dict[str, bytes]], None]) -> Path:
    """A copy of ``source`` with its members edited by ``change``; the manifest is kept as is."""
    _, members = read_archive(source)
    change(members)
    with tarfile.open(target, "w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return target


def assert_one_line_refusal(archive: Path, home: Path, *needles: str) -> str:
    with pytest.raises(SosieError) as caught:
        unpack(archive, home)
    message = str(caught.value)
    assert "\n" not in message and message.strip() == message
    for needle in needles:
        assert needle in message, message
    # nothing left behind: the home did not exist before, and does not now
    assert not home.exists(), sorted(p.name for p in home.iterdir())
    return message


# -- pack ---------------------------------------------------------------------------------------
def test_the_manifest_lists_every_member_with_its_sha256(archive, rowan):
    manifest, members = read_archive(archive)
    listed = {f["path"]: f for f in manifest["files"]}
    assert set(members) == {"rowan/manifest.json"} | {f"rowan/{p}" for p in listed}
    for path, entry in listed.items():
        data = members[f"rowan/{path}"]
        assert entry["size"] == len(data)
        assert entry["sha256"] == hashlib.sha256(data).hexdigest(), path

    assert manifest["format_version"] == 1 and manifest["sosie_version"] == sosie.__version__
    assert manifest["persona"]["slug"] == "rowan" and manifest["persona"]["name"] == "Rowan Adler"
    assert manifest["persona"]["disclosure"] == rowan.config.disclosure
    assert manifest["persona"]["consent"] == {"status": "none", "note": rowan.config.consent_note}
    assert manifest["created_at"].endswith("Z")

    # the live index build only, and the pointer to it; no WAL side files
    live = (rowan.workspace / "index" / "CURRENT").read_text().strip()
    assert members["rowan/index/CURRENT"].decode() == live == manifest["index"]["build"]
    builds = {p.split("/")[1] for p in listed if p.startswith("index/build-")}
    assert builds == {live}
    assert {"persona.toml", "sosie.db", "profile.json"} <= set(listed)
    assert not [p for p in listed if p.endswith(("-wal", "-shm", ".partial", ".tmp"))]


def test_the_packed_database_is_a_complete_copy(archive, rowan, tmp_path):
    _, members = read_archive(archive)
    copy = tmp_path / "copy.db"
    copy.write_bytes(members["rowan/sosie.db"])
    db = sqlite3.connect(copy)
    try:
        count = db.execute("SELECT count(*) FROM passages").fetchone()[0]
        mode = db.execute("PRAGMA journal_mode").fetchone()[0]
    finally:
        db.close()
    assert count == rowan.store.stats()["passages"] > 0
    assert mode == "delete"  # one self-contained file, not one that needs a WAL beside it


def test_checkpoints_and_exports_stay_out_unless_asked(archive, home, tmp_path):
    with unpack(archive, home) as persona:  # a copy we may add folders to
        for rel in ("train/run.json", "train/checkpoints/checkpoint-5/weights.bin", "export/rowan.gguf",
                    "adapter.partial/junk", "index/build-old/passages.npy", "sosie.db-journal"):
            (persona.workspace / rel).parent.mkdir(parents=True, exist_ok=True)
            (persona.workspace / rel).write_bytes(b"x")
        default, _ = read_archive(pack(persona, tmp_path / "default.sosie.tar.gz"))
        everything, _ = read_archive(pack(persona, tmp_path, include_checkpoints=True, include_exports=True))
    paths = {f["path"] for f in default["files"]}
    assert "train/run.json" in paths
    assert not [p for p in paths if p.startswith(("train/checkpoints", "export", "adapter.partial"))]
    assert not [p for p in paths if "build-old" in p or p.endswith("-journal")]  # never packed
    assert [note.split(" ")[0] for note in default["left_out"]] == ["train/checkpoints", "export"]
    paths = {f["path"] for f in everything["files"]}
    assert {"train/checkpoints/checkpoint-5/weights.bin", "export/rowan.gguf"} <= paths
    assert everything["left_out"] == []


def test_pack_defaults_to_the_current_folder(rowan, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    out = pack(rowan)
    assert out == tmp_path / "rowan.sosie.tar.gz" and out.is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rowan.sosie.tar.gz"]  # no staging left


# -- unpack -------------------------------------------------------------------------------------
def test_a_restored_persona_answers_as_the_original(archive, rowan, home):
    expected = rowan.ask(QUESTION)
    assert not expected.abstained and expected.citations
    with unpack(archive, home) as same, unpack(archive, home, slug="rowan-copy") as renamed:
        assert Persona.names(home) == ["rowan", "rowan-copy"]
        assert sorted(os.listdir(home)) == ["rowan", "rowan-copy"]  # no hidden leftovers
        assert renamed.slug == "rowan-copy" and renamed.config.name == "Rowan Adler"
        assert Persona.open("rowan-copy", home).config.slug == "rowan-copy"  # rewritten on disk
        assert json.loads((renamed.workspace / "profile.json").read_text())["persona"] == "rowan-copy"
        for restored in (same, renamed):
            assert restored.workspace.parent == home
            status = restored.index_status()
            assert status["built"] and not status["stale"]
            answer = restored.ask(QUESTION)
            assert answer.text == expected.text
            assert [c.__dict__ for c in answer.citations] == [c.__dict__ for c in expected.citations]
            assert answer.disclosure == expected.disclosure


def test_unpack_refuses_to_overwrite_without_force(archive, home):
    with unpack(archive, home) as first:
        marker = first.workspace / "marker.txt"
        marker.write_text("mine")
    with pytest.raises(SosieError, match="already exists") as caught:
        unpack(archive, home)
    assert "\n" not in str(caught.value)
    assert marker.read_text() == "mine"  # untouched
    assert sorted(os.listdir(home)) == ["rowan"]
    with unpack(archive, home, force=True) as replaced:
        assert not marker.exists()
        assert not replaced.ask(QUESTION).abstained
    assert sorted(os.listdir(home)) == ["rowan"]


def test_a_changed_byte_is_caught_and_named(archive, home, tmp_path):
    manifest, _ = read_archive(archive)
    vectors = next(f["path"] for f in manifest["files"] if f["path"].endswith("passages.npy"))
    name = f"rowan/{vectors}"

    def flip_last_byte(members):
        data = bytearray(members[name])
        data[-1] ^= 0x01
        members[name] = bytes(data)

    tampered = repack(archive, tmp_path / "tampered.sosie.tar.gz", flip_last_byte)
    assert_one_line_refusal(tampered, home, name, "sha256")


@pytest.mark.parametrize(
    "change, needle",
    [
        (lambda m: m.__setitem__("rowan/notes.txt", b"not listed"), "rowan/notes.txt"),
        (lambda m: m.__setitem__("../evil", b"escape"), "../evil"),
        (lambda m: m.__setitem__("/tmp/evil", b"escape"), "/tmp/evil"),
        (lambda m: m.pop("rowan/profile.json"), "rowan/profile.json"),
        (lambda m: m.pop("rowan/manifest.json"), "manifest.json"),
        (lambda m: m.__setitem__("rowan/manifest.json", b"{not json"), "manifest.json"),
        (lambda m: m.__setitem__("rowan/persona.toml", m["rowan/persona.toml"] + b"\n"), "persona.toml"),
    ],
    ids=["unlisted", "dot-dot", "absolute", "missing", "no-manifest", "bad-manifest", "resized"],
)
def test_altered_archives_are_refused_by_name(archive, home, tmp_path, change, needle):
    altered = repack(archive, tmp_path / "altered.sosie.tar.gz", change)
    assert_one_line_refusal(altered, home, needle)
    assert not (tmp_path / "evil").exists() and not (home.parent / "evil").exists()


def test_links_are_refused(archive, home, tmp_path):
    _, members = read_archive(archive)
    linked = tmp_path / "linked.sosie.tar.gz"
    with tarfile.open(linked, "w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            if name == "rowan/profile.json":  # listed in the manifest, but now a link out
                info.type, info.linkname = tarfile.SYMTYPE, "/etc/passwd"
            else:
                info.size = len(data)
            tar.addfile(info, None if info.issym() else io.BytesIO(data))
    assert_one_line_refusal(linked, home, "rowan/profile.json", "link")


def test_a_truncated_archive_leaves_nothing(archive, home, tmp_path):
    cut = tmp_path / "cut.sosie.tar.gz"
    cut.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    assert_one_line_refusal(cut, home, str(cut))


def test_a_failure_leaves_an_existing_home_as_it_was(archive, home, tmp_path):
    home.mkdir()
    (home / "keep.txt").write_text("x")
    extra = repack(archive, tmp_path / "extra.sosie.tar.gz",
                   lambda m: m.__setitem__("rowan/extra.bin", b"?"))
    with pytest.raises(SosieError):
        unpack(extra, home)
    assert os.listdir(home) == ["keep.txt"]


# -- speech -------------------------------------------------------------------------------------
def wav_seconds(path: Path) -> float:
    with wave.open(str(path), "rb") as audio:
        assert audio.getnchannels() == 1 and audio.getsampwidth() == 2
        assert audio.getframerate() >= 8000
        return audio.getnframes() / audio.getframerate()


def test_citation_markers_are_not_spoken():
    assert speakable("Trains are libraries [1] that move [2, 3].\x01 Yes [4-5]") == (
        "Trains are libraries that move. Yes"
    )


@needs_espeak
def test_speak_writes_a_wav_whose_length_follows_the_text(tmp_path):
    sentence = "The branch library is the last warm room that asks nothing of you."
    short = wav_seconds(speak(sentence, tmp_path / "short.wav"))
    long = wav_seconds(speak(" ".join([sentence] * 3), tmp_path / "long.wav"))
    assert 2.0 < short < 8.0
    assert 2.2 < long / short < 3.8
    slow = wav_seconds(speak(sentence, tmp_path / "slow.wav", words_per_minute=100))
    assert slow > short * 1.3
    # markers are stripped before speaking: the same audio as the text without them
    cited = speak(sentence[:-1] + " [1].", tmp_path / "cited.wav")
    assert cited.read_bytes() == (tmp_path / "short.wav").read_bytes()
    assert not list(tmp_path.glob(".*partial"))


@needs_espeak
def test_a_transcript_is_read_with_its_disclosure_first(archive, home, tmp_path):
    with unpack(archive, home) as persona:  # a copy: the interview is stored in its database
        session = persona.interview()
        session.ask(QUESTION)
        session.ask("What is the boiling point of tungsten?")
        stored = json.loads(transcript(persona, session.id, "json"))
    script = transcript_script(stored)
    assert [role for role, _ in script] == [
        "narrator", "interviewer", "double", "interviewer", "double", "narrator"
    ]
    assert "synthetic voice" in script[0][1] and "Rowan Adler" in script[0][1]
    assert stored["disclosure"] in script[0][1]

    out = speak_transcript(stored, tmp_path / "interview.wav")
    opening = speak(script[0][1], tmp_path / "opening.wav")
    answer = speak(stored["exchanges"][0]["text"], tmp_path / "answer.wav")
    total = wav_seconds(out)
    assert total > wav_seconds(opening) + wav_seconds(answer)
    # the interviewer and the double are two different generic voices
    asked_m = speak("Why trains?", tmp_path / "m.wav", "en+m3")
    asked_f = speak("Why trains?", tmp_path / "f.wav", "en+f3")
    assert asked_m.read_bytes() != asked_f.read_bytes()


def test_missing_espeak_is_one_clear_line(tmp_path, monkeypatch):
    with pytest.raises(SosieError) as caught:
        speak("Hello.", tmp_path / "x.wav", executable="espeak-ng-not-installed")
    assert "espeak-ng" in str(caught.value) and "\n" not in str(caught.value)
    monkeypatch.setenv("PATH", "")
    assert espeak_path() is None
    with pytest.raises(SosieError) as caught:
        speak_transcript({"name": "Rowan Adler", "disclosure": "Simulated.", "exchanges": []},
                         tmp_path / "t.wav")
    assert str(caught.value) == INSTALL
    assert not list(tmp_path.iterdir())


def test_only_generic_voices_are_accepted(tmp_path):
    for voice in ("/home/someone/voice", "en+Michael", "--stdout", "clone:rowan"):
        with pytest.raises(SosieError, match="generic"):
            speak("Hello.", tmp_path / "x.wav", voice=voice)
    # and no parameter could ask for a cloned or imitated voice
    for function in (speak, speak_transcript):
        names = " ".join(inspect.signature(function).parameters)
        assert not any(word in names for word in ("clone", "reference", "sample", "speaker"))
