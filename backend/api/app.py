"""The FastAPI app: `uvicorn backend.api.app:app`. Routes are thin doors to `backend/`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from backend.api import errors
from backend.api.routes import auth, documents, questions, system, tasks, uploads
from backend.api.schemas import ErrorOut
from backend.config import get_settings
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


def create_app(runtime: Runtime | None = None) -> FastAPI:
    """The API; with no runtime given, one is built from the settings at startup."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owned = runtime is None
        if owned:
            app.state.runtime = build_runtime(get_settings())
        try:
            yield
        finally:
            if owned:
                app.state.runtime.close()

    app = FastAPI(
        title="QA Service",
        version="1.0.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        responses=ERRORS,  # type: ignore[arg-type]
    )
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
    ):
        app.include_router(router)
    return app


app = create_app()
