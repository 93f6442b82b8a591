"""Errors as JSON `{"detail": sentence}` with the status the service error carries."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from kombu.exceptions import OperationalError as BrokerError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from sqlalchemy.exc import OperationalError as DatabaseError

from backend.errors import AuthenticationFailed, RateLimited, ServiceError

log = logging.getLogger(__name__)

DATABASE_DOWN = "The database is not answering right now; try again shortly."
QUEUE_DOWN = "The task queue is not answering right now; try again shortly."
INTERNAL = "Something went wrong on our side; the error was logged. Try again shortly."


def service_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ServiceError)
    headers = {}
    if isinstance(exc, RateLimited):
        headers["Retry-After"] = str(max(1, int(exc.retry_after)))
    if isinstance(exc, AuthenticationFailed):
        headers["WWW-Authenticate"] = "Bearer"
    return JSONResponse({"detail": exc.message}, status_code=exc.status, headers=headers)


def database_down(_: Request, exc: Exception) -> JSONResponse:
    log.warning("database error: %s", exc)
    return JSONResponse({"detail": DATABASE_DOWN}, status_code=503, headers={"Retry-After": "5"})


def queue_down(_: Request, exc: Exception) -> JSONResponse:
    log.warning("broker or result store error: %s", exc)
    return JSONResponse({"detail": QUEUE_DOWN}, status_code=503, headers={"Retry-After": "5"})


def invalid_request(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    return JSONResponse(
        {"detail": validation_sentence(errors), "errors": _plain(errors)}, status_code=422
    )


def internal_error(_: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error", exc_info=exc)
    return JSONResponse({"detail": INTERNAL}, status_code=500)


def validation_sentence(errors: Any) -> str:
    """The first problem with the request, as a sentence."""
    if not errors:
        return "The request is not valid."
    first = errors[0]
    where = ".".join(str(part) for part in first.get("loc", ()) if part not in ("body",))
    message = str(first.get("msg", "is not valid")).rstrip(".")
    more = f" (and {len(errors) - 1} more problems)" if len(errors) > 1 else ""
    return f"{where or 'request'}: {message}{more}."


def _plain(errors: Any) -> list[dict[str, Any]]:
    # The raw errors can hold exception objects and bytes, which JSON cannot carry.
    return [
        {"loc": [str(p) for p in e.get("loc", ())], "msg": str(e.get("msg")), "type": e.get("type")}
        for e in errors
    ]


def install(app: FastAPI) -> None:
    """Register the handlers on the app."""
    app.add_exception_handler(ServiceError, service_error)
    app.add_exception_handler(DatabaseError, database_down)
    for broker_error in (BrokerError, RedisConnectionError, RedisTimeoutError):
        app.add_exception_handler(broker_error, queue_down)
    app.add_exception_handler(RequestValidationError, invalid_request)
    app.add_exception_handler(Exception, internal_error)
