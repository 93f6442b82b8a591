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
        also: Sequence[Sequence[Span]] | None = None,
    ) -> np.ndarray:
        """Late interaction: for each span, the mean over the question's tokens of their best
        cosine with a token inside the span (0 for a span with no token); `weights`, one per
        question token, make it a weighted mean; `also[row]`, more spans whose tokens count
        as the row's own (a table's row reads with the sentence introducing the table)."""
        return self.match_lent(question, spans, weights, also)[0]

    def match_lent(
        self,
        question: np.ndarray,
        spans: Sequence[Span],
        weights: np.ndarray | None = None,
        also: Sequence[Sequence[Span]] | None = None,
        lent: Sequence[Sequence[Span]] | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """`match`, and the same with `lent[row]`'s tokens counted as the row's own too (a
        section's sentence reads with the section's heading): (without, with), from one
        comparison of the question's tokens with the text's."""
        out = np.zeros(len(spans), dtype=np.float32)
        if not len(self.offsets) or not len(question):
            return out, out.copy()
        with_lent = np.zeros(len(spans), dtype=np.float32)
        starts = np.array([a for a, _ in self.offsets])
        ends = np.array([b for _, b in self.offsets])
        share = np.full(len(question), 1 / len(question)) if weights is None else weights
        share = share / max(float(share.sum()), 1e-12)
        similarity = question @ self.vectors.T  # (question tokens, text tokens)

        def inside(ranges: Sequence[Span]) -> np.ndarray:
            mask = np.zeros(len(starts), dtype=bool)
            for a, b in ranges:
                mask |= (starts >= a) & (ends <= b) & (ends > starts)
            return mask

        for row, span in enumerate(spans):
            own = inside([span, *(also[row] if also is not None else ())])
            best = similarity[:, own].max(axis=1) if own.any() else None
            if best is not None:
                out[row] = float(best @ share)
            extra = inside(lent[row]) if lent is not None else own[:0]
            if extra.any():
                borrowed = similarity[:, extra].max(axis=1)
                both = borrowed if best is None else np.maximum(best, borrowed)
                with_lent[row] = float(both @ share)
            else:
                with_lent[row] = out[row]
        return out, with_lent

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
# each token's character span (two uint32) and its scale (float16), then the vectors. Format 2
# keeps each component in four bits (two to a byte, levels -7..7 of the token's scale, about
# 200 bytes a token); format 1, written before, in eight (about 390 bytes a token). Both are
# read; `operations.token_state_upkeep.repack_token_states` turns format 1 into format 2.
TOKEN_STATES_FORMAT = 2
INT8_TOKEN_STATES = 1
_TOKEN_HEADER = struct.Struct("<BHI")
_INT4_LEVELS = 7


def pack_token_states(states: TokenStates) -> bytes:
    """A passage's token states as stored with its chunk, so the token match reads the passage
    at question time without an encoder run: each unit vector in four bits a component with
    its own scale (a sixteenth of float32). A stored token keeps a cosine of about 0.98 with
    its state; a question's matches come out some 0.005 lower, rankings as before."""
    vectors = np.asarray(states.vectors, dtype=np.float32)
    count, dim = vectors.shape if vectors.ndim == 2 else (0, 0)
    vectors = np.pad(vectors.reshape(count, dim), ((0, 0), (0, dim % 2)))
    scale = np.maximum(np.abs(vectors).max(axis=1, initial=0.0), 1e-12) / _INT4_LEVELS
    levels = np.clip(np.round(vectors / scale[:, None]), -_INT4_LEVELS, _INT4_LEVELS)
    nibbles = (levels + 8).astype(np.uint8).reshape(count, (dim + 1) // 2, 2)
    packed = nibbles[..., 0] | (nibbles[..., 1] << 4)
    return _packed(TOKEN_STATES_FORMAT, states, dim, scale, packed.astype(np.uint8))


def pack_int8_token_states(states: TokenStates) -> bytes:
    """The same in format 1 (eight bits a component), as stored before format 2."""
    vectors = np.asarray(states.vectors, dtype=np.float32)
    count, dim = vectors.shape if vectors.ndim == 2 else (0, 0)
    scale = np.maximum(np.abs(vectors).max(axis=1) if count else np.zeros(0), 1e-12) / 127
    quantized = np.round(vectors / scale[:, None]) if count else vectors
    return _packed(INT8_TOKEN_STATES, states, dim, scale, quantized.astype(np.int8))


def _packed(
    version: int, states: TokenStates, dim: int, scale: np.ndarray, body: np.ndarray
) -> bytes:
    """Header, spans, scales, then the quantised vectors, as `unpack_token_states` reads them."""
    count = len(scale)
    return b"".join(
        (
            _TOKEN_HEADER.pack(version, dim, count),
            np.asarray(states.offsets, dtype="<u4").reshape(count, 2).tobytes(),
            scale.astype("<f2").tobytes(),
            body.tobytes(),
        )
    )


def token_states_format(data: bytes) -> int | None:
    """The stored token states' format byte (None for no data)."""
    return data[0] if data else None


def unpack_token_states(data: bytes) -> TokenStates | None:
    """Stored token states back as unit vectors with their spans; None for data in a format
    this version does not read (the passage is then read by the encoder, as before)."""
    if len(data) < _TOKEN_HEADER.size:
        return None
    version, dim, count = _TOKEN_HEADER.unpack_from(data)
    at = _TOKEN_HEADER.size
    width = {INT8_TOKEN_STATES: dim, TOKEN_STATES_FORMAT: (dim + 1) // 2}.get(version)
    if width is None or len(data) != at + count * (8 + 2 + width):
        return None
    offsets = np.frombuffer(data, dtype="<u4", count=2 * count, offset=at).reshape(count, 2)
    at += 8 * count
    scale = np.frombuffer(data, dtype="<f2", count=count, offset=at).astype(np.float32)
    at += 2 * count
    if version == INT8_TOKEN_STATES:
        levels = np.frombuffer(data, dtype=np.int8, count=count * dim, offset=at)
        vectors = levels.reshape(count, dim).astype(np.float32)
    else:
        packed = np.frombuffer(data, dtype=np.uint8, count=count * width, offset=at)
        nibbles = np.empty((count * width, 2), dtype=np.int8)
        nibbles[:, 0] = packed & 0x0F
        nibbles[:, 1] = packed >> 4
        vectors = (nibbles.reshape(count, 2 * width)[:, :dim] - 8).astype(np.float32)
    vectors *= scale[:, None]
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    spans = list(zip(offsets[:, 0].tolist(), offsets[:, 1].tolist(), strict=True))
    return TokenStates(vectors / np.maximum(norms, 1e-12), spans)


def unpack_vectors(data: bytes, dim: int) -> np.ndarray:
    """The stored rows back as float32, one per span."""
    return np.frombuffer(data, dtype="<f2").reshape(-1, dim).astype(np.float32)
