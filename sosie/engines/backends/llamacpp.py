"""llama.cpp from a prebuilt wheel (``xllamacpp``): the default for GGUF models; nothing compiles.

The binding embeds llama.cpp's own server. Requests go to it in-process
(``Server.handle_chat_completions(request, callback)``, streaming through the callback, which
stops the generation when it returns True), but the server also opens a listener. Here it
listens on a Unix socket inside a fresh private folder (mode 0700) and requires a random key,
so no other local user, and no other process without the key, can reach the model; nothing
listens on TCP. Token counts come from the server's ``/tokenize`` over that socket.

One server per model file, context size and thread count per process, shared by every persona
and engine that asks for it (llama.cpp queues their requests).
"""

from __future__ import annotations

import atexit
import http.client
import json
import os
import queue
import secrets
import shutil
import socket
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from sosie.engines.backends import GenerationOptions
from sosie.engines.loading import is_memory_error, model_file, model_identity, out_of_memory
from sosie.errors import SosieError
from sosie.models import cpu_lacks_avx2

# pinned in pyproject.toml; the wheel is built for x86-64 with AVX2 and FMA
WHEEL = "xllamacpp==2026.10.11549"
# threads when the setting says 0, chosen by bench/serve.py (README, "Serving under load")
DEFAULT_THREADS = 2
FIRST_PIECE_SECONDS = 600  # a request nobody answers in this long is a stuck server


class LlamaCppBackend:
    name = "llamacpp"
    # llama.cpp keeps the last prompt it read and reads only what is new: 1.8x faster over four
    # demo questions (53 s against 98 s here). The price: a prompt read fresh and one read from
    # the cache can give logits that differ in the last bits, so a seeded answer may differ by a
    # token the first time a prompt is seen
    cache_prompt = True

    @dataclass
    class Options:
        model: str | None = None  # a catalogue name or a GGUF file; None = the best installed
        context_tokens: int = 2048
        threads: int = 0  # 0: DEFAULT_THREADS

    def __init__(self, model: str | None = None, context_tokens: int = 2048, threads: int = 0):
        self.model_path = model_file(model)
        self.threads = threads or DEFAULT_THREADS
        self.server = running(self.model_path, context_tokens, self.threads)
        self.context_tokens = context_tokens

    def describe(self) -> dict:
        """Which model speaks: ``{"backend", "name", "file", "sha256"}`` (sha256: 12 hex digits)."""
        return {"backend": self.name, **model_identity(self.model_path)}

    def count_tokens(self, text: str) -> int:
        return len(self.server.call("/tokenize", {"content": text, "add_special": False})["tokens"])

    def stream(self, messages: list[dict], options: GenerationOptions) -> Iterator[str]:
        request = {"messages": messages, "stream": True, "max_tokens": options.max_new_tokens,
                   "temperature": options.temperature, "top_p": options.top_p,
                   "cache_prompt": self.cache_prompt}
        if options.seed is not None:
            request["seed"] = options.seed
        pieces: queue.Queue = queue.Queue()
        stop = threading.Event()
        done = object()

        def on_chunk(chunk: dict) -> bool:
            pieces.put(chunk)
            return stop.is_set()  # True stops the generation at the next token

        def work() -> None:
            try:
                self.server.server.handle_chat_completions(request, on_chunk)
            except Exception as exc:  # handed to the reader, raised there
                pieces.put(exc)
            finally:
                pieces.put(done)

        worker = threading.Thread(target=work, name="llamacpp-generate", daemon=True)
        worker.start()
        try:
            while True:
                try:
                    item = pieces.get(timeout=FIRST_PIECE_SECONDS)
                except queue.Empty:
                    raise SosieError(f"llama.cpp gave nothing for {FIRST_PIECE_SECONDS} s; "
                                     "restart Sosie") from None
                if item is done:
                    return
                if isinstance(item, Exception):
                    raise SosieError(f"llama.cpp failed while answering: {item}") from item
                if "error" in item:
                    error = item["error"]
                    raise SosieError("llama.cpp refused the request: "
                                     f"{error.get('message') if isinstance(error, dict) else error}")
                for choice in item.get("choices") or ():
                    piece = (choice.get("delta") or choice.get("message") or {}).get("content")
                    if piece:
                        yield piece
        finally:
            stop.set()  # a client that went away: llama.cpp stops at its next token
            worker.join(timeout=30)


class Running:
    """A llama.cpp server in this process, reachable only through its private socket."""

    def __init__(self, path: str, context_tokens: int, threads: int):
        if cpu_lacks_avx2():
            raise SosieError("this CPU has no AVX2, which the prebuilt llama.cpp needs; use --backend "
                             "transformers (slower), --backend llama-cpp-python built on this machine, "
                             "or --backend openai with a model server")
        _check_gguf(path)
        try:
            import xllamacpp
        except ImportError as exc:
            raise SosieError(f"the llamacpp backend needs the prebuilt llama.cpp: pip install {WHEEL}") \
                from exc
        self.folder = tempfile.mkdtemp(prefix="sosie-llama-")  # 0700: only this user can enter it
        self.socket = os.path.join(self.folder, "llama.sock")
        self.key = secrets.token_urlsafe(24)
        params = xllamacpp.CommonParams()
        params.model.path = path
        params.n_ctx = context_tokens
        params.n_parallel = 1  # one answer at a time per model: two would halve each one's speed
        params.cpuparams.n_threads = threads
        params.cpuparams_batch.n_threads = threads
        params.hostnames = [self.socket]
        params.api_keys = [self.key]
        params.verbosity = -1
        try:
            self.server = xllamacpp.Server(params)
        except RuntimeError as exc:
            shutil.rmtree(self.folder, ignore_errors=True)
            raise _why_not(path, params, xllamacpp) from exc
        atexit.register(self.close)

    def call(self, route: str, body: dict) -> dict:
        """POST ``body`` to one of the server's own routes, over the private socket."""
        connection = _UnixConnection(self.socket)
        try:
            connection.request("POST", route, json.dumps(body), {
                "Content-Type": "application/json", "Authorization": f"Bearer {self.key}"})
            reply = connection.getresponse()
            data = json.loads(reply.read() or b"{}")
        finally:
            connection.close()
        if reply.status != 200:
            raise SosieError(f"llama.cpp {route} failed ({reply.status}): {data}")
        return data

    def close(self) -> None:
        self.server = None
        shutil.rmtree(self.folder, ignore_errors=True)


@lru_cache(maxsize=4)
def running(path: str, context_tokens: int, threads: int) -> Running:
    """The one server for this model, context and thread count in this process."""
    return Running(path, context_tokens, threads)


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, path: str):
        super().__init__("localhost", timeout=60)
        self.unix_path = path

    def connect(self) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self.unix_path)


def _check_gguf(path: str) -> None:
    """A user's file that is not there or not a GGUF fails here, with its path, not inside C++."""
    file = Path(path)
    if not file.is_file():
        raise SosieError(f"no model file at {path}")
    with open(file, "rb") as handle:
        if handle.read(4) != b"GGUF":
            raise SosieError(f"{path} is not a GGUF file; llama.cpp reads .gguf models")


def _why_not(path: str, params, xllamacpp) -> SosieError:
    """llama.cpp says only "Failed to init server": load again, in a child process with its log
    on (the log level is global to llama.cpp, so never here), and read why."""
    log = _load_logged(path, params.n_ctx, params.cpuparams.n_threads)
    errors = [line.split(" E ", 1)[-1].strip() for line in log.splitlines() if " E " in line]
    reason = next((e for e in errors if "memory" in e or "allocate" in e), errors[-1] if errors else "")
    if is_memory_error(RuntimeError(reason)):
        return out_of_memory(path, MemoryError(reason))
    return SosieError(f"llama.cpp cannot load {path}: {reason or 'no reason given'} "
                      "(a damaged GGUF file, or a model llama.cpp does not support)")


LOAD_LOGGED = """
import os, resource, sys, tempfile
import xllamacpp
limit = int(sys.argv[4])
if limit > 0:  # the parent's own cap on memory, so the child fails the way the parent did
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
params = xllamacpp.CommonParams()
params.model.path, params.n_ctx = sys.argv[1], int(sys.argv[2])
params.cpuparams.n_threads = params.cpuparams_batch.n_threads = int(sys.argv[3])
params.hostnames = [os.path.join(tempfile.mkdtemp(), "llama.sock")]
try:
    xllamacpp.Server(params)
except RuntimeError:
    pass
"""


def _load_logged(path: str, context_tokens: int, threads: int) -> str:
    """The failing load once more, in a child with llama.cpp's default log level: its stderr."""
    import resource
    import subprocess
    import sys

    soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    limit = soft if soft != resource.RLIM_INFINITY else -1
    try:
        done = subprocess.run([sys.executable, "-c", LOAD_LOGGED, path, str(context_tokens), str(threads),
                               str(limit)], capture_output=True, text=True, timeout=120)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return done.stderr
