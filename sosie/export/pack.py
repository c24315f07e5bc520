"""A persona in one portable file: ``pack`` writes ``SLUG.sosie.tar.gz``, ``unpack`` restores it.

Layout of the archive (every member a regular file under one top folder named after the slug)::

    SLUG/manifest.json      what this is, who it simulates, and the size and sha256 of every file
    SLUG/persona.toml       the persona card (disclosure, consent, settings)
    SLUG/sosie.db           the SQLite store, copied with the backup API (a consistent snapshot)
    SLUG/profile.json       the style profile, if built
    SLUG/index/CURRENT      the live index build only, never partial or old builds
    SLUG/index/build-*/...
    SLUG/adapter/..., SLUG/eval/..., SLUG/dataset/..., SLUG/train/run.json   when present

Left out by default, and named in the manifest's ``left_out``: training checkpoints
(``train/checkpoints``: large, and only useful to resume a run) and exports (``export/``:
rebuilt from the rest by ``sosie export``).

Why ``.tar.gz`` rather than ``.zip``: ``tarfile`` reports each member's type, so links,
devices and other non-files are refused by name before anything is written; one gzip stream
compresses the many small index files together; and ``tar tzf`` lists it anywhere.

``unpack`` checks everything before the persona appears: a manifest that parses, no member it
does not list, no listed file missing, sizes and sha256 equal, no absolute path, ``..``, link or
device. Files are written into a hidden folder inside the home and renamed into place at once;
any failure removes that folder and raises one :class:`SosieError` line naming the file.

The manifest guards against damage and accidental change; it is not a signature: someone who
rewrites a file and its manifest entry together makes a consistent archive.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import shutil
import sqlite3
import tarfile
import tempfile
import time
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from sosie import __version__
from sosie.config import (
    GenerativeSettings,
    PersonaConfig,
    TrainSettings,
    check_slug,
    home_dir,
    load_config,
    save_config,
)
from sosie.errors import SosieError
from sosie.files import atomic_replace
from sosie.index.hybrid import current_build

if TYPE_CHECKING:
    from sosie.workspace import Workspace

FORMAT = "sosie-persona"
FORMAT_VERSION = 1
SUFFIX = ".sosie.tar.gz"
MANIFEST = "manifest.json"
MAX_MANIFEST_BYTES = 16 * 1024 * 1024  # a manifest this big is not one pack wrote
CHUNK = 1024 * 1024
# The workspace entries an archive may restore; anything else is refused, so an archive can
# never plant, say, a stray ``sosie.db-wal`` beside the database.
FOLDERS = ("index", "adapter", "eval", "dataset", "train", "export")
FILES = ("persona.toml", "sosie.db", "profile.json")
REQUIRED = ("persona.toml", "sosie.db")
# what a truncated or corrupted gzip stream raises somewhere inside tarfile
DAMAGE = (tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile)


# -- pack -------------------------------------------------------------------------------------------
def pack(
    persona: Workspace,
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
    out = _output_path(persona.slug, out)
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{persona.slug}.pack-", dir=out.parent))
    try:
        files, left_out = _stage(persona.workspace, staging, include_checkpoints, include_exports)
        manifest = _manifest(persona, staging, files, left_out)
        atomic_replace(out, lambda tmp: _write_tar(tmp, persona.slug, staging, files, manifest), mode=None)
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


def _manifest(persona: Workspace, staging: Path, files: list[str], left_out: list[str]) -> dict:
    config = persona.config
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


# -- unpack -----------------------------------------------------------------------------------------
def unpack(
    archive: Path, home: str | Path | None = None, slug: str | None = None, force: bool = False,
    *, trust_settings: bool = False, dropped: list[str] | None = None,
    opener: Callable[[str, Path], Workspace] | None = None,
) -> Workspace:
    """Verify ``archive`` and restore it as a persona (under ``slug`` if given); return it, opened.

    An existing persona of that name is replaced only with ``force``. On any failure nothing is
    left in the home and a one-line :class:`SosieError` names the file at fault.

    The archive's model settings (generative backend, model, server URL; the training base
    model) are reset to the local defaults unless ``trust_settings``: an archive could otherwise
    send every later question, with the system prompt and the passages, to a server it names.
    Each setting reset is appended to ``dropped`` as ``"generative.base_url = '...'"``.
    """
    from sosie.workspace import Workspace

    archive = Path(archive).expanduser()
    if not archive.is_file():
        raise SosieError(f"{archive}: no such archive")
    root = home_dir(home)
    created_root = not root.exists()
    staging: Path | None = None
    try:
        with _open_tar(archive) as tar:
            members = _check_members(archive, tar)
            top, manifest, files = _read_manifest(archive, tar, members)
            target_slug = check_slug(slug or manifest["persona"]["slug"])
            workspace = root / target_slug
            if workspace.exists() and not force:
                raise SosieError(
                    f"persona {target_slug!r} already exists at {workspace}; "
                    "restore it under another name or with force to replace it"
                )
            root.mkdir(parents=True, exist_ok=True)
            _check_space(archive, root, files)
            staging = Path(tempfile.mkdtemp(prefix=f".{target_slug}.unpack-", dir=root))
            _extract(archive, tar, members, top, files, staging)
        _finish(archive, staging, target_slug, manifest, trust_settings,
                dropped if dropped is not None else [])
        _swap_in(staging, workspace)
        staging = None
    except DAMAGE as exc:
        raise SosieError(f"{archive}: damaged archive ({type(exc).__name__}: {_one_line(exc)})") from exc
    except OSError as exc:
        raise SosieError(f"{archive}: could not restore into {root} ({_one_line(exc)})") from exc
    finally:
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)
        if created_root:
            _remove_if_empty(root)
    # opener: a higher layer's class (sosie.Persona.open) when the caller wants to ask it
    return (opener or Workspace.open)(target_slug, root)


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())


def _remove_if_empty(folder: Path) -> None:
    try:
        folder.rmdir()
    except OSError:
        pass  # not empty: the restore succeeded, or something else lives there


def _open_tar(archive: Path) -> tarfile.TarFile:
    try:
        return tarfile.open(archive, "r:gz")
    except (*DAMAGE, OSError) as exc:
        raise SosieError(f"{archive}: not a sosie persona archive (.sosie.tar.gz): {_one_line(exc)}") from exc


def _safe_parts(archive: Path, name: str) -> tuple[str, ...]:
    """The path's parts, or an error for anything that could land outside the restore folder."""
    parts = tuple(name.split("/"))
    if (
        name.startswith("/")
        or "\\" in name
        or ":" in parts[0]  # C:... on Windows
        or any(part in ("", ".", "..") for part in parts)
    ):
        raise SosieError(f"{archive}: member {name!r} has an unsafe path (absolute, '..' or odd); refused")
    return parts


def _check_members(archive: Path, tar: tarfile.TarFile) -> dict[str, tarfile.TarInfo]:
    """Every member a regular file at a safe, unique path under one top folder."""
    members: dict[str, tarfile.TarInfo] = {}
    tops: set[str] = set()
    for info in tar.getmembers():
        parts = _safe_parts(archive, info.name)
        if not info.isreg() or info.issparse():
            kind = "a link" if info.issym() or info.islnk() else "a folder" if info.isdir() else "a device"
            raise SosieError(f"{archive}: member {info.name!r} is {kind}; only plain files allowed, refused")
        if len(parts) < 2:
            raise SosieError(f"{archive}: member {info.name!r} is outside the persona's folder; refused")
        if info.name in members:
            raise SosieError(f"{archive}: member {info.name!r} appears twice; refused")
        tops.add(parts[0])
        members[info.name] = info
    if len(tops) != 1:
        raise SosieError(f"{archive}: not a sosie persona archive (expected one top folder, found "
                         f"{len(tops)})")
    return members


def _read_manifest(
    archive: Path, tar: tarfile.TarFile, members: dict[str, tarfile.TarInfo]
) -> tuple[str, dict, dict[str, tuple[int, str]]]:
    """The top folder, the manifest, and its files as ``{path: (size, sha256)}``, all cross-checked
    against the members: nothing unlisted, nothing missing, nothing outside a workspace."""
    (top,) = {name.split("/")[0] for name in members}
    name = f"{top}/{MANIFEST}"
    info = members.get(name)
    if info is None:
        raise SosieError(f"{archive}: no {name} in it; not a sosie persona archive")
    if info.size > MAX_MANIFEST_BYTES:
        raise SosieError(f"{archive}: {name} is too large to be a sosie manifest")
    try:
        manifest = json.loads(_read_member(tar, info))
        if manifest.get("format") != FORMAT:
            raise ValueError("not a sosie persona manifest")
        if int(manifest.get("format_version", 0)) > FORMAT_VERSION:
            raise SosieError(
                f"{archive}: made by a newer sosie ({manifest.get('sosie_version')}, format "
                f"{manifest['format_version']}); upgrade sosie to restore it"
            )
        files = {entry["path"]: (int(entry["size"]), str(entry["sha256"])) for entry in manifest["files"]}
        if len(files) != len(manifest["files"]):
            raise ValueError("a file is listed twice")
        if manifest["persona"]["slug"] != top:
            raise ValueError(f"it names persona {manifest['persona']['slug']!r}, the folder is {top!r}")
    except SosieError:
        raise
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise SosieError(f"{archive}: {name} is unreadable ({_one_line(exc)})") from exc
    for rel in files:
        parts = _safe_parts(archive, rel)
        if parts[0] not in FILES + FOLDERS or (parts[0] in FILES) != (len(parts) == 1):
            raise SosieError(f"{archive}: {rel!r} is not part of a persona workspace; refused")
        if rel == MANIFEST:
            raise SosieError(f"{archive}: {name} lists itself; refused")
    for rel in REQUIRED:
        if rel not in files:
            raise SosieError(f"{archive}: {name} lists no {rel}; not a complete persona")
    listed = {f"{top}/{rel}" for rel in files} | {name}
    for member in members:
        if member not in listed:
            raise SosieError(f"{archive}: member {member!r} is not listed in {name}; refused")
    for rel in files:
        if f"{top}/{rel}" not in members:
            raise SosieError(f"{archive}: {top}/{rel} is listed in {name} but missing")
    return top, manifest, files


def _read_member(tar: tarfile.TarFile, info: tarfile.TarInfo) -> bytes:
    handle = tar.extractfile(info)
    assert handle is not None  # a regular file, checked before
    return handle.read()


def _check_space(archive: Path, root: Path, files: dict[str, tuple[int, str]]) -> None:
    need = sum(size for size, _ in files.values())
    free = shutil.disk_usage(root).free
    if need > free:
        raise SosieError(f"{archive}: needs {need:,} bytes in {root}, only {free:,} free")


def _chunks(handle: io.BufferedReader, size: int) -> Iterator[bytes]:
    left = size
    while left > 0:
        chunk = handle.read(min(CHUNK, left))
        if not chunk:
            break
        left -= len(chunk)
        yield chunk


def _extract(
    archive: Path,
    tar: tarfile.TarFile,
    members: dict[str, tarfile.TarInfo],
    top: str,
    files: dict[str, tuple[int, str]],
    staging: Path,
) -> None:
    """Write each listed file under ``staging``, hashing as it goes; any mismatch stops it."""
    for rel, (size, sha256) in files.items():
        name = f"{top}/{rel}"
        info = members[name]
        if info.size != size:
            raise SosieError(f"{archive}: {name} is {info.size} bytes, its manifest says {size}; "
                             "damaged or altered, nothing restored")
        target = staging / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        handle = tar.extractfile(info)
        assert handle is not None
        with open(target, "xb") as out:  # "x": never through something already there
            for chunk in _chunks(handle, size):
                digest.update(chunk)
                out.write(chunk)
        if digest.hexdigest() != sha256:
            raise SosieError(f"{archive}: {name} fails its sha256 check; damaged or altered, "
                             "nothing restored")


# Settings that decide where questions and corpus text are sent, or what is downloaded.
UNTRUSTED = (("generative", "backend"), ("generative", "model"), ("generative", "base_url"),
             ("train", "base_model"))


def _drop_untrusted(config: PersonaConfig) -> list[str]:
    """Reset the archive's model and server settings to this machine's defaults; say which."""
    dropped = []
    defaults = {"generative": GenerativeSettings(), "train": TrainSettings()}
    for table, name in UNTRUSTED:
        settings = getattr(config, table)
        value, default = getattr(settings, name), getattr(defaults[table], name)
        if value != default:
            dropped.append(f"{table}.{name} = {value!r}")
            setattr(settings, name, default)
    return dropped


def _finish(archive: Path, staging: Path, slug: str, manifest: dict, trust_settings: bool = False,
            dropped: list[str] | None = None) -> None:
    """Rename the persona if asked, reset untrusted settings, then check the restored folder
    reads as a persona whose index lies inside it."""
    try:
        config = load_config(staging)
    except SosieError as exc:
        raise SosieError(f"{archive}: persona.toml does not load ({_one_line(exc)})") from exc
    reset = [] if trust_settings else _drop_untrusted(config)
    if dropped is not None:
        dropped.extend(reset)
    renamed = config.slug != slug
    if renamed or reset:
        config.slug = slug
        save_config(staging, config)
    if renamed:
        profile = staging / "profile.json"
        if profile.is_file():  # the profile names its persona too
            try:
                data = json.loads(profile.read_text(encoding="utf-8"))
            except ValueError as exc:
                raise SosieError(f"{archive}: profile.json is not valid JSON ({_one_line(exc)})") from exc
            data["persona"] = slug
            profile.write_text(json.dumps(data, indent=2, ensure_ascii=False), encoding="utf-8")
    try:
        live = current_build(staging / "index")
    except SosieError as exc:  # CURRENT naming "../elsewhere", "/abs", a link: refused
        raise SosieError(f"{archive}: index/CURRENT is unsafe ({_one_line(exc).split(': ', 1)[1]})") from exc
    if (manifest.get("index") or (staging / "index" / "CURRENT").exists()) and live is None:
        raise SosieError(f"{archive}: index/CURRENT does not name a complete index build")


def _swap_in(staging: Path, workspace: Path) -> None:
    """Rename into place; an existing persona (``force``) is moved aside first and then removed."""
    if not workspace.exists():
        os.rename(staging, workspace)
        return
    old = workspace.with_name(f".{workspace.name}.replaced-{os.getpid()}")
    os.rename(workspace, old)
    try:
        os.rename(staging, workspace)
    except OSError:
        os.rename(old, workspace)  # put the previous persona back
        raise
    shutil.rmtree(old, ignore_errors=True)
