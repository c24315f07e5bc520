"""``pack``: a persona in one portable file, ``SLUG.sosie.tar.gz`` (its layout in
:mod:`sosie.export.archive`; :func:`sosie.export.unpack.unpack` restores it).

The files are copied to a staging folder first (the database through SQLite's backup API),
hashed there and archived from there, so the manifest describes exactly what is archived.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import sqlite3
import tarfile
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

from sosie import __version__
from sosie.errors import SosieError
from sosie.export.archive import CHUNK, FORMAT, FORMAT_VERSION, MANIFEST, REQUIRED, SUFFIX
from sosie.files import atomic_replace
from sosie.index.hybrid import current_build

if TYPE_CHECKING:
    from sosie.workspace import Workspace


def pack(
    workspace: Workspace,
    out: Path | None = None,
    *,
    include_checkpoints: bool = False,
    include_exports: bool = False,
) -> Path:
    """Write the persona to one archive (default ``./SLUG.sosie.tar.gz``) and return its path.

    The files are first copied to a staging folder (the database through SQLite's backup API),
    hashed there and archived from there, so the manifest describes exactly what is archived
    even if the persona is in use meanwhile. The archive appears atomically, complete or not at all.
    """
    out = _output_path(workspace.slug, out)
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{workspace.slug}.pack-", dir=out.parent))
    try:
        files, left_out = _stage(workspace.workspace, staging, include_checkpoints, include_exports)
        manifest = _manifest(workspace, staging, files, left_out)
        atomic_replace(out, lambda tmp: _write_tar(tmp, workspace.slug, staging, files, manifest), mode=None)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return out


def _output_path(slug: str, out: Path | None) -> Path:
    if out is None:
        return Path.cwd() / f"{slug}{SUFFIX}"
    out = Path(out).expanduser()
    return out / f"{slug}{SUFFIX}" if out.is_dir() else out


def _stage(
    workspace: Path, staging: Path, include_checkpoints: bool, include_exports: bool
) -> tuple[list[str], list[str]]:
    """Copy what travels into ``staging``; return the relative paths and what was left out."""
    for name in REQUIRED:
        if not (workspace / name).is_file():
            raise SosieError(f"{workspace / name}: missing, so {workspace.name!r} is not a complete persona")
    _backup_database(workspace / "sosie.db", staging / "sosie.db")
    shutil.copy2(workspace / "persona.toml", staging / "persona.toml")
    if (workspace / "profile.json").is_file():
        shutil.copy2(workspace / "profile.json", staging / "profile.json")
    left_out: list[str] = []
    live = current_build(workspace / "index")
    if live is not None:
        # CURRENT is written from the build we copy, not copied: a rebuild meanwhile cannot
        # leave it naming a folder the archive lacks.
        _copy_tree(live, staging / "index" / live.name)
        (staging / "index" / "CURRENT").write_text(live.name)
    for name in ("adapter", "eval", "dataset"):
        if (workspace / name).is_dir():
            _copy_tree(workspace / name, staging / name)
    if (workspace / "train").is_dir():
        skip = () if include_checkpoints else ("checkpoints",)
        _copy_tree(workspace / "train", staging / "train", skip=skip)
        if skip and (workspace / "train" / "checkpoints").exists():
            left_out.append("train/checkpoints (training checkpoints: only needed to resume a run)")
    if (workspace / "export").is_dir():
        if include_exports:
            _copy_tree(workspace / "export", staging / "export")
        else:
            left_out.append("export (exports: rebuilt from the rest with sosie export)")
    files = sorted(p.relative_to(staging).as_posix() for p in staging.rglob("*") if p.is_file())
    return files, left_out


def _backup_database(source: Path, target: Path) -> None:
    """A consistent copy even while the WAL holds committed pages the main file lacks yet."""
    try:
        src = sqlite3.connect(source, timeout=30)
        try:
            dst = sqlite3.connect(target)
            try:
                src.backup(dst)
                # a single self-contained file; Store switches WAL back on when it opens it
                dst.execute("PRAGMA journal_mode = DELETE")
            finally:
                dst.close()
        finally:
            src.close()
    except sqlite3.Error as exc:
        raise SosieError(f"{source}: could not be copied ({exc})") from exc


def _copy_tree(source: Path, target: Path, skip: tuple[str, ...] = ()) -> None:
    """Regular files only; a file that vanishes mid-copy means the persona changed under us."""
    try:
        for folder, dirs, names in os.walk(source):
            here = Path(folder)
            if here == source:
                dirs[:] = [d for d in dirs if d not in skip]
            for name in names:
                path = here / name
                if path.is_file():  # follows a link to a file; sockets and the like stay behind
                    copy = target / path.relative_to(source)
                    copy.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(path, copy)
    except FileNotFoundError as exc:
        raise SosieError(f"{exc.filename}: changed while packing (a build running?); pack again") from exc


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _manifest(workspace: Workspace, staging: Path, files: list[str], left_out: list[str]) -> dict:
    config = workspace.config
    index = None
    live = current_build(staging / "index")
    if live is not None:
        built = json.loads((live / "manifest.json").read_text(encoding="utf-8"))
        index = {"build": live.name, "model": built.get("model"),
                 "corpus_version": built.get("corpus_version")}
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "sosie_version": __version__,
        "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "persona": {
            "slug": config.slug,
            "name": config.name,
            "disclosure": config.disclosure,
            "fictional": config.fictional,
            "consent": {"status": config.consent, "note": config.consent_note},
        },
        "index": index,
        "left_out": left_out,
        "files": [
            {"path": rel, "size": (staging / rel).stat().st_size, "sha256": _sha256(staging / rel)}
            for rel in files
        ],
    }


def _tarinfo(name: str, size: int, mtime: float) -> tarfile.TarInfo:
    """A plain file owned by nobody in particular: no user names or ids from this machine."""
    info = tarfile.TarInfo(name)
    info.size, info.mtime, info.mode = size, int(mtime), 0o644
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info


def _write_tar(path: Path, slug: str, staging: Path, files: list[str], manifest: dict) -> None:
    data = json.dumps(manifest, indent=2, ensure_ascii=False).encode("utf-8")
    stamp = time.time()
    with tarfile.open(path, "w:gz", format=tarfile.PAX_FORMAT) as tar:
        # the manifest first, so a streaming reader meets it before the files it describes
        tar.addfile(_tarinfo(f"{slug}/{MANIFEST}", len(data), stamp), io.BytesIO(data))
        for rel in files:
            with (staging / rel).open("rb") as handle:
                tar.addfile(_tarinfo(f"{slug}/{rel}", (staging / rel).stat().st_size, stamp), handle)
