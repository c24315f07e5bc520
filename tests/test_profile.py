"""The style profile, measured on the real demo corpus."""

from __future__ import annotations

import json

import pytest
from conftest import run_cli

from sosie.profile import FUNCTION_WORDS, summary


def test_profile_finds_the_persons_habits(rowan, wren):
    mine, hers = rowan.profile(), wren.profile()
    assert mine["format"] == 1 and mine["words"] > 12_000
    phrases = {p["phrase"] for p in mine["signature_phrases"]}
    assert {"small tools sharp edges", "the boring answer"} & phrases
    assert "Look," in {o["opening"] for o in mine["openings"]}
    assert mine["hedges"]["i could be wrong"] >= 5
    assert set(mine["function_words"]) == set(FUNCTION_WORDS)
    assert abs(sum(mine["function_words"].values()) - 0.5) < 0.3
    # two different people measure differently
    assert "i could be wrong" not in hers["hedges"]
    assert any("tide" in p["phrase"] for p in hers["signature_phrases"])
    assert "Rowan Adler answers in about" in summary(mine, "Rowan Adler")


@pytest.mark.slow
def test_profile_command_shows_tables_json_and_a_plot(rowan, tmp_path):
    png = tmp_path / "profile.png"
    result = run_cli("profile", "rowan", "--plot", str(png), home=rowan.workspace.parent)
    assert result.returncode == 0, result.stderr
    assert "Signature phrases" in result.stdout and "sentence length" in result.stdout
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000
    as_json = run_cli("profile", "rowan", "--json", home=rowan.workspace.parent)
    assert json.loads(as_json.stdout)["persona"] == "rowan"
