"""Extraction of untrusted files in a child process with a time and memory limit.

pypdf has had infinite-loop and memory CVEs, and the embedded worker's threads pool cannot
enforce Celery time limits, so the parser runs where it can be killed.
"""

from __future__ import annotations

import multiprocessing as mp
from multiprocessing.connection import Connection
from typing import Any

from backend.ingest.extract import Extracted, ExtractionError, extract

MEMORY_LIMIT_BYTES = 2 * 1024**3


def _child(conn: Connection, data: bytes, filename: str, options: dict[str, Any]) -> None:
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT_BYTES, MEMORY_LIMIT_BYTES))
    except (ImportError, ValueError, OSError):
        pass
    try:
        conn.send(("ok", extract(data, filename, **options)))
    except ExtractionError as exc:
        conn.send(("rejected", exc.message))
    except MemoryError:
        conn.send(("rejected", "The file needs too much memory to read; it may be malformed."))
    except Exception as exc:  # the parser's own bugs: report, never crash the worker
        conn.send(("error", f"{type(exc).__name__}: {exc}"))
    finally:
        conn.close()


def extract_isolated(data: bytes, filename: str, *, timeout: float, **options: Any) -> Extracted:
    """`extract` in a killable child process; too slow or too big ends in ExtractionError."""
    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(child, data, filename, options), daemon=True)
    proc.start()
    child.close()
    try:
        if not parent.poll(timeout):
            raise ExtractionError(
                f"Reading this file took longer than {timeout:.0f} seconds; "
                "it may be malformed or too complex."
            )
        kind, payload = parent.recv()
    except EOFError:
        raise ExtractionError("The file could not be read; it may be malformed.") from None
    finally:
        if proc.is_alive():
            proc.kill()
        proc.join(5)
        parent.close()
    if kind == "ok":
        return payload
    if kind == "rejected":
        raise ExtractionError(payload)
    raise ExtractionError("The file could not be read because of a parser error.")
