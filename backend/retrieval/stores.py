"""Which vector store a process opens: a Qdrant server when QDRANT_URL is set, else the
embedded Edge shard under VECTOR_PATH (see `vector_store` for the contract)."""

from __future__ import annotations

from pathlib import Path

from backend.config import Settings
from backend.retrieval.edge_store import EdgeStore
from backend.retrieval.server_store import ServerStore
from backend.retrieval.vector_store import DIMENSIONS, VectorStore


def open_vector_store(settings: Settings, dim: int = DIMENSIONS) -> VectorStore:
    """Server mode when QDRANT_URL is set, else the embedded shard under VECTOR_PATH."""
    if settings.qdrant_url:
        return ServerStore.connect(settings, dim=dim)
    return EdgeStore.open(Path(settings.vector_dir), dim=dim)
