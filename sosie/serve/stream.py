"""Answers computed on a worker thread, streamed to the client, and stopped when it hangs up."""

from __future__ import annotations

import asyncio
import contextvars
import logging
import threading
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from fastapi import HTTPException

from sosie.engines.backends import GenerationCancelled
from sosie.errors import SosieError

log = logging.getLogger("sosie.serve")
THINKING = ": the double is thinking\n\n"  # an SSE comment: keeps clients and proxies waiting

# Answers computed at once in one process. asyncio's default pool has cores + 4 threads (6 on
# 2 cores): it let at most 6 visitors in at a time, so at most 6 questions were there to be
# embedded together. With 32 the batches grow with the crowd (see QueryBatcher).
ANSWER_THREADS = 32
_answering = ThreadPoolExecutor(ANSWER_THREADS, thread_name_prefix="sosie-answer")


async def in_thread(work: Callable[[], Any]) -> Any:
    """``work()`` on one of the answer threads (context variables carried, like ``to_thread``)."""
    context = contextvars.copy_context()
    return await asyncio.get_running_loop().run_in_executor(_answering, context.run, work)


async def run_in_worker(
    work: Callable, with_tokens: bool = False, keepalive_s: float = 10.0
) -> AsyncIterator[tuple[str, Any]]:
    """Run ``work`` on a thread; yield ("token", text)*, then ("done", result) or ("error", msg),
    with ("wait", None) every ``keepalive_s`` seconds of silence.

    When the client goes away mid-stream, Starlette cancels the response and this generator with
    it; the ``finally`` below then tells the worker, whose next token raises
    :class:`GenerationCancelled`: the model stops (or its server's stream is closed), the
    unfinished turn is not stored, and the persona's lock is free for the next question. Work
    that streams no tokens (the quote engine) is quick and finishes, stored as usual.
    """
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue = asyncio.Queue()
    gone = threading.Event()

    def put(item: tuple[str, Any]) -> None:
        try:
            loop.call_soon_threadsafe(queue.put_nowait, item)
        except RuntimeError:  # the event loop has closed: the server is stopping
            pass

    def on_token(text: str) -> None:
        if gone.is_set():
            raise GenerationCancelled("the client went away")
        if with_tokens:
            put(("token", text))

    def run() -> None:
        try:
            put(("done", work(on_token=on_token)))
        except GenerationCancelled:
            log.info("generation stopped: the client disconnected")
        except (SosieError, HTTPException) as exc:
            put(("error", str(getattr(exc, "detail", exc))))
        except Exception as exc:  # reported to the client, logged here
            log.exception("answer failed")
            put(("error", f"internal error: {type(exc).__name__}"))

    threading.Thread(target=run, daemon=True, name="sosie-answer").start()
    try:
        while True:
            try:
                item = await asyncio.wait_for(queue.get(), timeout=keepalive_s)
            except TimeoutError:
                yield ("wait", None)
                continue
            yield item
            if item[0] != "token":
                return
    finally:
        gone.set()  # finished, or cancelled because the client disconnected


def word_pieces(text: str, words: int = 4) -> list[str]:
    """``"a b c d e"`` -> ``["a b c d ", "e"]``: a checked answer, sent the way drafts arrive."""
    parts = text.split(" ")
    return [" ".join(parts[i : i + words]) + (" " if i + words < len(parts) else "")
            for i in range(0, len(parts), words)]
