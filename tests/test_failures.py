"""One line instead of a traceback (issue 20, item 5): a read-only workspace and a full disk.

Where this process may mount (root with CAP_SYS_ADMIN, as in CI here) both are real: a tiny
tmpfs remounted read-only, and a tmpfs filled up until a build cannot write its index. Where it
may not, the read-only case uses file modes (effective for a non-root user) and the full-disk
case is skipped; a third test simulates ENOSPC everywhere, in-process, by making numpy's file
write (the index's file-writing boundary) raise OSError(ENOSPC) — a simulation, said so here.
"""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest
from conftest import PODCAST, ROWAN_DIR, run_cli
from typer.testing import CliRunner

from sosie import Persona
from sosie.cli import app


@contextmanager
def tmpfs(where: Path, size_kb: int) -> Iterator[Path | None]:
    """A real tmpfs of ``size_kb`` at ``where``, or None where this process cannot mount."""
    where.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0 or shutil.which("mount") is None:
        yield None
        return
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_kb}k", "tmpfs", str(where)],
                             capture_output=True)
    if mounted.returncode != 0:
        yield None
        return
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], capture_output=True)


def built_workspace(home: Path) -> Path:
    with Persona.create("ada", "Rowan Adler", ["Rowan"], home=home, pronoun="his") as persona:
        persona.add(PODCAST)
        persona.build()
        return persona.workspace


def assert_one_line(result, *needles: str) -> None:
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]


@pytest.mark.slow
def test_a_read_only_workspace_is_one_line_for_every_command(tmp_path):
    source = built_workspace(tmp_path / "build-home")
    with tmpfs(tmp_path / "ro", 4096) as mounted:
        home = mounted or tmp_path / "ro"
        shutil.copytree(source, home / "ada")
        if mounted:
            assert subprocess.run(["mount", "-o", "remount,ro", str(mounted)]).returncode == 0
        else:  # file modes: effective for a non-root user only
            if os.geteuid() == 0:
                pytest.skip("root, and no mount: a read-only workspace cannot be made here")
            for path in [home / "ada", *(home / "ada").rglob("*")]:
                path.chmod(0o555 if path.is_dir() else 0o444)
        workspace = str(home / "ada")
        for args in (["ask", "ada", "Why trains?"], ["add", "ada", str(ROWAN_DIR / "essays")],
                     ["build", "ada"], ["corpus", "ada"], ["new", "bob", "--name", "Bob"]):
            result = run_cli(*args, home=home)
            assert_one_line(result, str(home))
            if args[0] != "new":
                assert workspace in result.stderr, result.stderr
            assert any(cause in result.stderr for cause in
                       ("read-only", "readonly", "unable to open", "Permission denied")), result.stderr
        if not mounted:
            for path in [home / "ada", *(home / "ada").rglob("*")]:
                path.chmod(0o755 if path.is_dir() else 0o644)


@pytest.mark.slow
def test_a_full_disk_during_build_is_one_line_and_leaves_no_partial(tmp_path):
    source = built_workspace(tmp_path / "build-home")
    with tmpfs(tmp_path / "full", 1024) as mounted:
        if mounted is None:
            pytest.skip("cannot mount a tmpfs here; see the simulated ENOSPC test below")
        shutil.copytree(source, mounted / "ada")
        live = (mounted / "ada" / "index" / "CURRENT").read_text()
        assert run_cli("add", "ada", str(ROWAN_DIR / "essays"), home=mounted).returncode == 0
        free_kb = shutil.disk_usage(mounted).free // 1024
        filler = mounted / "filler"
        filler.write_bytes(b"\0" * max(0, free_kb - 80) * 1024)  # leave too little for an index
        result = run_cli("build", "ada", home=mounted)
        # ENOSPC, numpy's short write or SQLite's I/O error, depending on which write hits the end
        assert_one_line(result, "full", str(mounted / "ada"))
        index = mounted / "ada" / "index"
        assert not list(index.glob("*.partial")) and not list(index.glob("*.tmp"))
        assert (index / "CURRENT").read_text() == live  # the old index stays live
        filler.unlink()
        asked = run_cli("ask", "ada", "Why do trains beat planes?", home=mounted)
        assert asked.returncode == 0 and "[1]" in asked.stdout  # and works (warned: stale)
        assert "files changed since the last build" in asked.stderr


def test_a_simulated_full_disk_is_one_line_and_removes_the_partial(tmp_path, monkeypatch):
    """Simulated: numpy's np.save, where the index writes its vectors, raises ENOSPC."""
    home = tmp_path / "home"
    with Persona.create("ada", "Rowan Adler", ["Rowan"], home=home, pronoun="his") as persona:
        persona.add(PODCAST)

    def disk_full(file, *args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(np, "save", disk_full)
    result = CliRunner().invoke(app, ["build", "ada", "--home", str(home)])
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        f"error: {home / 'ada' / 'index'}: No space left on device "
        "(the disk is full; free some space and run it again)")
    index = home / "ada" / "index"
    assert not list(index.glob("build-*")) and not (index / "CURRENT").exists()
    assert not (home / "ada" / "profile.json").exists()
