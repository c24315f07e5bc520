"""``sosie serve`` hardening (issue 20, items 3 and 6).

Content parts of OpenAI messages, loopback addresses, redirects, content types, a stale index
after ``add``, and streams abandoned by their client. In-process (``api``) unless the test is
about a real connection: one kept alive after an error, one closed mid-stream.
"""

from __future__ import annotations

import httpx
import pytest
from live_server import local_client, served_in_process

CHAT = "/v1/chat/completions"


@pytest.fixture(scope="module")
def api(demo_home):
    with served_in_process(demo_home) as http:
        yield http


def chat_body(content) -> dict:
    return {"model": "sosie/rowan:quote", "messages": [{"role": "user", "content": content}]}


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        ([{"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}}], "image_url"),
        ([{"type": "text", "text": "Why?"}, {"type": "input_audio", "input_audio": {}}], "input_audio"),
        ([{"type": "text"}], "text"),
        ([{"type": "text", "text": None}], "text"),
        ([{"type": "video", "video": {}}], "content"),
    ],
)
def test_odd_content_parts_get_a_400_naming_them_and_keep_the_connection(served, content, needle):
    with httpx.Client(base_url=served.url) as http:
        response = http.post(CHAT, json=chat_body(content))
        assert response.status_code == 400, response.text
        assert response.headers["content-type"].startswith("application/json")
        message = response.json()["error"]["message"]
        assert needle in message and "\n" not in message
        # the same keep-alive connection still answers
        again = http.post(CHAT, json=chat_body([{"type": "text", "text": "Why do you like trains?"}]))
        assert again.status_code == 200 and "Simulated Rowan Adler" in again.text


def test_the_spec_documents_the_content_part_shapes(api):
    schemas = api.get("/openapi.json").json()["components"]["schemas"]
    assert schemas["TextPart"]["required"] == ["type", "text"]
    assert set(schemas["MediaPart"]["properties"]["type"]["enum"]) >= {"image_url", "input_audio"}


@pytest.mark.parametrize("bind", ["127.0.0.2", "127.1.2.3", "::1", "localhost"])
def test_every_loopback_address_serves_without_a_token(rowan, bind):
    import asyncio

    from sosie.serve import ServeSettings, create_app
    from sosie.serve.guard import is_loopback

    assert is_loopback(bind)
    app = create_app([rowan], ServeSettings(host=bind))  # no token: allowed on loopback
    host = f"[{bind}]:8000" if ":" in bind else f"{bind}:8000"

    async def get(path: str, header_host: str) -> int:  # in-process ASGI: Host is what we say
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://x") as http:
            return (await http.get(path, headers={"host": header_host})).status_code

    assert asyncio.run(get("/healthz", host)) == 200
    assert asyncio.run(get("/healthz", "127.0.0.1:8000")) == 200
    assert asyncio.run(get("/healthz", "evil.example")) == 421  # still no DNS rebinding
    assert asyncio.run(get("/healthz", "127.0.0.1.evil.example")) == 421


def test_non_loopback_names_are_not_loopback():
    from sosie.serve.guard import is_loopback

    for name in ("127.evil.example", "0.0.0.0", "10.0.0.1", "::", "[::2]", "localhost.evil", ""):
        assert not is_loopback(name), name
    assert is_loopback("[::1]") and is_loopback("::ffff:127.0.0.1")


@pytest.mark.parametrize("path", ["//evil.example/", "///evil.example/x", "/\\evil.example/",
                                  "/%2F%2Fevil.example/"])
def test_no_redirect_leaves_the_site(rowan, path):
    from sosie.serve import ServeSettings, create_app

    with local_client(create_app([rowan], ServeSettings(token="tok-1"))) as http:
        # the whole URL, as a browser would send it: "//evil.example/" alone is another host
        response = http.get("http://127.0.0.1" + path + "?token=tok-1")
    assert response.request.url.host == "127.0.0.1"
    location = response.headers.get("location", "")
    assert response.status_code in (303, 404), response.text
    assert not location.startswith(("//", "/\\")) and "://" not in location, location


def test_json_endpoints_refuse_other_content_types_with_415(api):
    sessions = "/api/personas/rowan/sessions"
    before = len(api.get(sessions).json())
    for headers, body in [({"content-type": "text/plain"}, '{"engine": "quote"}'),
                          ({"content-type": "application/x-www-form-urlencoded"}, "engine=quote"),
                          ({"content-type": "multipart/form-data; boundary=x"}, ""),
                          ({}, "")]:
        response = api.post(sessions, content=body, headers=headers)
        assert response.status_code == 415, (headers, response.text)
        assert "application/json" in response.json()["error"]["message"]
    assert len(api.get(sessions).json()) == before  # no interview was created
    made = api.post(sessions, content="", headers={"content-type": "application/json; charset=utf-8"})
    assert made.status_code == 201
    spec = api.get("/openapi.json").json()
    for path, item in spec["paths"].items():
        if "post" in item:
            assert "415" in item["post"]["responses"], path


def test_a_slug_with_a_trailing_newline_is_refused(home):
    from conftest import run_cli

    result = run_cli("new", "zed\n", "--name", "Zed", home=home)
    assert result.returncode == 1 and "invalid persona name" in result.stderr
    assert not home.exists() or not any(home.iterdir())


ZEPPELINS = ("Zeppelins are the slowest and most beautiful way to cross an ocean. I have always "
             "wanted to ride a zeppelin over the Atlantic, slowly, with a notebook.\n")


@pytest.mark.slow
def test_the_server_flags_a_stale_index_and_picks_up_a_new_build(small, tmp_path):
    from conftest import run_cli

    from sosie.serve import create_app

    small.add(small.corpus_dir)
    small.build()
    home = small.workspace.parent
    with local_client(create_app([small])) as http:
        api = "/api/personas/small"
        assert http.get(api).json()["index"]["stale"] is False
        sid = http.post(api + "/sessions", json={}).json()["id"]

        def ask(question: str) -> dict:
            response = http.post(f"{api}/sessions/{sid}/ask", json={"question": question})
            assert response.status_code == 200, response.text
            return response.json()

        note = tmp_path / "2020-01-01-zeppelins.md"
        note.write_text(ZEPPELINS)
        assert run_cli("add", "small", str(note), home=home).returncode == 0  # another process
        card = http.get(api).json()
        assert card["index"]["stale"] is True  # flagged like the CLI's warning
        before = ask("What do you think of zeppelins?")
        assert before["index"]["stale"] is True
        assert not any(c["source"].endswith("zeppelins.md") for c in before["answer"]["citations"])

        assert run_cli("build", "small", home=home).returncode == 0  # another process again
        after = ask("What do you think of zeppelins?")
        assert after["index"]["stale"] is False and after["index"]["profile_stale"] is False
        assert after["index"]["corpus_version"] > card["index"]["corpus_version"]
        assert any(c["source"].endswith("zeppelins.md") for c in after["answer"]["citations"])


@pytest.mark.slow
def test_a_client_that_disconnects_mid_stream_stops_the_generation(demo_home):
    import time

    from live_server import LiveServer
    from openai_stub import StubServer

    from sosie import Persona
    from sosie.serve import ServeSettings, create_app

    words = 80

    def long_reply(messages: list[dict]) -> str:
        return " ".join(f"word{i}" for i in range(words)) + "."

    with StubServer(long_reply, delay=0.1) as model:  # 8 s to write the whole reply
        persona = Persona.open("rowan", demo_home)
        options = {"backend": "openai", "model": "stub", "base_url": model.base_url}
        with LiveServer(create_app([persona], ServeSettings(engine_options=options))) as server:
            sessions = server.url + "/api/personas/rowan/sessions"
            sid = httpx.post(sessions, json={"engine": "generative"}).json()["id"]
            with httpx.Client(timeout=30) as http:
                with http.stream("POST", f"{sessions}/{sid}/ask",
                                 json={"question": "What do you think about trains?", "stream": True}) as r:
                    for line in r.iter_lines():
                        if line.startswith("event: token"):
                            break  # one draft token seen: hang up
            assert model.hung_up.wait(5), "the model's stream was never closed"
            sent = model.pieces_sent
            time.sleep(1.0)
            assert model.pieces_sent == sent < words  # generation stopped, and stays stopped
            started = time.monotonic()  # the persona is free at once for the next question
            other = httpx.post(sessions, json={"engine": "quote"}).json()["id"]
            quick = httpx.post(f"{sessions}/{other}/ask", json={"question": "Why trains?"}, timeout=30)
            assert quick.status_code == 200 and time.monotonic() - started < 5
            assert httpx.get(f"{sessions}/{sid}").json()["exchanges"] == []  # nothing half-stored
        persona.close()
