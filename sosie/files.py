"""Writing files so that a reader, a crash or a full disk never sees half of one.

Every file Sosie writes for keeps goes through :func:`atomic_write`: the bytes go to a hidden
temporary file in the same folder (same file system, so the rename is atomic), are flushed to
disk, and replace the target in one ``os.replace``. On any failure the temporary file is removed
and the old file, if any, is untouched.

>>> import tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> atomic_write(folder / "card.json", '{"name": "Ada"}').read_text()
'{"name": "Ada"}'
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

PRIVATE = 0o600  # a person's words, interviews and settings: readable by their owner only


def atomic_write(path: str | Path, data: str | bytes, mode: int | None = PRIVATE) -> Path:
    """Write ``data`` (text as UTF-8) to ``path`` atomically, with permissions ``mode`` (``None``:
    what the process's umask gives, for exports meant to be shared)."""
    payload = data.encode("utf-8") if isinstance(data, str) else data

    def write(tmp: Path) -> None:
        with open(tmp, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())

    return atomic_replace(path, write, mode)


def atomic_replace(path: str | Path, write: Callable[[Path], object], mode: int | None = PRIVATE) -> Path:
    """Call ``write(tmp)`` to fill a temporary file, then rename it over ``path``.

    For writers that need a path of their own (a PNG encoder, a PDF renderer, a GGUF writer)."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        write(tmp)
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def file_sha256(path: str | Path) -> str:
    """The sha256 of a file, read 8 MB at a time (a model or a recording is never read whole)."""
    import hashlib

    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(8 * 2**20):
            digest.update(chunk)
    return digest.hexdigest()
