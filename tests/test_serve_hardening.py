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
