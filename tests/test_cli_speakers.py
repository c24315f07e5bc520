"""``sosie add --speaker/--single-speaker/--dry-run`` and ``sosie corpus --speakers``, run as a user would."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from conftest import SOSIE

FIXTURES = Path(__file__).parent / "fixtures" / "transcripts"


def sosie(home: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(SOSIE), *args, "--home", str(home)], capture_output=True, text=True,
                          timeout=120)


@pytest.mark.slow
def test_dry_run_then_add_with_a_speaker_map_then_review(tmp_path):
    home = tmp_path / "home"
    assert sosie(home, "new", "ada", "--name", "Ada Okafor").returncode == 0
    dry = sosie(home, "add", "ada", str(FIXTURES / "otter-export.txt"), str(FIXTURES / "whisperx.json"),
                "--dry-run")
    assert dry.returncode == 1  # whisperx.json names nobody until --speaker says who
    assert "otter-export.txt: transcript, label line + time, undated; confidence 0.8" in dry.stdout
    assert "“With a borrowed kiln and a very patient landlord." in dry.stdout  # a sample line of hers
    assert "the subject (Ada Okafor)" in dry.stdout and "nothing stored" in dry.stdout
    assert "SPEAKER_00, SPEAKER_01" in dry.stderr and "--speaker 'LABEL=Ada Okafor'" in dry.stderr
    summary = json.loads(sosie(home, "corpus", "ada", "--json").stdout)
    assert summary["sources"] == 0

    added = sosie(home, "add", "ada", str(FIXTURES / "whisperx.json"), "--speaker", "SPEAKER_01=Ada Okafor")
    assert added.returncode == 0, added.stderr
    assert "1 added" in added.stdout and "2 Q/A pairs" in added.stdout
    review = json.loads(sosie(home, "corpus", "ada", "--speakers", "--json").stdout)
    assert {(r["speaker"], r["role"], r["turns"]) for r in review} == {
        ("SPEAKER_00", "other", 2), ("Ada Okafor", "subject", 2)}
    assert review[0]["convention"] == "speech-to-text JSON (segments)"
    assert review[0]["confidence"] == 1.0 and review[0]["samples"]
    table = sosie(home, "corpus", "ada", "--speakers").stdout
    assert "someone else" in table and "the subject" in table
    assert "whisperx.json: transcript, speech-to-text JSON (segments); confidence 1.00" in table


def test_a_bad_label_pattern_is_one_line_and_stores_nothing(tmp_path):
    home = tmp_path / "home"
    sosie(home, "new", "ada", "--name", "Ada Okafor")
    for pattern, why in (("(unclosed", "not a regular expression"), ("[A-Z]+: ", "put the speaker's name"),
                         ("(?P<name>.*)", "matches an empty line")):
        result = sosie(home, "add", "ada", str(FIXTURES / "otter-export.txt"), "--label-pattern", pattern)
        assert result.returncode == 1 and result.stderr.count("\n") == 1, result.stderr
        assert why in result.stderr, result.stderr
    assert json.loads(sosie(home, "corpus", "ada", "--json").stdout)["sources"] == 0


def test_a_bad_speaker_flag_is_one_line(tmp_path):
    home = tmp_path / "home"
    sosie(home, "new", "ada", "--name", "Ada Okafor")
    result = sosie(home, "add", "ada", str(FIXTURES / "otter-export.txt"), "--speaker", "SPEAKER_01")
    assert result.returncode != 0 and result.stderr.count("\n") == 1
    assert "expected LABEL=Name" in result.stderr


def test_single_speaker_reads_an_ambiguous_file(tmp_path):
    home = tmp_path / "home"
    sosie(home, "new", "ada", "--name", "Ada Okafor")
    refused = sosie(home, "add", "ada", str(FIXTURES / "ambiguous.txt"))
    assert refused.returncode == 1 and "--single-speaker" in refused.stderr
    taken = sosie(home, "add", "ada", str(FIXTURES / "ambiguous.txt"), "--single-speaker")
    assert taken.returncode == 0 and "1 added" in taken.stdout
