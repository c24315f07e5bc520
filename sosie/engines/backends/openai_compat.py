"""Any OpenAI-compatible chat endpoint: OpenAI, Ollama, vLLM, llama.cpp server, LM Studio, Sosie.

The API key comes from ``SOSIE_API_KEY`` or ``OPENAI_API_KEY`` (local servers need none).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass

from sosie.engines.backends import GenerationOptions
from sosie.errors import SosieError


class OpenAIBackend:
    name = "openai"

    @dataclass
    class Options:
        model: str | None = None  # the server's model name
        base_url: str | None = None  # e.g. http://127.0.0.1:11434/v1; else $OPENAI_BASE_URL
        context_tokens: int = 8192
        timeout: float = 120.0

    def __init__(
        self,
        model: str | None = None,
        base_url: str | None = None,
        context_tokens: int = 8192,
        timeout: float = 120.0,
    ):
        try:
            import openai
        except ImportError as exc:
            raise SosieError("the openai backend needs the openai package: pip install openai") from exc
        base_url = base_url or os.environ.get("OPENAI_BASE_URL")
        if not model:
            raise SosieError("the openai backend needs a model name: --model NAME (e.g. llama3.2)")
        key = os.environ.get("SOSIE_API_KEY") or os.environ.get("OPENAI_API_KEY") or "not-needed"
        self.client = openai.OpenAI(base_url=base_url, api_key=key, timeout=timeout, max_retries=1)
        self.model = model
        self.context_tokens = context_tokens
        self._errors = (openai.APIError,)

    def describe(self) -> dict:
        """Which model speaks: the server's name for it (no file here, so no sha256) and where."""
        return {"backend": self.name, "name": self.model, "file": None, "sha256": None,
                "base_url": shown_url(str(self.client.base_url))}

    def count_tokens(self, text: str) -> int:
        return len(text) // 4 + 1  # the server's tokenizer is unknown; a safe estimate

    def stream(self, messages: list[dict], options: GenerationOptions) -> Iterator[str]:
        try:
            chunks = self.client.chat.completions.create(
                model=self.model, messages=messages, stream=True,
                max_tokens=options.max_new_tokens, temperature=options.temperature,
                top_p=options.top_p, seed=options.seed,
            )
            try:
                for chunk in chunks:
                    if chunk.choices and chunk.choices[0].delta.content:
                        yield chunk.choices[0].delta.content
            finally:
                chunks.close()  # a consumer that stopped early closes the server's stream
        except self._errors as exc:
            raise SosieError(f"the OpenAI-compatible server failed: {exc}") from exc


def shown_url(url: str) -> str:
    """The server's address as it may be printed: no user, password or query (a key may hide there).

    >>> shown_url("https://me:secret@example.org/v1/?key=1")
    'https://example.org/v1'
    """
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:  # an IPv6 address keeps its brackets
        host = f"[{host}]"
    netloc = host + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path.rstrip("/"), "", ""))
