"""One build at a time per workspace, and telling whose a leftover folder is.

``sosie build`` holds an exclusive ``fcntl.flock`` on ``WORKSPACE/.build.lock`` for the whole
build (index and style profile). A second build does not wait: it fails at once with the pid
of the one running, so a script learns it is racing instead of hanging. The kernel drops the
lock when the holder dies (even by SIGKILL), so a stale lock file never blocks a later build.

Work folders (``index/build-*.partial``) record their owner in ``owner.pid`` (pid and the
process's start time, so a recycled pid is not mistaken for the owner); a sweep removes only
folders whose owner is gone.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sosie.errors import SosieError

LOCK_NAME = ".build.lock"
OWNER_NAME = "owner.pid"


class BuildRunning(SosieError):
    pass


def _start_time(pid: int) -> str:
    """The process's start time in clock ticks since boot (Linux), or "" where unknown."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return ""
    # the command name (field 2) may hold spaces and parentheses: split after its last ")"
    return stat.rsplit(")", 1)[1].split()[19]


def owner_stamp(pid: int | None = None) -> str:
    pid = os.getpid() if pid is None else pid
    return f"{pid} {_start_time(pid)}".strip()


def alive(stamp: str) -> bool:
    """Whether the process a stamp names still runs (and is the same process)."""
    parts = stamp.split()
    if not parts or not parts[0].isdigit():
        return False
    pid = int(parts[0])
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # someone else's process: it exists
    started = _start_time(pid)
    return len(parts) < 2 or not started or started == parts[1]


def owned_by_someone_alive(folder: Path) -> bool:
    """True when ``folder`` records a live owner other than this process."""
    try:
        stamp = (folder / OWNER_NAME).read_text().strip()
    except OSError:
        return False  # no owner recorded (an older build, or killed before writing it)
    if stamp.split()[:1] == [str(os.getpid())]:
        return False
    return alive(stamp)


@contextmanager
def build_lock(workspace: Path) -> Iterator[None]:
    """Hold the workspace's build lock, or raise :class:`BuildRunning` naming the holder."""
    path = workspace / LOCK_NAME
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder: list[str] = []
            for _ in range(50):  # the holder writes its pid just after locking: give it 0.5 s
                holder = os.pread(fd, 64, 0).decode("ascii", "replace").split()
                if holder:
                    break
                time.sleep(0.01)
            pid = holder[0] if holder else "unknown"
            raise BuildRunning(
                f"a build is already running (pid {pid}) in {workspace}; wait for it to finish"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, owner_stamp().encode() + b"\n", 0)
        try:
            yield
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
