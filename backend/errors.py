"""Typed errors with a sentence for humans; every door shows `.message` as it is."""

from __future__ import annotations


class ServiceError(Exception):
    """Base of every error a user can cause or see; `status` is the matching HTTP code."""

    status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidInput(ServiceError):
    status = 400


class AuthenticationFailed(ServiceError):
    status = 401


class PermissionDenied(ServiceError):
    status = 403


class NotFound(ServiceError):
    status = 404


class Conflict(ServiceError):
    status = 409


class TooLarge(ServiceError):
    status = 413


class UnsupportedType(ServiceError):
    status = 415


class RateLimited(ServiceError):
    status = 429

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ServiceUnavailable(ServiceError):
    """A system the service depends on (broker, database, workers) is not answering."""

    status = 503


class TaskTimeout(ServiceError):
    status = 504
