"""The fine-tuned engine: the generative engine, answering with the person's LoRA adapter.

Everything but the model is the generative engine's: retrieval, numbered sources, citations,
the sentence-by-sentence support tags and abstention. The adapter (``sosie train``) lives in
``WORKSPACE/adapter``; it is merged into a fresh copy of its base model once per process.
"""

from __future__ import annotations

import threading
import warnings
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from sosie.engines.backends.hf import TransformersBackend
from sosie.engines.base import register
from sosie.engines.generative import GenerativeEngine
from sosie.errors import SosieError

if TYPE_CHECKING:
    from sosie.persona import Persona

_loading = threading.Lock()


@lru_cache(maxsize=2)
def load_merged(adapter: str, stamp: int):  # stamp: the adapter file's mtime, so a retrain reloads
    import json

    from sosie.train.trainer import META, load_base

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


class FinetunedBackend(TransformersBackend):
    name = "finetuned"

    def __init__(self, adapter: Path, context_tokens: int = 2048):
        weights = adapter / "adapter_model.safetensors"
        if not weights.is_file():
            raise SosieError(f"no fine-tuned adapter in {adapter}; run: sosie train {adapter.parent.name}")
        with _loading:
            self.model, self.tokenizer = load_merged(str(adapter), weights.stat().st_mtime_ns)
        self.model_path = str(adapter)
        limit = getattr(self.model.config, "max_position_embeddings", context_tokens) or context_tokens
        self.context_tokens = min(context_tokens, limit)


@register
class FinetunedEngine(GenerativeEngine):
    name = "finetuned"

    def __init__(self, persona: Persona, **_: object):
        from sosie.train.trainer import ADAPTER

        backend = FinetunedBackend(persona.workspace / ADAPTER, persona.config.generative.context_tokens)
        super().__init__(persona, backend_instance=backend)

    @staticmethod
    def available(persona: Persona) -> bool:
        from sosie.train.trainer import ADAPTER

        return (persona.workspace / ADAPTER / "adapter_model.safetensors").is_file()
