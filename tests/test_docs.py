"""The README documents every command and every setting (a test fails when one is missing)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from sosie.cli import app
from sosie.config import GenerativeSettings, PersonaConfig, QuoteSettings, TrainSettings

README = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")


def test_every_command_is_in_the_readme():
    names = [c.name or c.callback.__name__ for c in app.registered_commands]
    assert len(names) >= 8
    for name in names:
        assert f"sosie {name}" in README or f"`{name}`" in README, name


def test_every_setting_is_in_the_readme():
    for field in dataclasses.fields(QuoteSettings):
        assert f"`quote.{field.name}`" in README, field.name
    for field in dataclasses.fields(GenerativeSettings):
        assert f"`generative.{field.name}`" in README, field.name
    for field in dataclasses.fields(TrainSettings):
        assert f"`train.{field.name}`" in README, field.name
    for field in dataclasses.fields(PersonaConfig):
        tables = ("quote", "generative", "train")
        if field.name in ("slug", *tables, "consent_note", "provenance_note", "consent"):
            continue
        assert f"`{field.name}`" in README, field.name


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
