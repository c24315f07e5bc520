"""The offline default: Hugging Face transformers on the CPU (or a GPU when present)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass

from sosie.engines.backends import GenerationOptions
from sosie.engines.control import register_control_tokens
from sosie.engines.loading import load, load_tokenizer, model_file, model_identity

__all__ = ["TransformersBackend", "load_tokenizer", "special_tokens"]
from sosie.errors import SosieError


def special_tokens(tokenizer) -> list[str]:
    """Every string this tokenizer turns into a special token wherever it meets it in text."""
    found = list(getattr(tokenizer, "all_special_tokens", []) or [])
    decoder = getattr(tokenizer, "added_tokens_decoder", {}) or {}
    found += [t.content for t in decoder.values() if getattr(t, "special", False)]
    return found


class TransformersBackend:
    name = "transformers"

    @dataclass
    class Options:
        model: str | None = None  # a catalogue name, a GGUF file or a model folder; None = bundled
        context_tokens: int = 2048

    def __init__(self, model: str | None = None, context_tokens: int = 2048):
        path = model_file(model)
        self._use(*load(path), path, context_tokens)

    @classmethod
    def over(cls, model, tokenizer, path: str, context_tokens: int = 2048) -> TransformersBackend:
        """A backend over a model already in memory (the fine-tuned engine's merged model)."""
        backend = cls.__new__(cls)
        backend._use(model, tokenizer, path, context_tokens)
        return backend

    def _use(self, model, tokenizer, path: str, context_tokens: int) -> None:
        self.model, self.tokenizer, self.model_path = model, tokenizer, path
        register_control_tokens(special_tokens(self.tokenizer))  # neutralised in every prompt
        limit = getattr(self.model.config, "max_position_embeddings", context_tokens) or context_tokens
        self.context_tokens = min(context_tokens, limit)

    def describe(self) -> dict:
        """Which model speaks: ``{"backend", "name", "file", "sha256"}`` (sha256: 12 hex digits)."""
        return {"backend": self.name, **model_identity(self.model_path)}

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
