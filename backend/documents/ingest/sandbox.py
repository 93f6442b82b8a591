"""Extraction of untrusted files in a child process with a time and memory limit.

Every file type is read here: pypdf has had infinite-loop and memory CVEs, HTML and Markdown
parsing and text cleaning can be made slow or hungry by a crafted file, and the embedded
worker's threads pool cannot enforce Celery time limits. So decoding, parsing and cleaning run
in `python -m backend.documents.ingest.sandbox`, which can be killed. The file goes in on
stdin; the cleaned pages come back as JSON on stdout.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import asdict
from typing import Any

from backend.documents.ingest.extract import extract
from backend.documents.ingest.pages import Extracted, ExtractionError, PageText

MEMORY_LIMIT_BYTES = 2 * 1024**3


def extract_isolated(data: bytes, filename: str, *, timeout: float, **options: Any) -> Extracted:
    """`extract` in a killable child process; too slow or too big ends in ExtractionError."""
    args = json.dumps({"filename": filename, "options": options})
    try:
        done = subprocess.run(
            [sys.executable, "-m", "backend.documents.ingest.sandbox", args],
            input=data,
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise ExtractionError(
            f"Reading this file took longer than {timeout:.0f} seconds; "
            "it may be malformed or too complex."
        ) from None
    try:
        reply = json.loads(done.stdout)
    except ValueError:
        raise ExtractionError("The file could not be read; it may be malformed.") from None
    if reply["kind"] == "ok":
        pages = [PageText(p["number"], p["text"]) for p in reply["pages"]]
        return Extracted(reply["content_type"], pages, reply["page_count"])
    if reply["kind"] == "rejected":
        raise ExtractionError(reply["message"])
    raise ExtractionError("The file could not be read because of a parser error.")


def _limit_memory() -> None:
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT_BYTES, MEMORY_LIMIT_BYTES))
    except (ImportError, ValueError, OSError):
        pass


def _child(argv: list[str]) -> dict[str, Any]:
    _limit_memory()
    request = json.loads(argv[1])
    data = sys.stdin.buffer.read()
    try:
        result = extract(data, request["filename"], **request["options"])
    except ExtractionError as exc:
        return {"kind": "rejected", "message": exc.message}
    except MemoryError:
        return {"kind": "rejected", "message": "The file needs too much memory to read."}
    except Exception as exc:  # the parser's own bugs: report them, never crash the worker
        return {"kind": "error", "message": f"{type(exc).__name__}: {exc}"}
    return {"kind": "ok", **asdict(result)}


if __name__ == "__main__":
    sys.stdout.write(json.dumps(_child(sys.argv)))
