"""The documentation site documents every command, option, setting, route and transcript
convention (a test fails when one is missing), and builds with warnings as errors.

The settings and command-line pages are made from the code when the site is built
(``docs/hooks.py``); these tests call the hook's functions, and one builds the site (2 s here).
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from sosie.cli import app
from sosie.config import PersonaConfig, settings_table
from sosie.errors import SosieError

ROOT = Path(__file__).parents[1]
DOCS = ROOT / "docs"
README = (ROOT / "README.md").read_text(encoding="utf-8")
GENERATED = {"settings.md", "cli.md"}  # hand-written prose around a marker the hook fills in


def _hooks():
    spec = importlib.util.spec_from_file_location("sosie_docs_hooks", DOCS / "hooks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


hooks = _hooks()


def page(name: str) -> str:
    return (DOCS / name).read_text(encoding="utf-8")


def hand_written() -> str:
    """Every hand-written page of the site, as one text."""
    return "\n".join(p.read_text(encoding="utf-8") for p in sorted(DOCS.rglob("*.md"))
                     if p.relative_to(DOCS).as_posix() not in GENERATED)


def commands() -> dict:
    import typer.main

    return typer.main.get_command(app).commands


def shown(value) -> str:
    """A default as the settings page shows it, the way it reads in persona.toml."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value or '""'
    return json.dumps(value)


def cells(line: str) -> list[str]:
    """The cells of one Markdown table row (an escaped ``\\|`` stays inside its cell)."""
    return [cell.strip() for cell in re.split(r"(?<!\\)\|", line.strip().strip("|"))]


# -- the generated pages --------------------------------------------------------------------

def test_every_setting_is_on_the_settings_page():
    """The settings table (sosie.config) against the generated page: every key, its default,
    its help and the option that overrides it, each in its own cell."""
    table = settings_table()
    assert {row.table for row in table} == {"", "consent", "provenance", "quote", "generative", "train"}
    markdown = hooks.settings_markdown()
    rows = {cells(line)[0]: cells(line) for line in markdown.splitlines() if line.startswith("| `")}
    for row in table:
        assert f"`{row.key}`" in rows, row.key
        key, default, meaning, flag = rows[f"`{row.key}`"]
        if row.default is None:
            assert "required" in default, (row.key, default)
        elif row.key == "disclosure":  # made from the name and the pronoun
            assert "Simulated NAME" in default and "not the real person" in default, default
        else:
            assert default == f"`{shown(row.default)}`", (row.key, default)
        assert " ".join(row.help.split()) in meaning, (row.key, row.help)
        assert flag == (f"`{row.flag}`" if row.flag else ""), (row.key, flag)
    assert "<!-- generated: settings -->" in page("settings.md")


def test_every_setting_flag_is_a_command_option():
    train = {flag for param in commands()["train"].params for flag in param.opts}
    every = {flag for command in commands().values() for param in command.params for flag in param.opts}
    for row in settings_table():
        if row.flag:
            assert row.flag in every, row.flag
        if row.flag and row.table == "train":
            assert row.flag in train, row.flag


def test_every_command_and_option_is_on_the_cli_page():
    markdown = hooks.cli_markdown()
    sections = {s.split("`", 2)[1]: s for s in re.split(r"^## ", markdown, flags=re.M)[1:]}
    assert len(commands()) >= 20
    for name, command in commands().items():
        section = sections.get(f"sosie {name}")
        assert section, name
        assert " ".join((command.help or "").split()[:6]) in " ".join(section.split()), name
        for param in command.params:
            for flag in param.opts + param.secondary_opts:
                assert re.search(rf"(?<![\w-]){re.escape(flag)}(?![\w-])", section), (name, flag)
        for line in section.splitlines():
            if line.startswith("| `"):
                assert len(cells(line)) == 2, line  # nothing in a help text breaks the table
    assert "<!-- generated: cli -->" in page("cli.md")


def test_the_hook_fills_in_only_its_markers():
    text = "# Title\n\n<!-- generated: settings -->\n\nafter\n"
    out = hooks.on_page_markdown(text, page=None, config=None, files=None)
    assert out.startswith("# Title") and out.rstrip().endswith("after")
    assert "<!-- generated" not in out and "`generative.backend`" in out
    assert hooks.on_page_markdown("plain", page=None, config=None, files=None) == "plain"


# -- the hand-written pages -----------------------------------------------------------------

def test_every_command_is_described_on_a_hand_written_page():
    text = hand_written()
    for name in commands():
        assert f"sosie {name}" in text or f"`{name}`" in text, name


def test_every_serve_flag_is_explained_on_the_serving_pages():
    text = "\n".join(page(name) for name in ("serving.md", "security.md", "getting-started.md"))
    flags = [flag for param in commands()["serve"].params for flag in param.opts if flag.startswith("--")]
    assert len(flags) >= 8
    for flag in flags:
        assert f"`{flag}`" in text or f"{flag}`" in text or f"`{flag} " in text, flag


def test_every_api_route_is_on_the_serving_page(rowan):
    from sosie.serve import create_app

    serving = page("serving.md")
    guarded = create_app([rowan])
    for route in guarded.app.routes:
        path = getattr(route, "path", "")
        if path.startswith(("/api", "/v1", "/healthz")):
            shown_path = path.replace("{session_id}", "{id}").replace("{passage_id}", "{id}")
            shown_path = shown_path.replace("{quiz_id}", "{quiz}")
            assert shown_path in serving, path


def test_every_add_and_corpus_flag_and_every_transcript_convention_is_documented():
    reading = "\n".join(page(name) for name in ("reading.md", "transcripts.md", "recordings.md"))
    for name in ("add", "corpus"):
        for param in commands()[name].params:
            for flag in param.opts:
                if flag.startswith("--") and flag != "--home":
                    assert flag in reading, (name, flag)
    conventions = page("transcripts.md")
    for example in ("`Maya Chen (00:01:23): Why bread?`", "`Maya Chen  0:05`", "`Senator JONES. Thank you.`",
                    "`Q. Where were you?`", "`## Live demo - Maya Chen`", "`MAYA CHEN`", "SPEAKER_00:",
                    "`CHAIR POWELL. Good afternoon.`", "`<NAME>CHAIR POWELL</NAME>.", "--label-pattern"):
        assert example in conventions, example
    assert "seen in (real records in `tests/data/real/`" in conventions


def test_every_page_is_in_the_nav_and_every_readme_link_resolves():
    config = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    for path in DOCS.rglob("*.md"):
        assert f": {path.relative_to(DOCS).as_posix()}" in config, path
    for target in re.findall(r"\]\(((?:docs/|ARCHITECTURE)[^)#]*)", README):
        assert (ROOT / target).exists(), target
    assert (DOCS / "images" / "room.png").stat().st_size > 10_000
    assert "site/" in (ROOT / ".gitignore").read_text(encoding="utf-8").split()


# -- the README, the first screen -----------------------------------------------------------

def test_the_two_setup_commands_are_on_the_first_screen():
    first_screen = "\n".join(README.splitlines()[:20])
    assert "make demo" in first_screen and "make test" in first_screen


def test_the_readme_is_one_screen_that_keeps_the_honesty_points():
    assert len(README.splitlines()) <= 200
    text = " ".join(README.split())
    for point in ("cites the passage it came from", "labelled as a simulation", "record says nothing",
                  "Offline by default", "docs/images/room.png", "docs/getting-started.md"):
        assert point in text, point


# -- settings: one table, checked ------------------------------------------------------------

def test_an_unknown_setting_fails_in_one_line_naming_the_valid_ones(tmp_path):
    card = PersonaConfig(slug="ada", name="Ada Example").to_toml()
    for table, typo in (("quote", "min_similarty"), ("train", "learning_rte"), ("consent", "stauts")):
        text = card.replace(f"[{table}]\n", f"[{table}]\n{typo} = 1\n")
        with pytest.raises(SosieError) as caught:
            PersonaConfig.from_toml(text, tmp_path / "persona.toml")
        message = str(caught.value)
        assert "\n" not in message and f"{table}.{typo}" in message, message
        valid = [row.name for row in settings_table() if row.table == table]
        assert all(name in message for name in valid), message
    with pytest.raises(SosieError, match="unknown setting.*colour.*valid: format, slug, name"):
        PersonaConfig.from_toml("colour = 1\n" + card, tmp_path / "persona.toml")
    assert PersonaConfig.from_toml(card, tmp_path / "persona.toml") == PersonaConfig(slug="ada",
                                                                                     name="Ada Example")


# -- the site builds, with warnings as errors ------------------------------------------------

def test_the_site_builds_with_warnings_as_errors(tmp_path):
    pytest.importorskip("mkdocs", reason="mkdocs comes with the dev extras (pip install -e '.[dev]')")
    pytest.importorskip("mkdocstrings")
    pytest.importorskip("material")
    site = tmp_path / "site"
    run = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
                         cwd=ROOT, capture_output=True, text=True, timeout=300,
                         env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
    assert run.returncode == 0, run.stderr[-4000:]
    settings = (site / "settings" / "index.html").read_text(encoding="utf-8")
    cli = (site / "cli" / "index.html").read_text(encoding="utf-8")
    assert "generated:" not in settings and "generated:" not in cli
    assert all(row.key in settings for row in settings_table())
    assert all(f"sosie {name}" in cli for name in commands())
    api = (site / "api" / "index.html").read_text(encoding="utf-8")
    assert "sosie.persona.Persona" in api and "sosie.workspace.Workspace" in api
