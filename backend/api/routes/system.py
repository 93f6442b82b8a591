"""Operations (administrators): queue depth and worker status; health checks (anyone)."""

from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from backend.api.deps import AdminUser, RuntimeDep
from backend.api.schemas.operations import CeleryHealth, HealthOut, QueuesOut, WorkersOut
from backend.errors import ServiceUnavailable
from backend.operations import admin_ops, broker
from backend.operations.health import health_report

router = APIRouter(tags=["system"])
log = logging.getLogger(__name__)
UNHEALTHY: dict[int | str, dict[str, Any]] = {
    503: {"model": HealthOut, "description": "Something the service needs is down."}
}


@router.get(
    "/qa/system/queues",
    summary="Messages waiting per queue (administrators)",
    responses={403: {"description": "Not an administrator."}},
)
def queues(rt: RuntimeDep, admin: AdminUser) -> QueuesOut:
    """Depth per queue, with Redis priority sub-queues, and consumers where known."""
    report = admin_ops.queues(celery=rt.celery, user=admin, cache=rt.redis)
    if not report.ok:
        raise ServiceUnavailable(report.detail)
    return QueuesOut.model_validate(report.as_dict())


@router.get("/qa/system/workers", summary="Workers and what they run (administrators)")
def workers(
    rt: RuntimeDep,
    admin: AdminUser,
    timeout: Annotated[
        float, Query(ge=0.1, le=10.0, description="Seconds to wait for replies.")
    ] = 1.0,
) -> WorkersOut:
    report = admin_ops.workers(celery=rt.celery, cache=rt.redis, user=admin, timeout=timeout).report
    return WorkersOut.model_validate(report.as_dict())


@router.get("/health", summary="Every dependency's health", responses=UNHEALTHY)
def health(rt: RuntimeDep) -> JSONResponse:
    """200 when the database, broker, result backend, vector store, beat and workers are ok.
    Each check says ok or down; the details (hosts, folders, workers) are on the dashboard's
    System health page, for administrators."""
    report = health_report(rt=rt)
    for name, check in report["checks"].items():
        if not check["ok"]:
            log.warning("health: %s: %s", name, check["detail"])
        check["detail"] = "ok" if check["ok"] else "down"
    body = HealthOut.model_validate(report).model_dump(mode="json")
    return JSONResponse(body, status_code=200 if report["ok"] else 503)


@router.get(
    "/health/celery",
    summary="Redis and the workers answer (as in the seed)",
    response_model=CeleryHealth,
    responses={503: {"model": CeleryHealth}},
)
def celery_health(rt: RuntimeDep) -> JSONResponse:
    try:
        rt.redis.ping()
    except Exception as exc:  # any failure is the answer "unhealthy", not an error
        body = CeleryHealth(status="unhealthy", detail=f"Redis is not answering ({exc}).")
        return JSONResponse(body.model_dump(), status_code=503)
    names, error = broker.ping_workers(celery=rt.celery, timeout=1.0)
    if error or not names:
        detail = error or "No active workers: none answered within 1 second."
        body = CeleryHealth(status="unhealthy", detail=detail)
        return JSONResponse(body.model_dump(), status_code=503)
    detail = f"{len(names)} worker{'s' if len(names) != 1 else ''} answering."
    body = CeleryHealth(status="healthy", workers=len(names), detail=detail)
    return JSONResponse(body.model_dump(), status_code=200)
