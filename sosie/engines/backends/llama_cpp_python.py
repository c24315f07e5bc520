"""llama.cpp through llama-cpp-python (extra ``sosie[llama]``; it compiles on install).

An option for those who have it built; the default ``llamacpp`` backend runs the prebuilt
xllamacpp wheel and compiles nothing (:mod:`sosie.engines.backends.llamacpp`)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from sosie.engines.backends import GenerationOptions
from sosie.engines.loading import is_memory_error, model_file, model_identity, out_of_memory
from sosie.errors import SosieError

try:
    from llama_cpp import Llama
except ImportError:  # the error is raised only when this backend is asked for
    Llama = None


class LlamaCppPythonBackend:
    name = "llama-cpp-python"

    @dataclass
    class Options:
        model: str | None = None  # a catalogue name or a GGUF file; None = the bundled SmolLM2
        context_tokens: int = 2048

    def __init__(self, model: str | None = None, context_tokens: int = 2048):
        if Llama is None:
            raise SosieError(
                "the llama-cpp-python backend needs llama-cpp-python: pip install 'sosie[llama]' "
                "(it compiles llama.cpp, a few minutes); the default llamacpp backend needs no compiler"
            )
        self.model_path = model_file(model)
        try:
            self.llm = Llama(model_path=self.model_path, n_ctx=context_tokens, verbose=False)
        except (ValueError, RuntimeError, MemoryError) as exc:
            # llama.cpp says only "Failed to load model": a file that is there and whole
            # (catalogue models were checked above) failed for want of memory, or is no GGUF
            if is_memory_error(exc):
                raise out_of_memory(self.model_path, exc) from exc
            raise SosieError(f"llama.cpp cannot load {self.model_path}: {str(exc).splitlines()[0]} "
                             "(not a GGUF file, or not enough memory: try a smaller --model)") from exc
        self.context_tokens = context_tokens

    def describe(self) -> dict:
        return {"backend": self.name, **model_identity(self.model_path)}

    def count_tokens(self, text: str) -> int:
        return len(self.llm.tokenize(text.encode("utf-8"), add_bos=False))

    def stream(self, messages: list[dict], options: GenerationOptions) -> Iterator[str]:
        chunks = self.llm.create_chat_completion(
            messages=messages, stream=True, max_tokens=options.max_new_tokens,
            temperature=options.temperature, top_p=options.top_p, seed=options.seed,
        )
        try:
            for chunk in chunks:
                piece = chunk["choices"][0]["delta"].get("content")
                if piece:
                    yield piece
        finally:
            chunks.close()  # llama.cpp generates lazily: closing stops it at once
