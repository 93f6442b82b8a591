"""The dependencies of one process, built once at its entry point and passed to services."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

import redis
from celery import Celery
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from backend.config import Settings
from backend.db import make_engine, make_session_factory, session_scope
from backend.documents.storage import UploadStore
from backend.ledger.routing import make_celery

if TYPE_CHECKING:
    from backend.accounts.rate_limits import RateLimiter
    from backend.retrieval.embeddings import Embedder
    from backend.retrieval.vector_cache import VectorCache
    from backend.retrieval.vector_store import VectorStore


@dataclass
class Runtime:
    """Settings plus the clients built from them; heavy parts load on first use."""

    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    celery: Celery
    uploads: UploadStore
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A unit of work: commits on success, rolls back on error."""
        with session_scope(self.sessions) as session:
            yield session

    @cached_property
    def redis(self) -> redis.Redis:
        """Redis for rate limits, heartbeats and caches (not the broker connection)."""
        return redis.Redis.from_url(
            self.settings.cache_redis_url, socket_connect_timeout=3, socket_timeout=5
        )

    @cached_property
    def rate_limiter(self) -> RateLimiter:
        """The per-user hourly limits, counted in Redis."""
        from backend.accounts.rate_limits import RateLimiter

        return RateLimiter(redis=self.redis, settings=self.settings)

    @cached_property
    def embedder(self) -> Embedder:
        """The sentence embedder (workers only; loads the model once per process)."""
        from backend.retrieval.embeddings import load_embedder

        with self._lock:
            return load_embedder(
                cache_dir=self.settings.model_cache_dir,
                quantized=self.settings.embedding_quantized,
                threads=self.settings.embedding_threads or None,
            )

    @cached_property
    def sentence_vectors(self) -> VectorCache:
        """Sentence embeddings remembered across questions (workers only)."""
        from backend.retrieval.vector_cache import VectorCache

        return VectorCache(self.embedder)

    @cached_property
    def vector_store(self) -> VectorStore:
        """The vector store (workers only: the embedded shard allows one process)."""
        from backend.retrieval.stores import open_vector_store

        with self._lock:
            return open_vector_store(self.settings)

    def close(self) -> None:
        """Release connections and the vector store lock."""
        if "vector_store" in self.__dict__:
            self.vector_store.close()
        self.engine.dispose()


def build_runtime(settings: Settings, *, celery: Celery | None = None) -> Runtime:
    """Everything a process needs, from the settings."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.sqlalchemy_url)
    return Runtime(
        settings=settings,
        engine=engine,
        sessions=make_session_factory(engine),
        celery=celery or make_celery(settings),
        uploads=UploadStore(settings.upload_dir),
    )
