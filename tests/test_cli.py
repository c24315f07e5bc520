"""The CLI through its console-script entry point, including every bad input of the issue."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time

import pytest
from conftest import PODCAST, SOSIE, run_cli

from sosie.cli import Slug, setting_options  # module level: the probe command's annotations name them


@pytest.mark.slow
def test_new_add_build_ask_json_and_transcript(home, tmp_path):
    assert run_cli("new", "ada", "--name", "Rowan Adler", "--alias", "Rowan", "--pronoun", "his",
                   home=home).returncode == 0
    card = (home / "ada" / "persona.toml").read_text()
    assert 'name = "Rowan Adler"' in card and "not the real person" in card
    added = run_cli("add", "ada", str(PODCAST), home=home)
    assert added.returncode == 0, added.stderr
    assert "1 added" in added.stdout
    again = run_cli("add", "ada", str(PODCAST), home=home)
    assert "1 unchanged" in again.stdout and "0 added" in again.stdout
    built = run_cli("build", "ada", home=home)
    assert built.returncode == 0, built.stderr
    assert "Indexed" in built.stdout
    asked = run_cli("ask", "ada", "Why do trains beat planes?", "--json", home=home)
    assert asked.returncode == 0, asked.stderr
    answer = json.loads(asked.stdout)
    assert answer["abstained"] is False and answer["engine"] == "quote"
    assert answer["disclosure"].startswith("Simulated Rowan Adler")
    citation = answer["citations"][0]
    assert {"source", "speaker", "date", "start", "end"} <= set(citation)
    text = PODCAST.read_text(encoding="utf-8")
    assert " ".join(text[citation["start"] : citation["end"]].split()) == citation["text"]
    shown = run_cli("transcript", "ada", home=home)
    assert shown.returncode == 0 and "Why do trains beat planes?" in shown.stdout
    assert "not the real person" in shown.stdout


@pytest.mark.slow
def test_scripted_interview_prints_citations_and_abstains(rowan, tmp_path):
    questions = tmp_path / "q.txt"
    questions.write_text("What do you think of cities?\n\nWhat is the boiling point of tungsten?\n")
    result = run_cli("interview", "rowan", "--questions", str(questions), home=rowan.workspace.parent)
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("Simulated Rowan Adler") == 2
    assert "[1]" in result.stdout and "2016-09-14" in result.stdout + result.stdout
    assert "will not guess" in result.stdout
    assert "Saved as interview" in result.stdout


def test_bad_files_fail_alone_and_lose_nothing(home, tmp_path):
    run_cli("new", "ada", "--name", "Rowan Adler", home=home)
    good = tmp_path / "good.md"
    good.write_text("Trains beat planes for anything under six hours.\n")
    assert run_cli("add", "ada", str(good), home=home).returncode == 0
    binary = tmp_path / "photo.txt"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    latin = tmp_path / "latin.txt"  # a legacy encoding is detected, not refused
    latin.write_bytes("Caf\u00e9 cr\u00e8me br\u00fbl\u00e9e, tr\u00e8s bien.".encode("latin-1"))
    garbled = tmp_path / "garbled.txt"
    garbled.write_bytes(bytes(range(128, 256)) * 10)
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    later = tmp_path / "later.md"
    later.write_text("Libraries are the best institution humans ever built.\n")
    missing = tmp_path / "missing.txt"
    result = run_cli("add", "ada", str(missing), str(binary), str(garbled), str(latin), str(empty),
                     str(later), home=home)
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 4
    for path, words in ((missing, "no such file"), (binary, "binary"), (garbled, "undecodable"),
                        (empty, "empty")):
        assert any(str(path) in line and words in line for line in errors), result.stderr
    assert "2 added" in result.stdout and "4 failed" in result.stdout
    from sosie import Persona

    with Persona.open("ada", home) as persona:
        assert persona.store.stats()["sources"] == 3  # the earlier file and the two good ones
        texts = [r[0] for r in persona.store.db.execute("SELECT text FROM passages")]
        assert "Café crème brûlée, très bien." in texts


@pytest.mark.slow
def test_unknown_persona_and_asking_before_building(home):
    result = run_cli("ask", "nobody", "Hello?", home=home)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [result.stderr.strip()]
    assert "no persona 'nobody'" in result.stderr and "sosie new nobody" in result.stderr
    run_cli("new", "ada", "--name", "Ada Example", home=home)
    result = run_cli("ask", "ada", "Hello?", home=home)
    assert result.returncode == 1 and "sosie build ada" in result.stderr
    assert "Traceback" not in result.stderr
    result = run_cli("build", "ada", home=home)
    assert result.returncode == 1 and "sosie add" in result.stderr
    result = run_cli("new", "../evil", "--name", "X", home=home)
    assert result.returncode == 1 and "invalid persona name" in result.stderr
    result = run_cli("new", "ada", "--name", "Ada Example", home=home)
    assert result.returncode == 1 and "already exists" in result.stderr


@pytest.mark.slow
def test_a_killed_build_leaves_the_previous_index_usable(home):
    run_cli("new", "ada", "--name", "Rowan Adler", home=home)
    run_cli("add", "ada", str(PODCAST), home=home)
    assert run_cli("build", "ada", home=home).returncode == 0
    index = home / "ada" / "index"
    live = (index / "CURRENT").read_text()
    env = dict(os.environ, SOSIE_HOME=str(home))
    build = subprocess.Popen([str(SOSIE), "build", "ada"], env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while not list(index.glob("*.partial")) and time.monotonic() < deadline:
        time.sleep(0.005)
    assert list(index.glob("*.partial")), "the build never started writing"
    build.send_signal(signal.SIGKILL)
    build.wait()
    assert (index / "CURRENT").read_text() == live
    asked = run_cli("ask", "ada", "Why do trains beat planes?", "--json", home=home)
    assert asked.returncode == 0 and json.loads(asked.stdout)["citations"]
    assert run_cli("build", "ada", home=home).returncode == 0
    assert (index / "CURRENT").read_text() != live
    assert not list(index.glob("*.partial")) and len(list(index.glob("build-*"))) == 1


def test_help_is_instant_and_lists_the_commands():
    started = time.perf_counter()
    result = subprocess.run([str(SOSIE), "--help"], capture_output=True, text=True)
    assert result.returncode == 0
    for command in ("new", "add", "build", "ask", "interview", "transcript", "demo"):
        assert command in result.stdout
    assert time.perf_counter() - started < 10


def test_a_fifo_is_refused_without_blocking(home, tmp_path):
    run_cli("new", "ada", "--name", "Rowan Adler", home=home)
    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)
    result = run_cli("add", "ada", str(fifo), home=home, timeout=60)
    assert result.returncode == 1 and "not a regular file" in result.stderr


@pytest.mark.slow
def test_interactive_interview_reads_stdin_until_an_empty_line(rowan):
    env = dict(os.environ, SOSIE_HOME=str(rowan.workspace.parent))
    result = subprocess.run(
        [str(SOSIE), "interview", "rowan"], input="Why trains?\nWhat about Gus?\n\nignored\n",
        capture_output=True, text=True, env=env, timeout=180,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("Simulated Rowan Adler") == 2
    number = int(result.stdout.rsplit("Saved as interview ", 1)[1].split(":")[0])
    transcript = rowan.transcript(number, "md")
    assert "## 1. Why trains?" in transcript and "## 2. What about Gus?" in transcript
    assert "ignored" not in transcript


@pytest.mark.slow
def test_brackets_in_questions_and_names_are_printed_not_parsed(rowan, tmp_path):
    questions = tmp_path / "q.txt"
    questions.write_text("What about [bold]cities[/bold] and [1]?\n")
    result = run_cli("interview", "rowan", "--questions", str(questions), home=rowan.workspace.parent)
    assert result.returncode == 0, result.stderr
    assert "Q1. What about [bold]cities[/bold] and [1]?" in result.stdout


def test_python_m_sosie_train_runs_the_train_command(home):
    """`accelerate launch -m sosie.train NAME` (the training docs) is `sosie train NAME`: the
    training stage runs the installed command by its entry point, without importing the CLI."""
    import sys

    env = {**os.environ, "SOSIE_HOME": str(home)}
    shown = subprocess.run([sys.executable, "-m", "sosie.train", "--help"], capture_output=True, text=True,
                           env=env, timeout=120)
    assert shown.returncode == 0, shown.stderr
    assert "--max-steps" in shown.stdout and "LoRA adapter" in shown.stdout
    missing = subprocess.run([sys.executable, "-m", "sosie.train", "nobody"], capture_output=True,
                             text=True, env=env, timeout=120)
    assert missing.returncode == 1 and "no persona 'nobody'" in missing.stderr


def test_the_train_flags_are_made_from_the_settings_table():
    """`sosie train`'s options come from TrainSettings: each flagged setting once, with its type,
    passed on as the overrides given (the others keep the persona's value)."""
    import typer
    import typer.main
    from typer.testing import CliRunner

    from sosie.cli import app
    from sosie.config import settings_of

    flagged = {row.flag: row for row in settings_of("train").values() if row.flag}
    command = typer.main.get_command(app).commands["train"]
    options = {param.opts[0]: param for param in command.params}
    assert set(flagged) <= set(options) and len(flagged) == 10
    for flag, row in flagged.items():
        assert options[flag].help == row.flag_help and options[flag].default is None
    seen = []
    probe = typer.Typer()

    @probe.command()
    @setting_options("train", *[row.attr for row in flagged.values()])
    def run(slug: Slug, overrides: dict) -> None:
        seen.append((slug, overrides))

    result = CliRunner().invoke(probe, ["ada", "--rank", "4", "--lr", "0.001", "--base-model", "x"])
    assert result.exit_code == 0, result.output
    assert seen == [("ada", {"rank": 4, "learning_rate": 0.001, "base_model": "x"})]
    assert CliRunner().invoke(probe, ["ada", "--rank", "four"]).exit_code == 2
