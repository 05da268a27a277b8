"""Request limits and the manifest fingerprint header, as one pure ASGI wrapper.

Pure ASGI rather than a Starlette ``BaseHTTPMiddleware``: the latter adds a task and a stream per
request, which costs a large share of a decision's time over HTTP. The body is read here, up to
the limit, before the application sees it: an oversized body is a 413 however it is sent
(``Content-Length`` or chunked); a request still running at the deadline is a 504.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

FINGERPRINT_HEADER = "x-kpigov-fingerprint"


@dataclass(frozen=True)
class Limits:
    """Bounds of one request; the server's own bounds (keep-alive, concurrency) live beside them."""

    max_body_bytes: int = 1 << 20
    request_timeout: float = 10.0
    keep_alive_timeout: float = 5.0
    max_concurrency: int = 256


class _BodyTooLarge(Exception):
    pass


class Guard:
    """Wraps the app: bounded body, deadline, fingerprint header on every response (errors included)."""

    def __init__(self, app: ASGIApp, fingerprint: Callable[[], str], limits: Limits) -> None:
        self.app = app
        self.fingerprint = fingerprint
        self.limits = limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        header = (FINGERPRINT_HEADER.encode(), self.fingerprint().encode())
        started = False

        async def send_marked(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                message = {**message, "headers": [*message.get("headers", ()), header]}
            await send(message)

        try:
            async with asyncio.timeout(self.limits.request_timeout):  # covers a body sent too slowly as well
                await self.app(scope, await self._read_body(scope, receive), send_marked)
        except _BodyTooLarge:
            await _problem(send_marked, 413, f"request body exceeds {self.limits.max_body_bytes} bytes", header[1])
        except TimeoutError:
            if not started:
                await _problem(send_marked, 504, f"request took longer than {self.limits.request_timeout:g} s",
                               header[1])

    async def _read_body(self, scope: Scope, receive: Receive) -> Receive:
        limit = self.limits.max_body_bytes
        for name, value in scope.get("headers", ()):
            if name == b"content-length" and value.isdigit() and int(value) > limit:
                raise _BodyTooLarge
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                raise _BodyTooLarge
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        delivered = False

        async def replay() -> Message:
            nonlocal delivered
            if delivered:
                return await receive()  # disconnect notifications still reach the app
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}

        return replay


async def _problem(send: Send, status: int, message: str, fingerprint: bytes) -> None:
    body = json.dumps({"error": message, "detail": None, "fingerprint": fingerprint.decode()}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


__all__ = ["FINGERPRINT_HEADER", "Guard", "Limits"]
