"""The HTTP service against a real uvicorn on 127.0.0.1: same answers as the in-process API."""

from __future__ import annotations

import socket

import httpx
import pytest

from kpigov.runtime import Governance
from kpigov.service import FINGERPRINT_HEADER, Limits, create_app, running
from tests.service.conftest import LIMITS

ACCESS = {"principal": "analyst", "action": "read", "resource": "dataset/mentions"}


@pytest.fixture
def client(service_url: str) -> httpx.Client:
    with httpx.Client(base_url=service_url, timeout=10) as c:
        yield c


def test_decision_matches_the_in_process_api(client: httpx.Client, governance: Governance) -> None:
    answer = client.post("/v1/access/check", json=ACCESS)
    assert answer.status_code == 200
    expected = governance.check_access("analyst", "read", "dataset/mentions").to_json()
    got = answer.json()["decision"]
    assert {k: v for k, v in got.items() if k != "decision_id"} == {k: v for k, v in expected.items() if k != "decision_id"}
    assert answer.json()["fingerprint"] == answer.headers[FINGERPRINT_HEADER] == governance.fingerprint


def test_row_condition_and_batch(client: httpx.Client, governance: Governance) -> None:
    row = {"entity": "stridewell", "topic": "sizing"}
    care = {"principal": "care-agent", "action": "read", "resource": "dataset/mentions"}
    judged = client.post("/v1/access/check", json={**care, "row": row}).json()["decision"]
    assert judged["effect"] == governance.check_access("care-agent", "read", "dataset/mentions", row=row).effect
    batch = client.post("/v1/access/check-many", json={"requests": [ACCESS, care, {**ACCESS, "principal": ["nobody"]}]})
    assert [d["effect"] for d in batch.json()["decisions"]] == ["allow", "allow", "deny"]


def test_retention_and_kpi(client: httpx.Client, governance: Governance) -> None:
    answer = client.get("/v1/retention", params={"subject": "dataset/mentions:author_handle"}).json()
    assert (answer["period"], answer["action"]) == ("P13M", "anonymize")
    kpi = client.get("/v1/kpis/brand.customer.net_sentiment").json()
    assert kpi["definition"] == governance.kpi("brand.customer.net_sentiment").definition


@pytest.mark.parametrize(("method", "path", "body", "status"), [
    ("GET", "/v1/kpis/brand.nope", None, 404),
    ("GET", "/v1/retention?subject=dataset/nope", None, 404),
    ("POST", "/v1/access/check", {"principal": "a"}, 422),
    ("POST", "/v1/access/check", {**ACCESS, "surprise": 1}, 422),
    ("POST", "/v1/access/check-many", {"requests": [{"principal": "a", "action": "r", "resource": "k"}] * 1001}, 422),
    ("POST", "/v1/access/check", {**ACCESS, "principal": "x" * 300}, 422),
])
def test_bad_input_is_a_clear_4xx_with_the_fingerprint(client: httpx.Client, method: str, path: str, body: object,
                                                       status: int) -> None:
    answer = client.request(method, path, json=body)
    assert answer.status_code == status and answer.headers[FINGERPRINT_HEADER]
    assert answer.json()  # a JSON problem, never a traceback


def test_oversized_body_is_413_however_sent(client: httpx.Client) -> None:
    big = b'{"principal": "' + b"x" * (LIMITS.max_body_bytes + 1) + b'"}'
    assert client.post("/v1/access/check", content=big).status_code == 413
    chunked = client.post("/v1/access/check", content=iter([big[:1000], big[1000:]]))  # no Content-Length
    assert chunked.status_code == 413 and chunked.json()["error"].startswith("request body exceeds")


def test_health_ready_openapi(client: httpx.Client) -> None:
    assert client.get("/health").json()["status"] == "ok"
    assert client.get("/ready").json() == {"ready": True, "fingerprint": client.get("/health").json()["fingerprint"],
                                           "store": "none", "problems": []}
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/v1/access/check", "/v1/access/check-many", "/v1/retention", "/v1/kpis/{kpi_id}", "/health", "/ready"} <= set(paths)


def test_ready_is_503_when_the_store_is_unreachable(governance: Governance, tmp_path) -> None:
    from kpigov.store import open_store

    store = open_store(f"duckdb:///{tmp_path / 's.duckdb'}", create=True)
    with_store = Governance.load(governance.root, store=store, audit="off")
    with running(create_app(with_store)) as url:
        assert httpx.get(f"{url}/ready").json()["store"] == "reachable"
        (tmp_path / "s.duckdb").unlink()
        store.close()
        store.engine.dispose()
        (tmp_path / "s.duckdb").mkdir()  # the path is now a directory: connecting fails
        answer = httpx.get(f"{url}/ready")
    assert answer.status_code == 503 and answer.json()["store"] == "unreachable"


def test_slow_request_times_out_with_504(governance: Governance) -> None:
    limits = Limits(request_timeout=0.05)
    with running(create_app(governance, limits)) as url:
        host, port = url.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=5) as conn:  # a body that never completes
            conn.sendall(b"POST /v1/access/check HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{")
            reply = conn.recv(4096)
    assert reply.split(b"\r\n")[0] == b"HTTP/1.1 504 Gateway Timeout"
