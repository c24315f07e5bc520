"""``sosie serve`` hardening (issue 20, items 3 and 6), over real HTTP on loopback.

Content parts of OpenAI messages, loopback addresses, redirects, content types, a stale index
after ``add``, and streams abandoned by their client.
"""

from __future__ import annotations

import httpx
import pytest

CHAT = "/v1/chat/completions"


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


def test_the_spec_documents_the_content_part_shapes(served):
    schemas = httpx.get(served.url + "/openapi.json").json()["components"]["schemas"]
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
    from live_server import LiveServer

    from sosie.serve import ServeSettings, create_app

    with LiveServer(create_app([rowan], ServeSettings(token="tok-1"))) as server:
        with httpx.Client() as http:
            response = http.get(server.url + path + "?token=tok-1", follow_redirects=False)
    location = response.headers.get("location", "")
    assert response.status_code in (303, 404), response.text
    assert not location.startswith(("//", "/\\")) and "://" not in location, location


def test_json_endpoints_refuse_other_content_types_with_415(served):
    sessions = served.url + "/api/personas/rowan/sessions"
    before = len(httpx.get(sessions).json())
    for headers, body in [({"content-type": "text/plain"}, '{"engine": "quote"}'),
                          ({"content-type": "application/x-www-form-urlencoded"}, "engine=quote"),
                          ({"content-type": "multipart/form-data; boundary=x"}, ""),
                          ({}, "")]:
        response = httpx.post(sessions, content=body, headers=headers)
        assert response.status_code == 415, (headers, response.text)
        assert "application/json" in response.json()["error"]["message"]
    assert len(httpx.get(sessions).json()) == before  # no interview was created
    made = httpx.post(sessions, content="", headers={"content-type": "application/json; charset=utf-8"})
    assert made.status_code == 201
    spec = httpx.get(served.url + "/openapi.json").json()
    for path, item in spec["paths"].items():
        if "post" in item:
            assert "415" in item["post"]["responses"], path


def test_a_slug_with_a_trailing_newline_is_refused(home):
    from conftest import run_cli

    result = run_cli("new", "zed\n", "--name", "Zed", home=home)
    assert result.returncode == 1 and "invalid persona name" in result.stderr
    assert not home.exists() or not any(home.iterdir())
