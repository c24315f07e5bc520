"""``sosie serve``'s app two ways: in-process, and really served by uvicorn on a loopback port.

Most API tests call the ASGI app in-process (:func:`local_client`): the real app, real SQLite and
real engines, with no socket and no server thread. What only a real server shows (the ``openai``
client over HTTP, a keep-alive connection, a client hanging up mid-stream, Chromium,
schemathesis, a double whose model is another Sosie server) uses :class:`LiveServer`.
"""

from __future__ import annotations

import socket
import threading
import time
from contextlib import contextmanager

import uvicorn
from fastapi.testclient import TestClient

LOCAL = "http://127.0.0.1"  # the Host a browser on this machine sends; others get a 421


def local_client(app) -> TestClient:
    """An httpx client that calls ``app`` in-process. Like plain httpx, it does not follow
    redirects, and a server error comes back as the 500 response a real client would see."""
    return TestClient(app, base_url=LOCAL, follow_redirects=False, raise_server_exceptions=False)


@contextmanager
def served_in_process(home, engine_options: dict | None = None, slugs=("rowan", "wren")):
    """A :func:`local_client` for the demo personas in ``home``, as the ``served`` fixture
    serves them (pass the stub model's options for the generative engine)."""
    from sosie import Persona
    from sosie.serve import ServeSettings, create_app

    personas = [Persona.open(slug, home) for slug in slugs]
    try:
        app = create_app(personas, ServeSettings(engine_options=engine_options or {}))
        with local_client(app) as http:
            yield http
    finally:
        for persona in personas:
            persona.close()


class LiveServer:
    def __init__(self, app):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the test server did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.sock.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
