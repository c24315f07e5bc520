"""The offline default: Hugging Face transformers on the CPU (or a GPU when present)."""

from __future__ import annotations

import contextlib
import io
import threading
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path

from sosie.engines.backends import GenerationOptions, bundled_gguf
from sosie.engines.control import register_control_tokens
from sosie.errors import SosieError

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
    path = Path(model)
    try:
        if path.suffix == ".gguf":  # transformers dequantises GGUF weights into a torch model
            kwargs = {"gguf_file": path.name}
            folder = str(path.parent)
        else:
            kwargs = {"local_files_only": path.exists()}
            folder = model
        # the GGUF de-quantiser draws its own tqdm bar on stderr; failures still raise
        with contextlib.redirect_stderr(io.StringIO()):
            tokenizer = AutoTokenizer.from_pretrained(folder, **kwargs)
            lm = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32, **kwargs)
    except (OSError, ValueError) as exc:
        raise SosieError(f"cannot load model {model!r}: {str(exc).splitlines()[0]}") from exc
    if path.suffix == ".gguf":
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

    path = Path(model)
    kwargs = {"gguf_file": path.name} if path.suffix == ".gguf" else {"local_files_only": path.exists()}
    try:
        with contextlib.redirect_stderr(io.StringIO()):
            return AutoTokenizer.from_pretrained(str(path.parent) if path.suffix == ".gguf" else model,
                                                 **kwargs)
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


def special_tokens(tokenizer) -> list[str]:
    """Every string this tokenizer turns into a special token wherever it meets it in text."""
    found = list(getattr(tokenizer, "all_special_tokens", []) or [])
    decoder = getattr(tokenizer, "added_tokens_decoder", {}) or {}
    found += [t.content for t in decoder.values() if getattr(t, "special", False)]
    return found


class TransformersBackend:
    name = "transformers"

    def __init__(self, model: str | None = None, context_tokens: int = 2048, **_: object):
        self.model_path = str(model or bundled_gguf())
        self.model, self.tokenizer = load(self.model_path)
        register_control_tokens(special_tokens(self.tokenizer))  # neutralised in every prompt
        limit = getattr(self.model.config, "max_position_embeddings", context_tokens) or context_tokens
        self.context_tokens = min(context_tokens, limit)

    def count_tokens(self, text: str) -> int:
        return len(self.tokenizer.encode(text, add_special_tokens=False))

    def stream(self, messages: list[dict], options: GenerationOptions) -> Iterator[str]:
        import torch
        from transformers import StoppingCriteria, StoppingCriteriaList, TextIteratorStreamer

        stop = threading.Event()

        class StopWhenAsked(StoppingCriteria):
            """Ends generation at the next token once the consumer has stopped reading."""

            def __call__(self, input_ids, scores, **kwargs):
                return torch.full((input_ids.shape[0],), stop.is_set(), dtype=torch.bool,
                                  device=input_ids.device)

        prompt = self.tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)
        inputs = self.tokenizer(prompt, return_tensors="pt", add_special_tokens=False).to(self.model.device)
        streamer = TextIteratorStreamer(self.tokenizer, skip_prompt=True, skip_special_tokens=True)
        if options.seed is not None:
            torch.manual_seed(options.seed)
        sample = options.temperature > 0
        kwargs = dict(
            **inputs,
            streamer=streamer,
            max_new_tokens=options.max_new_tokens,
            do_sample=sample,
            pad_token_id=self.tokenizer.eos_token_id,
            repetition_penalty=1.1,
            stopping_criteria=StoppingCriteriaList([StopWhenAsked()]),
        )
        if sample:
            kwargs.update(temperature=options.temperature, top_p=options.top_p)
        errors: list[BaseException] = []

        def generate() -> None:
            try:
                with torch.no_grad():
                    self.model.generate(**kwargs)
            except BaseException as exc:  # surfaced in the caller's thread below
                errors.append(exc)
                streamer.end()

        worker = threading.Thread(target=generate, daemon=True, name="sosie-generate")
        worker.start()
        try:
            yield from streamer
        finally:
            stop.set()  # a consumer that stopped early (a client gone) stops the model too
            worker.join()
        if errors:
            raise SosieError(f"generation failed: {errors[0]}") from errors[0]
