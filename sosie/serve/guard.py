"""What every request passes before it reaches a route: Host, token and body size.

A plain ASGI middleware rather than a FastAPI dependency, so that nothing, the static files and
the OpenAPI spec included, is served without the check.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
from urllib.parse import parse_qs, urlencode

LOOPBACK_NAMES = {"localhost"}
COOKIE = "sosie_token"
# Bodies of POSTs to the APIs must say they are JSON: a cross-site page can send text/plain,
# a form or no body at all without a CORS preflight, but never application/json.
JSON_PREFIXES = ("/api/", "/v1/")
BODY_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def is_loopback(host: str) -> bool:
    """``localhost``, any address in 127.0.0.0/8, ``::1`` (bracketed or not) and IPv4-mapped
    loopback: one rule for the bind address and the Host header alike."""
    name = host.strip().lower().rstrip(".")
    if name in LOOPBACK_NAMES:
        return True
    if name.startswith("[") and name.endswith("]"):
        name = name[1:-1]
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)
    return address.is_loopback or (mapped is not None and mapped.is_loopback)


def is_json(content_type: str) -> bool:
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or (media.startswith("application/") and media.endswith("+json"))


def local_path(path: str) -> str:
    """A redirect target on this server: ``//evil.example/`` (or ``/\\evil``) would leave it."""
    return "/" + path.lstrip("/\\")


def _host_name(header: str) -> str:
    if header.startswith("["):  # [::1]:8000
        return header.split("]")[0] + "]"
    return header.rsplit(":", 1)[0] if header.count(":") == 1 else header


def _same(given: str, token: str) -> bool:
    return hmac.compare_digest(given.encode("utf-8", "replace"), token.encode("utf-8"))


class Guard:
    """Rejects, with a one-line JSON error, requests that are not allowed or are too large.

    * ``token``: required on every request (``Authorization: Bearer``, or the cookie that
      opening a page with ``?token=`` sets), compared in constant time.
    * ``loopback_only``: without a token the server is for this machine alone; a Host header
      naming another machine is refused, which stops DNS-rebinding pages from reaching it.
    * ``max_body_bytes``: larger bodies get 413, whether or not they declare a length.
    """

    def __init__(self, app, token: str | None, loopback_only: bool, max_body_bytes: int):
        self.app = app
        self.token = token
        self.loopback_only = loopback_only
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        if self.loopback_only and not is_loopback(_host_name(headers.get("host", ""))):
            return await _error(send, 421, "this server answers only to localhost (Host header refused)")
        if self.token:
            query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
            if scope["method"] == "GET" and "token" in query:  # a page opened from a shared link
                if not _same(query["token"][0], self.token):
                    return await _error(send, 401, "wrong token")
                return await _redirect_with_cookie(send, scope, query, self.token)
            if not self._authorised(headers):
                return await _error(
                    send, 401,
                    "this server needs its token: send 'Authorization: Bearer TOKEN' "
                    "or open the page once with ?token=TOKEN",
                    {"www-authenticate": "Bearer"},
                )
        length = headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_body_bytes):
            return await _error(send, 413, f"request body over {self.max_body_bytes} bytes")
        if (scope["method"] in BODY_METHODS and scope["path"].startswith(JSON_PREFIXES)
                and not is_json(headers.get("content-type", ""))):
            return await _error(send, 415, "send the request body as JSON "
                                "(Content-Type: application/json)")
        return await self._capped(scope, receive, send)

    def _authorised(self, headers: dict[str, str]) -> bool:
        auth = headers.get("authorization", "")
        if auth.lower().startswith("bearer ") and _same(auth[7:].strip(), self.token or ""):
            return True
        for part in headers.get("cookie", "").split(";"):
            name, _, value = part.strip().partition("=")
            if name == COOKIE and _same(value, self.token or ""):
                return True
        return False

    async def _capped(self, scope, receive, send):
        """Counts body bytes as they arrive, for bodies sent without a Content-Length."""
        seen = 0
        refused = False
        started = False

        async def counting_receive():
            nonlocal seen, refused
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_body_bytes and not refused:
                    refused = True
                    if not started:
                        await _error(send, 413, f"request body over {self.max_body_bytes} bytes")
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message):
            nonlocal started
            if refused:
                return  # the 413 is already out; what the app tries to say after it is dropped
            if message["type"] == "http.response.start":
                started = True
                message = _same_site_location(message)
            await send(message)

        await self.app(scope, counting_receive, guarded_send)


async def _error(send, status: int, message: str, headers: dict[str, str] | None = None) -> None:
    body = json.dumps({"error": {"message": message, "type": "invalid_request_error", "code": status}})
    extra = [(k.encode(), v.encode()) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), *extra]})
    await send({"type": "http.response.body", "body": body.encode()})


def _same_site_location(message: dict) -> dict:
    """No response of this server sends a browser to another site (``Location: //evil``)."""
    headers = []
    for name, value in message.get("headers", []):
        if name.lower() == b"location" and value.startswith((b"//", b"/\\")):
            value = local_path(value.decode("latin-1")).encode("latin-1")
        headers.append((name, value))
    return {**message, "headers": headers}


async def _redirect_with_cookie(send, scope, query: dict, token: str) -> None:
    rest = {k: v for k, v in query.items() if k != "token"}
    location = local_path(scope["path"]) + (("?" + urlencode(rest, doseq=True)) if rest else "")
    cookie = f"{COOKIE}={token}; HttpOnly; SameSite=Strict; Path=/"
    await send({"type": "http.response.start", "status": 303,
                "headers": [(b"location", location.encode()), (b"set-cookie", cookie.encode())]})
    await send({"type": "http.response.body", "body": b""})
