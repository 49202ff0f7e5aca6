"""Every error the service returns is JSON of one shape: ``{"error": {"code", "message", ...}}``.

========================  ======  ==============================================================
code                      status  when
========================  ======  ==============================================================
``invalid_json``          422     the body is not JSON, or not UTF-8 (the message names the byte offset)
``invalid_request``       422     the JSON does not fit the request schema; ``details`` lists where
``invalid_input``         422     the input fits the schema but the model refuses it (a SentilabError)
``unknown_model``         422     ``model`` names no loaded model; the message lists the loaded ones
``limit_exceeded``        413     over a limit; ``limit`` names it, ``allowed`` and ``got`` say by how much
``body_timeout``          408     the body stopped arriving for ``allowed`` seconds; the connection is closed
``not_found``             404     no such route
``method_not_allowed``    405     the route exists but not with this method
``internal_error``        500     a bug in sentilab (logged with a traceback); never caused by input
========================  ======  ==============================================================

User input can reach only the first eight: the catch-all handler exists for genuine bugs, and the service's
tests fuzz request bodies to keep it that way. Messages that point to the API's description name ``/docs``,
or ``/openapi.json`` when Swagger UI's files are not installed (see :mod:`sentilab.service.docs`).
"""

from __future__ import annotations

import logging
import sys
import uuid
from typing import Any

import anyio
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sentilab.errors import SentilabError
from sentilab.service.settings import LIMIT_HELP

log = logging.getLogger("sentilab.service")


class ServiceError(Exception):
    """An error with an HTTP status and a JSON body; raised by routes, rendered by :func:`install`."""

    def __init__(self, status: int, code: str, message: str, **extra: Any):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.extra = {k: v for k, v in extra.items() if v is not None}

    def body(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "message": self.message, **self.extra}}


class LimitExceeded(ServiceError):
    """A request asked for more than a limit in :class:`~sentilab.service.settings.ServiceSettings`."""

    def __init__(self, limit: str, allowed: int, got: int, what: str):
        message = (
            f"{what} has {got:,} {LIMIT_HELP[limit].split(' per ')[0]}; the limit is {allowed:,} "
            f"{LIMIT_HELP[limit]} ({limit}, set by SENTILAB_SERVE_{limit.upper()})"
        )
        super().__init__(413, "limit_exceeded", message, limit=limit, allowed=allowed, got=got)


class BodyTimeout(ServiceError):
    """A request body stopped arriving: nothing for ``timeout`` seconds after ``received`` bytes."""

    def __init__(self, timeout: float, received: int, declared: int | None):
        of = f" of the {declared:,} announced" if declared is not None else ""
        message = (
            f"the request body stopped arriving: nothing for {timeout:g} s after {received:,} bytes{of}, so the "
            "connection is closed (body_timeout, set by --body-timeout or SENTILAB_SERVE_BODY_TIMEOUT)"
        )
        super().__init__(408, "body_timeout", message, limit="body_timeout", allowed=timeout)


def not_utf8_message(body: bytes) -> str | None:
    """What is wrong when ``body`` is not UTF-8 (JSON must be, RFC 8259 section 8.1); None when it is."""
    try:
        body.decode("utf-8")
    except UnicodeDecodeError as exc:
        return (
            f"the request body is not valid UTF-8: byte {exc.start:,} is 0x{body[exc.start]:02X} "
            f"({exc.reason}); send the JSON encoded as UTF-8"
        )
    return None


def api_docs(request: Request) -> str:
    """Where the API is described: ``/docs``, or ``/openapi.json`` when Swagger UI cannot be served."""
    return getattr(request.app.state, "api_docs", "/docs")


def error_response(status: int, code: str, message: str, **extra: Any) -> JSONResponse:
    return JSONResponse(ServiceError(status, code, message, **extra).body(), status_code=status)


def _location(loc: tuple | list) -> str:
    """``("body", "texts", 3)`` -> ``"texts[3]"``; the body itself is ``"body"``."""
    parts = [p for p in loc if p != "body"]
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "body"


def _validation_body(exc: RequestValidationError) -> tuple[str, str, list[dict]]:
    """(code, message, details) of a validation error; no part of the input is echoed back."""
    errors = exc.errors()
    for error in errors:
        if error.get("type") == "json_invalid":
            reason = (error.get("ctx") or {}).get("error", "")
            message = (
                f"the request body is not valid JSON ({reason})"
                if reason
                else "the request body is not valid JSON"
            )
            return "invalid_json", message, []
    details = [
        {
            "loc": [p for p in error.get("loc", ()) if isinstance(p, (str, int))],
            "msg": str(error.get("msg", "")).removeprefix("Value error, "),
            "type": str(error.get("type", "")),
        }
        for error in errors
    ]
    first = details[0] if details else {"loc": [], "msg": "invalid request"}
    message = f"{_location(first['loc'])}: {first['msg']}"
    if len(details) > 1:
        message += f" (and {len(details) - 1} more problem{'s' if len(details) > 2 else ''}, see details)"
    return "invalid_request", message, details


def install(app: FastAPI) -> None:
    """Register the handlers that turn every failure into the JSON error shape above."""

    @app.exception_handler(ServiceError)
    async def _service_error(request: Request, exc: ServiceError) -> JSONResponse:
        return JSONResponse(exc.body(), status_code=exc.status)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        code, message, details = _validation_body(exc)
        hint = None
        docs = api_docs(request)
        if code == "invalid_json":  # e.g. b"\xff\xfe": json sniffs UTF-16 and finds no JSON in it
            message = not_utf8_message(await request.body()) or message
        if any(d["loc"] == ["body"] for d in details):  # the body as a whole is wrong: say what it must be
            content_type = request.headers.get("content-type")
            if not _is_json(content_type):
                got = f"'{content_type}'" if content_type else "missing"
                message = f"the request body must be JSON, sent with Content-Type: application/json (the Content-Type header is {got})"
            elif not await request.body():
                message = (
                    f"the request body is empty; send a JSON object (see {docs} for each route's fields)"
                )
            else:
                hint = f"send a JSON object with the route's fields (see {docs})"
        return error_response(422, code, message, hint=hint, details=details or None)

    @app.exception_handler(SentilabError)
    async def _sentilab_error(request: Request, exc: SentilabError) -> JSONResponse:
        return error_response(422, "invalid_input", exc.message, hint=exc.hint)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 404:
            return error_response(
                404, "not_found", f"no route {request.url.path}; the API is described at {api_docs(request)}"
            )
        if exc.status_code == 405:
            return error_response(
                405, "method_not_allowed", f"{request.method} is not allowed on {request.url.path}"
            )
        if exc.status_code == 400 and "parsing the body" in str(exc.detail):
            message = _unparsable_body_message(await request.body(), exc.__cause__)
            return error_response(422, "invalid_json", message)
        return error_response(exc.status_code, "http_error", str(exc.detail))

    @app.exception_handler(Exception)
    async def _bug(request: Request, exc: Exception) -> JSONResponse:
        incident = uuid.uuid4().hex[:12]
        log.exception("internal error %s on %s %s", incident, request.method, request.url.path)
        return error_response(
            500,
            "internal_error",
            f"internal error {incident}: a bug in sentilab; the server log has the details",
        )


def _unparsable_body_message(body: bytes, cause: BaseException | None) -> str:
    """Why json.loads failed other than by a syntax error (FastAPI answers those with a bare 400): bytes that
    are not UTF-8, a number too long for Python's int, or nesting too deep (a RecursionError)."""
    message = not_utf8_message(body)
    if message:
        return message
    if isinstance(cause, ValueError) and "integer string conversion" in str(cause):
        digits = sys.get_int_max_str_digits()
        return f"the request body could not be parsed as JSON: a number has more than {digits:,} digits"
    return "the request body could not be parsed as JSON (nested too deeply?)"


def _is_json(content_type: str | None) -> bool:
    media = (content_type or "").split(";")[0].strip().lower()
    return media == "application/json" or (media.startswith("application/") and media.endswith("+json"))


class BodyLimitMiddleware:
    """Read each request body once, before the app sees it: refuse one over ``max_body_bytes`` (413) or one
    that stops arriving for ``body_timeout`` seconds (408), both with ``Connection: close``.

    A declared ``Content-Length`` over the limit is refused without reading; a chunked body is read only up
    to the limit. The timeout runs between two reads, not over the whole body (as nginx's
    ``client_body_timeout``): a slow upload that keeps sending is never cut off, a client that announces
    1,000 bytes and sends 16 is answered and disconnected instead of holding its connection forever (uvicorn's
    own ``timeout_keep_alive`` only runs between requests). Under both limits, the body is handed on unchanged.
    """

    def __init__(self, app: ASGIApp, max_body_bytes: int, body_timeout: float | None = None):
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.body_timeout = body_timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers", ())).get(b"content-length")
        declared = int(declared) if declared is not None and declared.strip().isdigit() else None
        if declared is not None and declared > self.max_body_bytes:
            await self._refuse(self._too_big(declared), scope, receive, send)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            try:
                with anyio.fail_after(self.body_timeout):  # None: wait as long as it takes
                    message = await receive()
            except TimeoutError:
                await self._refuse(BodyTimeout(self.body_timeout, size, declared), scope, receive, send)
                return
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                await self._refuse(self._too_big(size), scope, receive, send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()  # after the body: only http.disconnect, waited for as long as it takes

        await self.app(scope, replay, send)

    def _too_big(self, got: int) -> LimitExceeded:
        return LimitExceeded("max_body_bytes", self.max_body_bytes, got, "the request body")

    @staticmethod
    async def _refuse(error: ServiceError, scope: Scope, receive: Receive, send: Send) -> None:
        response = JSONResponse(error.body(), status_code=error.status, headers={"Connection": "close"})
        await response(scope, receive, send)
