"""A bounded LRU of sentence vectors: the same passages answer many questions, so their
sentences are embedded once per worker process instead of once per question."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import Protocol

import numpy as np


class TextEmbedder(Protocol):
    def embed(self, texts: Sequence[str]) -> np.ndarray: ...


class VectorCache:
    """Embeds through `embedder`, remembering up to `max_items` texts (least recent dropped)."""

    def __init__(self, embedder: TextEmbedder, max_items: int = 50_000) -> None:
        self.embedder = embedder
        self.max_items = max_items
        self._items: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Vectors for the texts, in order; only texts not seen recently are computed."""
        found: dict[str, np.ndarray] = {}
        with self._lock:
            for text in texts:
                vector = self._items.get(text)
                if vector is not None:
                    self._items.move_to_end(text)
                    found[text] = vector
        missing = list(dict.fromkeys(t for t in texts if t not in found))
        if missing:
            for text, vector in zip(missing, self.embedder.embed(missing), strict=True):
                found[text] = vector
            with self._lock:
                for text in missing:
                    self._items[text] = found[text]
                while len(self._items) > self.max_items:
                    self._items.popitem(last=False)
        with self._lock:
            self.hits += len(texts) - len(missing)
            self.misses += len(missing)
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        return np.stack([found[t] for t in texts])
