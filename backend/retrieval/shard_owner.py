"""Who holds the embedded shard's folder: an owner file, flock-ed by the opening process for
as long as the shard is open, holding its pid, host, command and start time."""

from __future__ import annotations

import fcntl
import json
import os
import socket
import sys
import time
from pathlib import Path
from typing import Any

from backend.retrieval.vector_store import VectorStoreBusy

OWNER_FILE = "owner.lock"


def read_owner(folder: Path) -> dict[str, Any]:
    """Who opened the folder last (pid, host, command, since), or {}."""
    try:
        data = json.loads((folder / OWNER_FILE).read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def describe_owner(folder: Path) -> str:
    owner = read_owner(folder)
    if not owner:
        return "another process"
    since = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(float(owner.get("since", 0))))
    return (
        f"process {owner.get('pid')} on {owner.get('host')} ({owner.get('command', '?')}, "
        f"since {since})"
    )


def claim(folder: Path) -> int:
    """Lock the folder's owner file and write who we are in it; Busy if another holds it."""
    fd = os.open(folder / OWNER_FILE, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        raise busy(folder) from None
    owner = {
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "command": " ".join(os.path.basename(a) for a in sys.argv[:3]) or "python",
        "since": time.time(),
    }
    os.ftruncate(fd, 0)
    os.pwrite(fd, json.dumps(owner).encode(), 0)
    return fd


def release(fd: int) -> None:
    if fd < 0:
        return
    try:
        os.ftruncate(fd, 0)
    finally:
        os.close(fd)  # closing drops the lock


def busy(folder: Path) -> VectorStoreBusy:
    return VectorStoreBusy(
        f"The vector store at {folder} is open in {describe_owner(folder)}. One process "
        "owns it (the worker): stop that process first, or set QDRANT_URL to a Qdrant "
        "server for several processes."
    )
