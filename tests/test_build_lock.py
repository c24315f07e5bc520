"""Two builds at once (issue 20, item 4): a per-workspace lock, and sweeps that spare the
folders of builds still running. Real processes, real signals, real files."""

from __future__ import annotations

import fcntl
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from conftest import PODCAST, SOSIE, run_cli

from sosie import Persona
from sosie.locks import LOCK_NAME, OWNER_NAME, BuildRunning, build_lock, owner_stamp


def lock_held(workspace: Path) -> bool:
    fd = os.open(workspace / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    finally:
        os.close(fd)


@pytest.mark.slow
def test_a_second_build_is_refused_with_the_first_ones_pid(home):
    assert run_cli("new", "ada", "--name", "Rowan Adler", home=home).returncode == 0
    assert run_cli("add", "ada", str(PODCAST), home=home).returncode == 0
    workspace = home / "ada"
    env = dict(os.environ, SOSIE_HOME=str(home))
    first = subprocess.Popen([str(SOSIE), "build", "ada"], env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        # locked, and its pid written (a stop between the two would leave no pid to name)
        while (not (workspace / LOCK_NAME).exists() or not (workspace / LOCK_NAME).read_text().strip()
               or not lock_held(workspace)):
            assert time.monotonic() < deadline and first.poll() is None, "the first build never locked"
            time.sleep(0.01)
        first.send_signal(signal.SIGSTOP)  # hold it mid-build, so the race is certain
        second = run_cli("build", "ada", home=home, timeout=120)
        assert second.returncode == 1
        assert second.stderr.strip() == (
            f"error: a build is already running (pid {first.pid}) in {workspace}; wait for it to finish")
        assert "Traceback" not in second.stderr
    finally:
        first.send_signal(signal.SIGCONT)
    out, errors = first.communicate(timeout=180)
    assert first.returncode == 0, errors  # the first build was not disturbed
    assert "Indexed" in out
    index = workspace / "index"
    assert not list(index.glob("*.partial")) and len(list(index.glob("build-*"))) == 1
    assert not lock_held(workspace)
    assert run_cli("build", "ada", home=home).returncode == 0  # and the lock is free again


def test_the_lock_refuses_in_process_and_is_released(tmp_path):
    with build_lock(tmp_path):
        with pytest.raises(BuildRunning, match=rf"pid {os.getpid()}\)"):
            with build_lock(tmp_path):
                pass
    with build_lock(tmp_path):  # released
        pass


@pytest.mark.slow
def test_a_sweep_spares_a_partial_whose_owner_runs(small):
    small.add(small.corpus_dir)
    index = small.workspace / "index"
    index.mkdir()
    sleeper = subprocess.Popen(["sleep", "60"])
    try:
        running = index / "build-20990101-000000-1.partial"  # another build, still writing
        running.mkdir()
        (running / OWNER_NAME).write_text(owner_stamp(sleeper.pid))
        (running / "passages.npy").write_bytes(b"half written")
        dead = subprocess.Popen(["true"])
        dead.wait()
        killed = index / "build-20990101-000000-2.partial"  # a build that was killed
        killed.mkdir()
        (killed / OWNER_NAME).write_text(owner_stamp(dead.pid) or str(dead.pid))
        legacy = index / "build-20990101-000000-3.partial"  # from before owners were recorded
        legacy.mkdir()
        small.build()
        assert running.is_dir() and (running / "passages.npy").is_file()
        assert not killed.exists() and not legacy.exists()
    finally:
        sleeper.kill()
        sleeper.wait()
    small.build()  # its owner is gone now: swept
    assert not running.exists()
    assert len(list(index.glob("build-*"))) == 1


@pytest.mark.slow
def test_a_build_lock_survives_nothing_but_its_holder(small, tmp_path):
    """A lock file left by a killed build (the kernel released the lock) does not block."""
    (small.workspace / LOCK_NAME).write_text("999999999\n")
    small.add(small.corpus_dir)
    small.build()
    assert Persona.open("small", small.workspace.parent).index_status()["built"]
