"""The README documents every command and every setting (a test fails when one is missing)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sosie.cli import app
from sosie.config import PersonaConfig, settings_table
from sosie.errors import SosieError

README = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")


def test_every_command_is_in_the_readme():
    names = [c.name or c.callback.__name__ for c in app.registered_commands]
    assert len(names) >= 8
    for name in names:
        assert f"sosie {name}" in README or f"`{name}`" in README, name


def readme_row(key: str) -> list[str] | None:
    """The cells of the README settings row that documents ``key`` alone, if there is one."""
    for line in README.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if line.startswith("| `") and cells[0] == f"`{key}`":
            return cells
    return None


def shown(value) -> str:
    """A default as the README shows it, the way it reads in persona.toml."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value or '""'
    return json.dumps(value)


def test_every_setting_is_in_the_readme():
    """The settings table (sosie.config) against the README's: every key, its default, its help."""
    table = settings_table()
    assert {row.table for row in table} == {"", "consent", "provenance", "quote", "generative", "train"}
    for row in table:
        assert f"`{row.key}`" in README, row.key
        cells = readme_row(row.key)
        if cells is None:  # documented with another key, e.g. `name`, `aliases`; `consent.note`
            continue
        if row.key != "disclosure":  # its default is made from the name and the pronoun
            assert cells[1] == f"`{shown(row.default)}`", (row.key, cells[1])
        assert row.help in cells[2], (row.key, row.help)
        if row.flag and row.table == "train":
            assert f"(`{row.flag}`)" in cells[2], (row.key, row.flag)


def test_every_setting_flag_is_a_command_option():
    import typer.main

    commands = typer.main.get_command(app).commands
    train = {flag for param in commands["train"].params for flag in param.opts}
    for row in settings_table():
        if row.flag:
            assert f"`{row.flag}`" in README, row.flag
        if row.flag and row.table == "train":
            assert row.flag in train, row.flag


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


def test_the_two_setup_commands_are_on_the_first_screen():
    first_screen = "\n".join(README.splitlines()[:20])
    assert "make demo" in first_screen and "make test" in first_screen


def test_every_serve_flag_is_in_the_readme():
    import typer.main

    command = typer.main.get_command(app).commands["serve"]
    flags = [flag for param in command.params for flag in param.opts if flag.startswith("--")]
    assert len(flags) >= 8
    for flag in flags:
        assert f"`{flag}`" in README or f"{flag}`" in README, flag


def test_every_api_route_is_in_the_readme(rowan):
    from sosie.serve import create_app

    guarded = create_app([rowan])
    for route in guarded.app.routes:
        path = getattr(route, "path", "")
        if path.startswith(("/api", "/v1", "/healthz")):
            shown = path.replace("{session_id}", "{id}").replace("{passage_id}", "{id}")
            shown = shown.replace("{quiz_id}", "{quiz}")
            assert shown in README, path


def test_every_add_and_corpus_flag_and_every_transcript_convention_is_in_the_readme():
    import typer.main

    commands = typer.main.get_command(app).commands
    for name in ("add", "corpus"):
        for param in commands[name].params:
            for flag in param.opts:
                if flag.startswith("--") and flag != "--home":
                    assert f"{flag}" in README, (name, flag)
    for example in ("`Maya Chen (00:01:23): Why bread?`", "`Maya Chen  0:05`", "`Senator JONES. Thank you.`",
                    "`Q. Where were you?`", "`## Live demo - Maya Chen`", "`MAYA CHEN`", "SPEAKER_00:"):
        assert example in README, example
