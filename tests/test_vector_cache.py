"""Sentence vectors are computed once and reused, in order, within a bounded size."""

from __future__ import annotations

import numpy as np

from backend.retrieval.vector_cache import VectorCache


def test_cached_vectors_equal_fresh_ones_and_are_computed_once(runtime):
    cache = VectorCache(runtime.embedder, max_items=3)
    texts = ["The Rhine flows north.", "Oxygen is element eight.", "The Rhine flows north."]

    first = cache.embed(texts)
    assert cache.misses == 2 and cache.hits == 1
    np.testing.assert_allclose(first, runtime.embedder.embed(texts), atol=1e-5)

    again = cache.embed(list(reversed(texts)))
    assert cache.misses == 2 and cache.hits == 4
    np.testing.assert_allclose(again, first[::-1], atol=1e-6)


def test_least_recent_texts_are_dropped_past_the_bound(runtime):
    cache = VectorCache(runtime.embedder, max_items=2)
    cache.embed(["one sentence here.", "two sentences here."])
    cache.embed(["three sentences here."])
    cache.embed(["two sentences here."])
    assert cache.hits == 1
    cache.embed(["one sentence here."])
    assert cache.misses == 4
    assert cache.embed([]).shape == (0, 384)
