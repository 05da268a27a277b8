"""The FastAPI application: :class:`kpigov.Governance` queries over HTTP.

Every answer comes from the same compiled rule set the in-process API uses; handlers only
translate JSON to calls and back. Decisions are answered on the event loop (microseconds, no
I/O) unless the audit trail is on, in which case they run in the thread pool because logging
writes to the store. Errors are :class:`~kpigov.service.models.Problem` bodies: 404 for an unknown
KPI or retention subject, 400 for any other refused query, 413/422/504 for bad requests.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from fastapi import FastAPI, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from sqlalchemy import select

import kpigov
from kpigov.runtime import Decision, Governance, GovernanceError, Retention, UnknownResourceError
from kpigov.runtime.kpis import KpiAnswer
from kpigov.service.fastpath import DecisionFastPath
from kpigov.service.limits import ASGIApp, Guard, Limits
from kpigov.service.models import (
    AccessBatch,
    AccessRequest,
    DecisionAnswer,
    DecisionBatchAnswer,
    Health,
    KpiAnswerOut,
    Problem,
    Readiness,
    RetentionAnswer,
)

T = TypeVar("T")
CHECK, CHECK_MANY = "/v1/access/check", "/v1/access/check-many"
_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": Problem, "description": "The query was refused."},
    404: {"model": Problem, "description": "Unknown KPI or retention subject."},
    413: {"model": Problem, "description": "Request body too large."},
    504: {"model": Problem, "description": "Request took too long."},
}


def create_app(governance: Governance, limits: Limits | None = None, *, fast_path: bool = True) -> Guard:
    """The ASGI application (FastAPI inside the request guard) serving ``governance``.

    ``fast_path=False`` leaves every request to FastAPI (the reference the fast path is tested against).
    """
    limits = limits or Limits()
    api = FastAPI(title="kpigov", version=kpigov.__version__, responses=_ERRORS,
                  description="Governance-as-code queries: access decisions, retention, KPI definitions. "
                              f"Every response carries the compiled manifest's fingerprint (header "
                              f"x-kpigov-fingerprint). Bodies are limited to {limits.max_body_bytes} bytes.")

    async def call(fn: Callable[[], T]) -> T:
        return fn() if governance.audit_mode == "off" else await run_in_threadpool(fn)

    @api.exception_handler(GovernanceError)
    async def refused(request: Request, error: GovernanceError) -> JSONResponse:
        status = 404 if isinstance(error, UnknownResourceError) else 400
        return JSONResponse({"error": str(error), "detail": None, "fingerprint": governance.fingerprint}, status)

    @api.get("/health", response_model=Health, tags=["service"])
    async def health() -> dict[str, Any]:
        """Liveness: the process answers."""
        return {"status": "ok", "fingerprint": governance.fingerprint}

    @api.get("/ready", response_model=Readiness, tags=["service"],
             responses={503: {"model": Readiness, "description": "Not ready: the store is unreachable."}})
    def ready() -> JSONResponse:
        """Readiness: rules are compiled and the store (when attached) answers."""
        store_state = "none"
        if governance.store is not None:
            try:
                with governance.store.transaction() as conn:
                    conn.execute(select(1)).all()
                store_state = "reachable"
            except Exception:  # any failure to reach the store means "not ready", whatever the driver raises
                store_state = "unreachable"
        body = Readiness(ready=store_state != "unreachable", fingerprint=governance.fingerprint, store=store_state,
                         problems=[str(d) for d in governance.problems])
        return JSONResponse(body.model_dump(), 200 if body.ready else 503)

    @api.post(CHECK, response_model=DecisionAnswer, tags=["access"])
    async def check_access(request: AccessRequest) -> dict[str, Any]:
        """May the principal do the action on the resource (on the row, when given)? Default deny."""
        return await call(lambda: answer_check(governance, request))

    @api.post(CHECK_MANY, response_model=DecisionBatchAnswer, tags=["access"])
    async def check_many(batch: AccessBatch) -> dict[str, Any]:
        """Many decisions against one rule set (rows are not judged in a batch)."""
        return await call(lambda: answer_check_many(governance, batch))

    @api.get("/v1/retention", response_model=RetentionAnswer, tags=["retention"])
    async def retention(subject: str = Query(min_length=1, max_length=256,
                                             description="A data class, dataset/<id>:<column>, <id>.<column> or "
                                                         "dataset/<id>")) -> dict[str, Any]:
        """How long the subject is kept, what happens then, and whether a legal hold applies."""
        return _retention_json(governance.retention(subject), governance.fingerprint)

    @api.get("/v1/kpis/{kpi_id}", response_model=KpiAnswerOut, tags=["kpis"])
    def kpi(kpi_id: str) -> dict[str, Any]:
        """Definition, status, last value (with a store) and lineage pointer of one KPI."""
        return _kpi_json(governance.kpi(kpi_id), governance.fingerprint)

    app: ASGIApp = api
    if fast_path:
        app = DecisionFastPath(api, governance, {CHECK: (AccessRequest, answer_check),
                                                 CHECK_MANY: (AccessBatch, answer_check_many)})
    return Guard(app, lambda: governance.fingerprint, limits)


def answer_check(governance: Governance, request: AccessRequest) -> dict[str, Any]:
    """The body of a ``/v1/access/check`` answer (shared by the FastAPI handler and the fast path)."""
    return {"fingerprint": governance.fingerprint, "decision": _check(governance, request).to_json()}


def answer_check_many(governance: Governance, batch: AccessBatch) -> dict[str, Any]:
    """The body of a ``/v1/access/check-many`` answer (shared by the FastAPI handler and the fast path)."""
    decisions = governance.check_many([(_principal(r.principal), r.action, r.resource) for r in batch.requests])
    return {"fingerprint": governance.fingerprint, "decisions": [d.to_json() for d in decisions]}


def _principal(principal: str | list[str]) -> str | frozenset[str]:
    return principal if isinstance(principal, str) else frozenset(principal)


def _check(governance: Governance, request: AccessRequest) -> Decision:
    try:
        return governance.check_access(_principal(request.principal), request.action, request.resource,
                                       row=request.row)
    except (TypeError, ValueError, KeyError) as error:  # row values of types a condition cannot compare
        if isinstance(error, GovernanceError):
            raise
        raise GovernanceError(f"the row cannot be judged against the rules' conditions: {error}") from None


def _retention_json(answer: Retention, fingerprint: str) -> dict[str, Any]:
    return {"fingerprint": fingerprint, "subject": answer.subject, "data_class": answer.data_class,
            "period": answer.period, "action": answer.action, "legal_hold": answer.legal_hold,
            "terms": [{"rule": t.rule, "data_class": t.data_class, "period": t.period, "action": t.action,
                       "when": t.when, "legal_basis": t.legal_basis, "jurisdiction": t.jurisdiction,
                       "legal_hold": t.legal_hold, "location": str(t.location)} for t in answer.terms]}


def _kpi_json(answer: KpiAnswer, fingerprint: str) -> dict[str, Any]:
    last = answer.last
    return {"fingerprint": fingerprint, "id": answer.id, "version": answer.version, "status": answer.status,
            "owner": answer.owner, "definition": answer.definition, "location": str(answer.location),
            "kpi_fingerprint": answer.fingerprint, "caveats": list(answer.caveats), "trustworthy": answer.trustworthy,
            "last": None if last is None else {
                "run_id": last.run_id, "period_start": last.period_start.isoformat(),
                "period_end": last.period_end.isoformat(), "status": last.status, "value": last.value,
                "band": last.band, "reason": last.reason},
            "lineage": {"namespace": answer.lineage.namespace, "job": answer.lineage.job,
                        "run_id": answer.lineage.run_id}}


__all__ = ["create_app"]
