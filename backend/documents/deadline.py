"""One document's time budget, and the refusal a person reads when a file cannot be used."""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from backend.config import Settings
from backend.errors import ServiceError


def time_limit_sentence(seconds: float) -> str:
    """What the owner reads when a document used up its processing time."""
    return (
        f"The document took longer than {seconds:.0f} s to process, the limit per document; "
        "it may be too large or too complex. Split it into smaller files and upload them "
        "separately."
    )


class DocumentRejected(ServiceError):
    """The file cannot be turned into searchable text; the message says why."""


class Deadline:
    """One document's wall-clock budget, checked between steps of the work: the worker's
    threads pool enforces no Celery time limit, and a sandboxed step gets what is left."""

    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds = seconds
        self._clock = clock
        # 0 means no limit, as it does for Celery's time limits.
        self._ends = clock() + seconds if seconds > 0 else math.inf

    def remaining(self) -> float:
        return max(0.0, self._ends - self._clock())

    def check(self) -> None:
        """Raise DocumentRejected with the time sentence once the budget is used up."""
        if self._clock() >= self._ends:
            raise DocumentRejected(time_limit_sentence(self.seconds))


def document_deadline(settings: Settings) -> Deadline:
    """The budget of one document: its soft time limit, counted from the start of the work."""
    return Deadline(settings.document_soft_time_limit)
