"""``unpack``: check a ``SLUG.sosie.tar.gz`` archive whole, then restore it as a persona.

Every member is checked against the manifest before anything is written (see
:mod:`sosie.export.archive`); files go into a hidden folder inside the home and are renamed
into place at once, and the archive's model and server settings are reset unless trusted.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import tarfile
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

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
from sosie.export.archive import (
    CHUNK,
    DAMAGE,
    FILES,
    FOLDERS,
    FORMAT,
    FORMAT_VERSION,
    MANIFEST,
    MAX_MANIFEST_BYTES,
    REQUIRED,
)
from sosie.index.hybrid import current_build

if TYPE_CHECKING:
    from sosie.workspace import Workspace


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
