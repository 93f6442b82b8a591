"""From token states to vectors: the whole text's (as sentence-transformers pools it) and its
sentences' (the same pooling over each sentence's tokens, read from the text's own run)."""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

# A character span [start, end) of a text.
Span = tuple[int, int]


@dataclass(frozen=True)
class TokenStates:
    """A text's token states as unit vectors (n, dim), with each token's character span."""

    vectors: np.ndarray
    offsets: list[Span]

    def match(
        self,
        question: np.ndarray,
        spans: Sequence[Span],
        weights: np.ndarray | None = None,
    ) -> np.ndarray:
        """Late interaction: for each span, the mean over the question's tokens of their best
        cosine with a token inside the span (0 for a span with no token); `weights`, one per
        question token, make it a weighted mean."""
        starts = np.array([a for a, _ in self.offsets])
        ends = np.array([b for _, b in self.offsets])
        out = np.zeros(len(spans), dtype=np.float32)
        if not len(self.offsets) or not len(question):
            return out
        share = np.full(len(question), 1 / len(question)) if weights is None else weights
        share = share / max(float(share.sum()), 1e-12)
        similarity = question @ self.vectors.T  # (question tokens, text tokens)
        for row, (start, end) in enumerate(spans):
            inside = (starts >= start) & (ends <= end) & (ends > starts)
            if inside.any():
                out[row] = float(similarity[:, inside].max(axis=1) @ share)
        return out


def mean_pool_normalize(hidden: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Attention-mask weighted token mean, then L2 normalisation, as sentence-transformers."""
    weights = mask.astype(np.float32)[:, :, None]
    summed = (hidden * weights).sum(axis=1)
    # Same clamps as sentence-transformers' Pooling and torch's F.normalize.
    pooled = summed / np.maximum(weights.sum(axis=1), 1e-9)
    norms = np.linalg.norm(pooled, axis=1, keepdims=True)
    return (pooled / np.maximum(norms, 1e-12)).astype(np.float32)


def pool_spans(
    hidden: np.ndarray, offsets: Sequence[tuple[int, int]], spans: Sequence[Span]
) -> np.ndarray:
    """One unit vector per character span: the mean of the states of the tokens inside it
    (special tokens, which cover no characters, left out). Reading sentences from the passage's
    run costs no extra encoder work, and each sentence's tokens have seen their neighbours, so
    "He moved to New York" knows who "he" is. A span with no token gets a zero row."""
    starts = np.array([a for a, _ in offsets])
    ends = np.array([b for _, b in offsets])
    real = ends > starts
    out = np.zeros((len(spans), hidden.shape[-1]), dtype=np.float32)
    for row, (start, end) in enumerate(spans):
        inside = real & (starts >= start) & (ends <= end)
        if inside.any():
            vector = hidden[: len(offsets)][inside].mean(axis=0)
            out[row] = vector / max(float(np.linalg.norm(vector)), 1e-12)
    return out


def pack_vectors(vectors: np.ndarray) -> bytes:
    """Vectors as stored with a chunk: float16, row after row (half the bytes; cosines move
    by less than 0.001)."""
    return np.asarray(vectors, dtype="<f2").tobytes()


# Token states as stored with a chunk: a format byte, the dimension and the token count, then
# each token's character span (two uint32), its scale (float16) and its vector (int8).
TOKEN_STATES_FORMAT = 1
_TOKEN_HEADER = struct.Struct("<BHI")


def pack_token_states(states: TokenStates) -> bytes:
    """A passage's token states as stored with its chunk: each unit vector in int8 with its own
    scale (about 390 bytes a token, an eighth of float32), so the token match reads the passage
    at question time without an encoder run. Matches move by less than 0.01."""
    vectors = np.asarray(states.vectors, dtype=np.float32)
    count, dim = vectors.shape if vectors.ndim == 2 else (0, 0)
    scale = np.maximum(np.abs(vectors).max(axis=1) if count else np.zeros(0), 1e-12) / 127
    quantized = np.round(vectors / scale[:, None]).astype(np.int8) if count else vectors
    offsets = np.asarray(states.offsets, dtype="<u4").reshape(count, 2)
    return b"".join(
        (
            _TOKEN_HEADER.pack(TOKEN_STATES_FORMAT, dim, count),
            offsets.tobytes(),
            scale.astype("<f2").tobytes(),
            np.asarray(quantized, dtype=np.int8).tobytes(),
        )
    )


def unpack_token_states(data: bytes) -> TokenStates | None:
    """Stored token states back as unit vectors with their spans; None for data in a format
    this version does not read (the passage is then read by the encoder, as before)."""
    if len(data) < _TOKEN_HEADER.size:
        return None
    version, dim, count = _TOKEN_HEADER.unpack_from(data)
    at = _TOKEN_HEADER.size
    if version != TOKEN_STATES_FORMAT or len(data) != at + count * (8 + 2 + dim):
        return None
    offsets = np.frombuffer(data, dtype="<u4", count=2 * count, offset=at).reshape(count, 2)
    at += 8 * count
    scale = np.frombuffer(data, dtype="<f2", count=count, offset=at).astype(np.float32)
    at += 2 * count
    quantized = np.frombuffer(data, dtype=np.int8, count=count * dim, offset=at)
    vectors = quantized.reshape(count, dim).astype(np.float32) * scale[:, None]
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    spans = [(int(a), int(b)) for a, b in offsets]
    return TokenStates(vectors / np.maximum(norms, 1e-12), spans)


def unpack_vectors(data: bytes, dim: int) -> np.ndarray:
    """The stored rows back as float32, one per span."""
    return np.frombuffer(data, dtype="<f2").reshape(-1, dim).astype(np.float32)
