"""The decision fast path answers exactly as FastAPI does, and the request head is bounded.

Two real servers on loopback, one with the fast path and one without, get the same requests:
well-formed ones (every role, action and resource of the example, rows, role lists, batches) and
malformed ones, which the fast path must hand to FastAPI untouched.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import socket
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from kpigov.runtime import Governance
from kpigov.service import create_app, running
from kpigov.service.fastpath import DecisionFastPath
from kpigov.service.models import AccessRequest
from kpigov.service.server import MAX_HEAD_BYTES, BoundedHttpToolsProtocol
from tests.service.conftest import LIMITS

PRINCIPALS: list[Any] = ["analyst", "care-agent", "pr-officer", "intern", "nobody", ["analyst", "care-agent"]]
ACTIONS = ["read", "export", "read_raw", "publish"]
RESOURCES = ["dataset/mentions", "dataset/mentions:author_handle", "dataset/mentions:text",
             "kpi/brand.customer.net_sentiment", "dataset/nope"]


@pytest.fixture(scope="module")
def both(governance: Governance) -> Iterator[tuple[httpx.Client, httpx.Client]]:
    with running(create_app(governance, LIMITS)) as fast, running(create_app(governance, LIMITS, fast_path=False)) as ref, \
            httpx.Client(base_url=fast, timeout=10) as a, httpx.Client(base_url=ref, timeout=10) as b:
        yield a, b


def _same(a: httpx.Response, b: httpx.Response) -> None:
    assert a.status_code == b.status_code
    assert a.headers["content-type"] == b.headers["content-type"]
    assert _without_ids(a.json()) == _without_ids(b.json())


def _without_ids(body: Any) -> Any:
    if isinstance(body, dict):
        return {k: _without_ids(v) for k, v in body.items() if k != "decision_id"}
    if isinstance(body, list):
        return [_without_ids(v) for v in body]
    return body


def test_every_well_formed_decision_is_answered_alike(both: tuple[httpx.Client, httpx.Client]) -> None:
    fast, ref = both
    requests = [{"principal": p, "action": a, "resource": r}
                for p, a, r in itertools.product(PRINCIPALS, ACTIONS, RESOURCES)]
    for request in requests:
        _same(fast.post("/v1/access/check", json=request), ref.post("/v1/access/check", json=request))
    for row in ({"entity": "stridewell", "topic": "sizing"}, {"entity": "rival"}, {}):
        request = {"principal": "care-agent", "action": "read", "resource": "dataset/mentions", "row": row}
        _same(fast.post("/v1/access/check", json=request), ref.post("/v1/access/check", json=request))
    batch = {"requests": requests[:200]}
    _same(fast.post("/v1/access/check-many", json=batch), ref.post("/v1/access/check-many", json=batch))


@pytest.mark.parametrize(("path", "content", "content_type"), [
    ("/v1/access/check", b'{"principal": "a"}', "application/json"),
    ("/v1/access/check", b'{"principal": "analyst", "action": "read", "resource": "dataset/mentions", "x": 1}',
     "application/json"),
    ("/v1/access/check", b"{not json", "application/json"),
    ("/v1/access/check", b"", "application/json"),
    ("/v1/access/check", b'{"principal": "analyst", "action": "read", "resource": "dataset/mentions"}', "text/plain"),
    ("/v1/access/check", b'{"principal": "analyst", "action": "read", "resource": "dataset/mentions",'
                         b' "row": {"likes": [1, 2]}}', "application/json"),
    ("/v1/access/check-many", b'{"requests": []}', "application/json"),
    ("/v1/access/check-many", json.dumps({"requests": [{"principal": "a", "action": "r", "resource": "k"}] * 1001}).encode(),
     "application/json"),
])
def test_refusals_come_from_fastapi_unchanged(both: tuple[httpx.Client, httpx.Client], path: str, content: bytes,
                                             content_type: str) -> None:
    fast, ref = both
    headers = {"content-type": content_type}
    _same(fast.post(path, content=content, headers=headers), ref.post(path, content=content, headers=headers))


def test_the_fast_path_answers_without_the_inner_app_and_delegates_the_rest(governance: Governance) -> None:
    delegated: list[str] = []

    async def inner(scope: dict[str, Any], receive: Any, send: Any) -> None:
        delegated.append(scope["path"])
        body = (await receive())["body"]
        await send({"type": "http.response.start", "status": 299, "headers": []})
        await send({"type": "http.response.body", "body": body})

    from kpigov.service.app import answer_check

    app = DecisionFastPath(inner, governance, {"/v1/access/check": (AccessRequest, answer_check)})
    good = b'{"principal": "analyst", "action": "read", "resource": "dataset/mentions"}'
    sent = asyncio.run(_call(app, "/v1/access/check", good))
    assert delegated == [] and sent[0]["status"] == 200
    assert json.loads(sent[1]["body"])["decision"]["effect"] == "allow"
    bad = b'{"principal": 7}'
    sent = asyncio.run(_call(app, "/v1/access/check", bad))
    assert delegated == ["/v1/access/check"] and sent[1]["body"] == bad  # the body reaches FastAPI intact
    asyncio.run(_call(app, "/health", b""))
    assert delegated[-1] == "/health"


async def _call(app: DecisionFastPath, path: str, body: bytes) -> list[dict[str, Any]]:
    sent: list[dict[str, Any]] = []
    messages = iter([{"type": "http.request", "body": body, "more_body": False}])

    async def receive() -> dict[str, Any]:
        return next(messages, {"type": "http.disconnect"})

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "POST" if path != "/health" else "GET", "path": path,
             "headers": [(b"content-type", b"application/json")]}
    await app(scope, receive, send)
    return sent


@pytest.mark.skipif(BoundedHttpToolsProtocol is None, reason="httptools is not installed (h11 bounds heads itself)")
@pytest.mark.parametrize("pieces", [1, 200])
def test_an_oversized_request_head_is_refused_with_431(service_url: str, pieces: int) -> None:
    host, port = service_url.removeprefix("http://").split(":")
    header = b"X-Big: " + b"a" * (MAX_HEAD_BYTES * 4) + b"\r\n"
    step = max(1, len(header) // pieces)
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: t\r\n")
        try:
            for start in range(0, len(header), step):
                sock.sendall(header[start:start + step])
        except OSError:
            pass  # the server closed the connection after refusing: what is asserted next
        answer = sock.recv(4096)
    assert answer.startswith(b"HTTP/1.1 431 ")
    with httpx.Client(base_url=service_url) as client:  # the server is unharmed
        ok = client.get("/health", headers={"X-Fine": "a" * 1000})
        assert ok.status_code == 200


@pytest.mark.skipif(BoundedHttpToolsProtocol is None, reason="httptools is not installed (h11 bounds heads itself)")
@pytest.mark.parametrize("body_bytes", [LIMITS.max_body_bytes - 100, MAX_HEAD_BYTES * 2, (1 << 20) + 1])
def test_a_small_head_read_together_with_a_large_body_is_not_a_large_head(service_url: str, body_bytes: int) -> None:
    """One read that carries a small head and a large body: only the head counts against the head bound."""
    host, port = service_url.removeprefix("http://").split(":")
    body = b'{"principal": "' + b"x" * body_bytes + b'"}'
    head = b"POST /v1/access/check HTTP/1.1\r\nHost: t\r\ncontent-type: application/json\r\n" \
           b"content-length: %d\r\nconnection: close\r\n\r\n" % len(body)
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        try:
            sock.sendall(head + body)  # one write: the server's first read holds the head and body bytes
        except OSError:
            pass  # refused before the whole body was read: the status is asserted next
        answer = sock.recv(4096)
    status = int(answer.split(b" ", 2)[1])
    # under the body bound: FastAPI judges the body (422, no action or resource); over it: 413; never 431
    assert status == (413 if len(body) > LIMITS.max_body_bytes else 422), answer[:200]


def test_keep_alive_requests_each_get_the_full_head_budget(service_url: str) -> None:
    with httpx.Client(base_url=service_url) as client:
        for _ in range(5):  # 5 heads of ~40 KiB on one connection: each is under the bound on its own
            assert client.get("/health", headers={"X-Fine": "a" * 40_000}).status_code == 200
