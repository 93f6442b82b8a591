"""The upload store: files kept under their content hash, never under the user's name."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from backend.errors import NotFound


class UploadStore:
    """A folder of uploaded files named by SHA-256 (shared storage in production)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def path(self, sha256: str) -> Path:
        """Where the file with this hash lives."""
        if len(sha256) != 64 or not all(c in "0123456789abcdef" for c in sha256):
            raise ValueError("not a SHA-256 hex digest")
        return self.root / sha256[:2] / sha256

    def put(self, data: bytes) -> str:
        """Store the bytes (once per content) and return their SHA-256."""
        digest = hashlib.sha256(data).hexdigest()
        target = self.path(digest)
        if target.exists():
            return digest
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return digest

    def read(self, sha256: str) -> bytes:
        """The stored bytes."""
        target = self.path(sha256)
        if not target.exists():
            raise NotFound("The uploaded file is no longer in the upload store.")
        return target.read_bytes()

    def delete(self, sha256: str) -> None:
        """Remove the file if present."""
        self.path(sha256).unlink(missing_ok=True)

    def exists(self, sha256: str) -> bool:
        return self.path(sha256).exists()
