"""The decision endpoints answered without FastAPI's per-request machinery, for throughput.

A decision itself takes about a microsecond; over HTTP, FastAPI's routing, dependency solving,
body parsing and response-model validation cost some 150 µs more per request, which caps one
core at roughly 3,000 single decisions/s. :class:`DecisionFastPath` sits between the request
guard and FastAPI and answers ``POST /v1/access/check`` and ``POST /v1/access/check-many`` itself
when the request is well formed: the body is validated by the *same* pydantic request models,
answered by the *same* functions the FastAPI handlers call, and serialised as FastAPI serialises
the handlers' response models. Every other request, and every request the fast path would have to
refuse (invalid JSON, a body the models reject, a wrong content type, a refused query, decisions
that must be written to the audit trail and so run in the thread pool), goes to FastAPI unchanged,
so error bodies and status codes have a single source. FastAPI still declares both routes, so the
OpenAPI document is unaffected; tests compare the two paths answer for answer.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, ValidationError

from kpigov.runtime import Governance, GovernanceError
from kpigov.service.limits import ASGIApp, Message, Receive, Scope, Send

_JSON_TYPES = (b"application/json",)
_HEADERS = [(b"content-type", b"application/json")]
#: FastAPI's JSONResponse rendering: compact, UTF-8, no NaN.
_ENCODE = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode

Answer = Callable[[Governance, Any], dict[str, Any]]


class DecisionFastPath:
    """ASGI wrapper answering well-formed decision requests directly; everything else goes to ``app``."""

    def __init__(self, app: ASGIApp, governance: Governance,
                 routes: dict[str, tuple[type[BaseModel], Answer]]) -> None:
        self.app = app
        self.governance = governance
        self.routes = routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        route = self.routes.get(scope["path"]) if scope["type"] == "http" and scope["method"] == "POST" else None
        if route is None or self.governance.audit_mode != "off" or not _is_json(scope):
            await self.app(scope, receive, send)
            return
        message = await receive()  # the guard has buffered the whole body into one message
        body = message.get("body", b"")
        model, answer = route
        try:
            payload = _ENCODE(answer(self.governance, model.model_validate_json(body)))
        except (ValidationError, GovernanceError, TypeError, ValueError, KeyError):
            await self.app(scope, _replay(message, receive), send)  # FastAPI says what was wrong
            return
        content = payload.encode()
        await send({"type": "http.response.start", "status": 200,
                    "headers": [*_HEADERS, (b"content-length", str(len(content)).encode())]})
        await send({"type": "http.response.body", "body": content})


def _is_json(scope: Scope) -> bool:
    for name, value in scope.get("headers", ()):
        if name == b"content-type":
            return value.split(b";", 1)[0].strip().lower() in _JSON_TYPES
    return False


def _replay(first: Message, receive: Receive) -> Receive:
    delivered = False

    async def replay() -> Message:
        nonlocal delivered
        if delivered:
            return await receive()
        delivered = True
        return first

    return replay


__all__ = ["DecisionFastPath"]
