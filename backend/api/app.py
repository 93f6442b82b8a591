"""The FastAPI app: `uvicorn backend.api.app:app`. Routes are thin doors to `backend/`."""

from __future__ import annotations

import hmac
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy import text

from backend.api import errors
from backend.api.middleware import BodyLimits, SecurityHeaders
from backend.api.routes import (
    admin,
    admin_tasks,
    auth,
    documents,
    questions,
    system,
    tasks,
    uploads,
    webhooks,
)
from backend.api.schemas.common import ErrorOut
from backend.config import Settings, get_settings
from backend.operations import broker, metrics
from backend.runtime import Runtime, build_runtime

DESCRIPTION = """
Upload documents and ask questions answered from them, with cited sources. Work runs on
Celery workers: `use_async=true` (the default) returns a task id to poll, `use_async=false`
waits for the result.

Sign in with `POST /auth/token` (email and password) or create an API token with
`POST /auth/tokens`, then send `Authorization: Bearer <token>`. Errors are
`{"detail": "<sentence>"}`.
"""
ERRORS = {
    code: {"model": ErrorOut, "description": text}
    for code, text in {
        401: "Not signed in, or the token is not valid.",
        503: "The database or the task queue is not answering.",
    }.items()
}


log = logging.getLogger(__name__)

def create_app(runtime: Runtime | None = None, settings: Settings | None = None) -> FastAPI:
    """The API; with no runtime given, one is built from the settings at startup. The app's
    own behaviour (docs, metrics, body limits, headers) follows `settings`, else the
    runtime's, else the environment's."""
    settings = settings or (runtime.settings if runtime is not None else get_settings())

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owned = runtime is None
        metrics.init_error_tracking(get_settings().sentry_dsn)
        if owned:
            app.state.runtime = build_runtime(get_settings())
        try:
            yield
        finally:
            if owned:
                app.state.runtime.close()

    docs = settings.docs_public
    app = FastAPI(
        title="QA Service",
        version="1.0.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        responses=ERRORS,  # type: ignore[arg-type]
        docs_url="/docs" if docs else None,
        redoc_url="/redoc" if docs else None,
        openapi_url="/openapi.json" if docs else None,
    )
    app.add_middleware(
        BodyLimits,
        max_json_bytes=settings.max_json_body_kb * 1024,
        read_timeout=settings.body_read_timeout_seconds,
    )
    app.add_middleware(SecurityHeaders, hsts=settings.environment == "production")
    app.state.settings = settings
    if runtime is not None:
        app.state.runtime = runtime
    errors.install(app)
    for router in (
        auth.router,
        uploads.router,
        questions.router,
        documents.router,
        tasks.router,
        system.router,
        admin.router,
        admin_tasks.router,
        webhooks.router,
    ):
        app.include_router(router)
    app.add_api_route("/metrics", _metrics, include_in_schema=False)
    app.add_api_route("/livez", _livez, include_in_schema=False)
    app.add_api_route("/readyz", _readyz, include_in_schema=False)
    return app


def _metrics(request: Request) -> Response:
    """Prometheus scrape: task counters and durations, queue sizes read from the broker now.
    With METRICS_TOKEN set it needs that bearer token; in production it needs one."""
    settings = request.app.state.settings
    if settings.metrics_token:
        presented = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
        if not hmac.compare_digest(presented.encode(), settings.metrics_token.encode()):
            return JSONResponse(
                {"detail": "Send the metrics token: Authorization: Bearer <METRICS_TOKEN>."},
                status_code=401,
            )
    elif settings.environment == "production":
        return JSONResponse(
            {"detail": "Metrics are closed: set METRICS_TOKEN and scrape with it."},
            status_code=403,
        )
    celery = request.app.state.runtime.celery
    registry = metrics.api_registry(lambda: broker.queue_depths(celery=celery))
    body, content_type = metrics.exposition(registry)
    return Response(body, media_type=content_type)


def _livez() -> dict[str, str]:
    """Liveness probe: the process serves requests."""
    return {"status": "ok"}


def _readyz(request: Request) -> Response:
    """Readiness probe: the database and the broker answer (workers may come and go)."""
    rt = request.app.state.runtime
    try:
        with rt.session() as session:
            session.execute(text("SELECT 1"))
    except Exception as exc:  # a probe reports, never raises
        # The detail (host, port, database) is for the log, not for whoever asks.
        log.warning("readiness: the database is not answering: %s", exc)
        return JSONResponse(
            {"status": "unready", "detail": "database not answering"}, status_code=503
        )
    ok, detail = broker.broker_check(celery=rt.celery)
    if not ok:
        log.warning("readiness: %s", detail)
    return JSONResponse(
        {"status": "ready" if ok else "unready", "detail": "ok" if ok else "broker not answering"},
        status_code=200 if ok else 503,
    )


app = create_app()
