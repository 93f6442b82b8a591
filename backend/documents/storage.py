"""The upload store: files kept under their content hash, never under the user's name."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from backend.errors import NotFound, TooLarge


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

    def receive(self, *, max_bytes: int, label: str = "The file") -> IncomingFile:
        """A file to be written in pieces (hashed and size-checked as it arrives)."""
        return IncomingFile(self, max_bytes=max_bytes, label=label)


class IncomingFile:
    """A file arriving in pieces: written to a temporary file in the store while it is hashed
    and counted, so memory does not grow with its size; `keep()` files it under its hash."""

    def __init__(self, store: UploadStore, *, max_bytes: int, label: str) -> None:
        self.store = store
        self.max_bytes = max_bytes
        self.label = label
        self.size = 0
        self.sha256 = ""
        self._hash = hashlib.sha256()
        store.root.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=store.root, prefix=".incoming-")
        self.temp_path = Path(tmp)
        self._handle = os.fdopen(fd, "wb")
        self._kept = False

    def write(self, data: bytes) -> None:
        """Append a piece; going over the size limit raises TooLarge."""
        if self.size + len(data) > self.max_bytes:
            limit = self.max_bytes / 1_048_576
            raise TooLarge(f"{self.label} is larger than the {limit:g} MB upload limit.")
        self._hash.update(data)
        self._handle.write(data)
        self.size += len(data)

    def close(self) -> str:
        """Finish writing; returns the SHA-256 of the content."""
        if not self._handle.closed:
            self._handle.close()
            self.sha256 = self._hash.hexdigest()
        return self.sha256

    def read_range(self, start: int, length: int) -> bytes:
        """Bytes of the received content (for sniffing its type without reading it all)."""
        with open(self.temp_path, "rb") as handle:
            handle.seek(start)
            return handle.read(length)

    def keep(self) -> str:
        """Move the file into the store under its hash (once per content); returns the hash."""
        digest = self.close()
        target = self.store.path(digest)
        if target.exists():
            self.temp_path.unlink(missing_ok=True)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(self.temp_path, target)
        self._kept = True
        return digest

    def discard(self) -> None:
        """Forget the file (a refused or interrupted upload)."""
        if not self._handle.closed:
            self._handle.close()
        if not self._kept:
            self.temp_path.unlink(missing_ok=True)

    def __enter__(self) -> IncomingFile:
        return self

    def __exit__(self, *_: object) -> None:
        self.discard()
