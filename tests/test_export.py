"""``sosie export`` and what every export shares: the disclosure, consent and provenance
(licences), and the Ollama Modelfile. Cards, scripts, subtitles, packages and speech have their
own test files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from conftest import run_cli
from conftest import run_in_process as sosie

from sosie.export.modelfile import export_modelfile, parse_modelfile
from sosie.train.dataset import held_out_sources


def test_licences_come_from_front_matter_or_the_add_flag(small, home):
    corpus = small.corpus_dir
    stated = corpus / "stated.md"
    stated.write_text("---\ntitle: A note\nlicence: CC0-1.0\ndate: 2020-01-01\n---\n"
                      "Rowan Adler wrote this note about lanterns and libraries at night.\n")
    result = run_cli("add", "small", str(corpus), "--licence", "CC-BY-4.0", home=home)
    assert result.returncode == 0, result.stderr
    summary = json.loads(run_cli("corpus", "small", "--json", home=home).stdout)
    by_path = {Path(s["path"]).name: s["licence"] for s in summary["sources_detail"]}
    assert by_path["stated.md"] == "CC0-1.0"  # the file's own word wins
    assert {v for k, v in by_path.items() if k != "stated.md"} == {"CC-BY-4.0"}
    assert summary["by_licence"] == {"CC-BY-4.0": len(by_path) - 1, "CC0-1.0": 1}
    shown = run_cli("corpus", "small", home=home).stdout
    assert "By licence" in shown and "Consent: none" in shown


def test_the_modelfile_folder_is_self_contained_and_honest(rowan, tmp_path):
    target = export_modelfile(rowan, tmp_path / "ollama")
    parsed = parse_modelfile(target.read_text())
    names = [name for name, _ in parsed]
    assert names[:2] == ["FROM", "TEMPLATE"] and "SYSTEM" in names
    source = dict(parsed)["FROM"]
    assert source.startswith("./") and (target.parent / source).is_file()  # FROM works anywhere
    assert rowan.config.disclosure in dict(parsed)["SYSTEM"]
    messages = [arg for name, arg in parsed if name == "MESSAGE"]
    assert len(messages) >= 4 and messages[0].startswith("user ") and messages[1].startswith("assistant ")
    answers = [m.split(" ", 1)[1] for m in messages[1::2]]
    held_out = {Path(p).name for p in held_out_sources(rowan)}
    text = target.read_text()
    cited = [line.split(": ", 1)[1].split(",")[0] for line in text.splitlines()
             if line.startswith("# A real exchange")]
    assert len(cited) == len(answers) and not set(cited) & held_out  # never a held-out answer
    corpus = " ".join(" ".join(r[0].split()) for r in rowan.store.db.execute("SELECT text FROM turns"))
    assert all(answer in corpus for answer in answers)  # real words, verbatim


@pytest.mark.slow
def test_export_command_writes_and_prints_the_path(demo_home, tmp_path):
    asked = run_cli("ask", "rowan", "What do you think about trains?", home=demo_home)
    assert asked.returncode == 0, asked.stderr
    for out in ("t.md", "t.json"):
        result = run_cli("export", "rowan", "--format", "transcript", "--out", str(tmp_path / out),
                         home=demo_home)
        assert result.returncode == 0, result.stderr
        written = (tmp_path / out).read_text()
        assert "Wrote" in result.stdout and "not the real person" in written
        assert "Consent:" in written if out.endswith(".md") else json.loads(written)["consent"]["status"]
    result = run_cli("export", "rowan", "--format", "modelfile", "--out", str(tmp_path / "mf"),
                     home=demo_home)
    assert result.returncode == 0 and (tmp_path / "mf" / "Modelfile").is_file()
    bad = run_cli("export", "rowan", "--format", "tiktok", home=demo_home)
    assert bad.returncode == 1 and bad.stderr.count("\n") == 1 and "ccv2" in bad.stderr


def test_an_export_that_lost_the_disclosure_is_not_delivered(tmp_path):
    from sosie.cli.export import _check_disclosure

    path = tmp_path / "script.fountain"
    path.write_text("Title: An interview\n\nINTERVIEWER\nHello.\n")
    with pytest.raises(typer.Exit):
        _check_disclosure(path, "Simulated Ada — not the real person.")
    assert not path.exists()


@pytest.mark.slow
def test_every_export_format_from_the_command_line(demo_home, tmp_path, home):
    """The CLI layer over the export modules: each format, the card round trip, a package and
    speech, with the paths printed."""
    asked = sosie("ask", "wren", "What is the salt clock?", home=demo_home)
    assert asked.returncode == 0, asked.stderr
    wanted = {
        ("ccv2", "wren.png"), ("ccv3", "wren.json"), ("script", "wren.fountain"),
        ("script", "wren.pdf"), ("transcript", "wren.srt"), ("transcript", "wren.vtt"),
    }
    for fmt, name in wanted:
        result = sosie("export", "wren", "--format", fmt, "--out", str(tmp_path / name), home=demo_home)
        assert result.returncode == 0, (fmt, result.stderr)
        assert result.stdout.startswith("Wrote") and (tmp_path / name).stat().st_size > 200
    assert (tmp_path / "wren.pdf").read_bytes().startswith(b"%PDF")

    made = sosie("new", "wren-card", "--from-card", str(tmp_path / "wren.png"), home=home)
    assert made.returncode == 0, made.stderr
    answered = sosie("ask", "wren-card", "What is the salt clock?", "--json", home=home)
    assert answered.returncode == 0 and "not the real person" in json.loads(answered.stdout)["disclosure"]

    archive = tmp_path / "wren.sosie.tar.gz"
    assert sosie("pack", "wren", "--out", str(archive), home=demo_home).returncode == 0
    restored = sosie("unpack", str(archive), "--as", "wren-copy", home=home)
    assert restored.returncode == 0 and "Restored wren-copy" in restored.stdout
    again = sosie("unpack", str(archive), "--as", "wren-copy", home=home)
    assert again.returncode == 1 and again.stderr.count("\n") == 1

    spoken = sosie("speak", "wren", "--out", str(tmp_path / "wren.wav"), home=demo_home)
    assert spoken.returncode == 0, spoken.stderr
    assert (tmp_path / "wren.wav").read_bytes()[:4] == b"RIFF"
