"""Generated sentences for the encoder: the int8 model's calibration set draws on them, and
`make bench` times the embedder on them."""

from __future__ import annotations

import random
import resource
import time
from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np
from tokenizers import Tokenizer


class Embedder(Protocol):
    """What the benchmark times (`embeddings.Embedder`)."""

    name: str
    batch_size: int
    tokenizer: Tokenizer

    def embed(self, texts: Sequence[str]) -> np.ndarray: ...

_WORDS = (
    "account balance contract clause document engine filter garden harbor invoice journal kernel "
    "ledger market network office payment quarter revenue server ticket update vendor window "
    "yield zone analyst budget customer delivery estimate forecast growth history index lawyer "
    "meeting notice option policy quality region schedule tenant usage value warranty storage "
    "river mountain planet signal battery theory museum recipe travel weather license summary "
    "review audit backup cluster deploy latency memory packet query replica shard token vector"
).split()


def benchmark_sentences(count: int, words: int, seed: int = 1234) -> list[str]:
    """Deterministic pseudo-random sentences of `words` words each, from a varied word list."""
    rng = random.Random(seed)
    return [
        " ".join(rng.choice(_WORDS) for _ in range(words)).capitalize() + "." for _ in range(count)
    ]


def measure_throughput(
    embedder: Embedder, *, sentences: int = 2000, words: int = 40
) -> dict[str, Any]:
    """Time embedding `sentences` generated sentences; sentences/s, seconds and peak RSS."""
    texts = benchmark_sentences(sentences, words)
    embedder.embed(texts[: embedder.batch_size])  # warm-up: first run allocates arenas
    start = time.perf_counter()
    vectors = embedder.embed(texts)
    seconds = time.perf_counter() - start
    tokens = sum(len(e.ids) for e in embedder.tokenizer.encode_batch(texts))
    # ru_maxrss is in KiB on Linux (bytes on macOS); this service runs on Linux.
    peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "model": embedder.name,
        "sentences": len(vectors),
        "words_per_sentence": words,
        "tokens": tokens,
        "seconds": round(seconds, 3),
        "sentences_per_second": round(len(vectors) / seconds, 1),
        "peak_rss_mb": round(peak_rss_mb, 1),
    }
