"""The workspace on disk (issue 20, item 6): file modes, and a profile left from an older corpus.

Real CLI processes (run with the test runner's ordinary umask, 022) and real files.
"""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from conftest import PODCAST, ROWAN_DIR, run_cli
from conftest import run_in_process as sosie

from sosie import Persona
from sosie.index.hybrid import build_index


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.slow
def test_everything_the_cli_writes_into_a_workspace_is_private(home):
    assert run_cli("new", "ada", "--name", "Rowan Adler", home=home).returncode == 0
    assert run_cli("add", "ada", str(PODCAST), home=home).returncode == 0
    assert run_cli("build", "ada", home=home).returncode == 0
    assert run_cli("ask", "ada", "Why do trains beat planes?", home=home).returncode == 0
    workspace = home / "ada"
    for out in ("t.md", "t.json", "t.srt"):
        result = run_cli("export", "ada", "--format", "transcript", "--out", str(workspace / "exports" / out),
                         home=home)
        assert result.returncode == 0, result.stderr
    assert mode(home) == 0o700 and mode(workspace) == 0o700
    checked = 0
    for path in workspace.rglob("*"):
        if path.name.startswith("sosie.db"):
            continue  # the database's own mode is the store's business (and tested there)
        expected = 0o700 if path.is_dir() else 0o600
        assert mode(path) == expected, (path, oct(mode(path)))
        checked += 1
    assert checked > 10 and (workspace / "exports" / "t.md").is_file()


def test_the_library_makes_private_workspaces_too(home):
    with Persona.create("bob", "Rowan Adler", home=home) as persona:
        assert mode(persona.workspace) == 0o700 and mode(home) == 0o700
        assert mode(persona.workspace / "persona.toml") == 0o600
        persona.add(PODCAST)
        persona.build()
        assert mode(persona.workspace / "profile.json") == 0o600
        assert mode(persona.workspace / "index") == 0o700
        live = (persona.workspace / "index" / "CURRENT").read_text()
        assert mode(persona.workspace / "index" / live) == 0o700


@pytest.mark.slow
def test_a_build_killed_after_the_index_switch_leaves_a_profile_that_is_noticed(home):
    with Persona.create("ada", "Rowan Adler", ["Rowan"], home=home, pronoun="his") as persona:
        persona.add(PODCAST)
        persona.build()
        assert persona.index_status()["profile_stale"] is False
        persona.add(ROWAN_DIR / "essays")
        # What a build killed between the index switch and the profile leaves: the new index
        # live, profile.json still the old corpus's (the index step alone, as build() runs it).
        build_index(persona.store, persona.workspace / "index")
        status = persona.index_status()
        assert status["stale"] is False and status["profile_stale"] is True
    asked = sosie("ask", "ada", "Why do trains beat planes?", home=home)
    assert asked.returncode == 0 and "style profile is not from the corpus" in asked.stderr
    shown = sosie("profile", "ada", home=home)
    assert "style profile is not from the corpus" in shown.stderr
    assert "profile-st" in sosie("list", home=home).stdout  # (cut to fit 80 columns)
    assert sosie("build", "ada", home=home).returncode == 0
    asked = sosie("ask", "ada", "Why do trains beat planes?", home=home)
    assert asked.returncode == 0 and "warning" not in asked.stderr


# persona.toml as Sosie wrote it before the quote engine's settings became every engine's
# retrieval settings (RetrievalSettings): the table kept its name, [quote]
CARD_BEFORE_THE_RENAME = """\
format = 1
slug = "ada"
name = "Ada Example"
aliases = []
description = ""
pronoun = "their"
disclosure = "Simulated Ada Example — built from their recorded words; not the real person."
default_engine = "quote"
fictional = false
near_duplicate_jaccard = 0.8

[consent]
status = "none"
note = ""

[provenance]
note = ""

[quote]
min_similarity = 0.3
question_match = 0.62
max_passages = 2
max_words = 90
mmr_lambda = 0.7
"""


def test_a_persona_toml_with_a_quote_table_loads_as_the_retrieval_settings(home):
    from sosie.config import PersonaConfig, RetrievalSettings

    (home / "ada").mkdir(parents=True)
    (home / "ada" / "persona.toml").write_text(CARD_BEFORE_THE_RENAME, encoding="utf-8")
    with Persona.open("ada", home) as ada:
        assert isinstance(ada.config.retrieval, RetrievalSettings)
        assert ada.config.retrieval.min_similarity == 0.3 and ada.config.retrieval.max_passages == 2
        assert ada.config.quote is ada.config.retrieval  # the old attribute name still reads it
        assert ada.engine("quote").settings.max_passages == 2
        written = ada.config.to_toml()
    assert "[quote]\nmin_similarity = 0.3\n" in written and "[retrieval]" not in written
    assert PersonaConfig.from_toml(written, home / "persona.toml") == ada.config
