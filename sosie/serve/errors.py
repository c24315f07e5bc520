"""Every error leaves the server as one line in OpenAI's shape:
``{"error": {"message": "...", "type": "invalid_request_error", "code": 404}}``."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from sosie.errors import SosieError, UnknownPersona

log = logging.getLogger("sosie.serve")


def error(status: int, message: str, headers: dict | None = None) -> JSONResponse:
    kind = "invalid_request_error" if status < 500 else "server_error"
    return JSONResponse({"error": {"message": message, "type": kind, "code": status}}, status,
                        headers=headers)


async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
    """FastAPI's and the router's own 404/405, and every ``HTTPException`` a route raises (its
    headers kept: a 503's ``Retry-After``)."""
    return error(exc.status_code, str(exc.detail), getattr(exc, "headers", None))


async def bad_request(_: Request, exc: RequestValidationError) -> JSONResponse:
    errors = exc.errors() or [{"loc": (), "msg": "invalid request"}]
    # a union reports every branch; the deepest location is the branch the client meant
    first = max(errors, key=lambda e: len(e.get("loc", ())))
    # pydantic names union branches in the location ("list[...]", "constrained-str"):
    # the field path without them is what the client wrote
    where = ".".join(str(part) for part in first.get("loc", ())
                     if part != "body" and not (isinstance(part, str) and ("[" in part or "-" in part)))
    return error(400, f"{where}: {first['msg']}" if where else first["msg"])


async def unknown(_: Request, exc: UnknownPersona) -> JSONResponse:
    return error(404, str(exc))


async def user_error(_: Request, exc: SosieError) -> JSONResponse:
    return error(400, str(exc))


async def internal_error(_: Request, exc: Exception) -> JSONResponse:
    """A bug still answers one JSON line, never a bare 500."""
    log.error("request failed", exc_info=exc)
    return error(500, f"internal error: {type(exc).__name__}")


def add_handlers(app: FastAPI) -> None:
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(RequestValidationError, bad_request)
    app.add_exception_handler(UnknownPersona, unknown)
    app.add_exception_handler(SosieError, user_error)
    app.add_exception_handler(Exception, internal_error)
