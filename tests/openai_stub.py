"""A small OpenAI-compatible chat server for tests, on a free loopback port.

It stands in for a language model behind Ollama / vLLM / llama.cpp server: a real HTTP server,
spoken to by the official ``openai`` client, whose replies the tests control. It records every
request so tests can check exactly what the model would have been shown, and can pause between
streamed pieces so a page's streaming can be watched.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SOURCE = re.compile(r'^\[1\] \([^)]*\) "(.+?)"$', re.M)
# strict mode shows the person's sentences numbered, "3. (date, title) "sentence"", and wants numbers
CHOICE = re.compile(r'^(\d+)\. \([^)]*\) "(.+?)"$', re.M)
INVENTED = "Also, I once rode a unicycle across the Atlantic Ocean."


def choices(messages: list[dict]) -> list[tuple[int, str]]:
    return [(int(n), s) for n, s in CHOICE.findall(messages[-1]["content"])]


def quote_then_invent(messages: list[dict]) -> str:
    """Reply with the first sentence of source [1], cited, then a sentence no source supports;
    asked for numbers (strict mode), the first five numbers, then the same invention."""
    if choices(messages):
        return ", ".join(str(n) for n, _ in choices(messages)[:5]) + " " + INVENTED
    found = SOURCE.search(messages[-1]["content"])
    first = re.split(r"(?<=[.!?])\s", found.group(1))[0] if found else "I have not talked about that."
    return f"{first} [1] {INVENTED}"


class StubServer:
    def __init__(self, reply: Callable[[list[dict]], str] = quote_then_invent, delay: float = 0.0):
        self.reply = reply
        self.delay = delay
        self.requests: list[dict] = []
        self.pieces_sent = 0  # streamed pieces written before the client hung up, if it did
        self.hung_up = threading.Event()
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # keep test output clean
                pass

            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                stub.requests.append(body)
                text = stub.reply(body["messages"])
                if not body.get("stream"):
                    payload = json.dumps({
                        "id": "stub", "object": "chat.completion", "created": 0, "model": body["model"],
                        "choices": [{"index": 0, "finish_reason": "stop",
                                     "message": {"role": "assistant", "content": text}}],
                    }).encode()
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                    return
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()
                try:
                    for piece in re.findall(r"\S+\s*", text):
                        chunk = {
                            "id": "stub", "object": "chat.completion.chunk", "created": 0,
                            "model": body["model"],
                            "choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}],
                        }
                        self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                        self.wfile.flush()
                        stub.pieces_sent += 1
                        time.sleep(stub.delay)
                    self.wfile.write(b"data: [DONE]\n\n")
                except (BrokenPipeError, ConnectionResetError):  # the client closed the stream
                    stub.hung_up.set()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self.server.server_port}/v1"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> StubServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
