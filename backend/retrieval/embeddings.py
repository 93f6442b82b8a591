"""Sentence embeddings from all-MiniLM-L6-v2 on onnxruntime, with no torch at run time.

The ONNX graph is built once from the shipped safetensors weights and cached on disk, optionally
quantised to int8 (see ``onnx_cache``). ``Embedder.embed`` reproduces sentence-transformers'
output for this model: attention-mask weighted mean pooling, then L2 normalisation.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import onnxruntime as ort
from tokenizers import Encoding, Tokenizer

from backend.retrieval.lexical import LEXICAL_VERSION
from backend.retrieval.model_files import MODEL_NAME, load_tokenizer
from backend.retrieval.onnx_cache import encoder_version, ensure_onnx_model
from backend.retrieval.pooling import Span, TokenStates, mean_pool_normalize, pool_spans

EMBEDDING_DIM = 384
# Padded tokens per encoder run; caps a batch of 64 texts of 256 tokens to 32 of them.
MAX_BATCH_TOKENS = 8192


class Embedder:
    """Turns texts into L2-normalised 384-d vectors; safe to share between threads."""

    def __init__(
        self,
        session: ort.InferenceSession,
        tokenizer: Tokenizer,
        *,
        name: str,
        batch_size: int = 64,
        version: str | None = None,
    ) -> None:
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        self.session = session
        self.tokenizer = tokenizer
        self.name = name
        # What made the vectors (`vectors_version`), stored with each document.
        self.version = version or name
        self.dim: int = EMBEDDING_DIM
        self.batch_size = batch_size

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Embed texts into a float32 (len(texts), 384) array of unit vectors, in input order."""
        return self.embed_with_spans(texts)[0]

    def embed_with_spans(
        self, texts: Sequence[str], spans: Sequence[Sequence[Span]] | None = None
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """Each text's vector and, from the same encoder run, one vector per given character
        span of it (its sentences): the mean of the span's token states in the context of the
        whole text, normalised. A span with no token in the text's window gets a zero row."""
        vectors, parts, _ = self._read(texts, spans, keep_states=False)
        return vectors, parts

    def read_passages(
        self, texts: Sequence[str], spans: Sequence[Sequence[Span]]
    ) -> tuple[np.ndarray, list[np.ndarray], list[TokenStates]]:
        """What processing stores of each passage, from one encoder run: its vector, its
        sentences' vectors (as `embed_with_spans`) and its token states (as `token_states`)."""
        vectors, parts, states = self._read(texts, spans, keep_states=True)
        return vectors, parts, [s for s in states if s is not None]

    def _read(
        self,
        texts: Sequence[str],
        spans: Sequence[Sequence[Span]] | None,
        *,
        keep_states: bool,
    ) -> tuple[np.ndarray, list[np.ndarray], list[TokenStates | None]]:
        if isinstance(texts, str):
            raise TypeError("embed() takes a sequence of texts, not a single string")
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        wanted = spans if spans is not None else [()] * len(texts)
        parts = [np.zeros((len(s), self.dim), dtype=np.float32) for s in wanted]
        states: list[TokenStates | None] = [None] * len(texts)
        if not texts:
            return out, parts, states
        encodings = self.tokenizer.encode_batch(list(texts))
        lengths = [len(e.ids) for e in encodings]
        # Sorting by length keeps texts of similar length together, so little padding is computed.
        order = np.argsort(lengths, kind="stable")
        start = 0
        while start < len(order):
            # Long texts get fewer rows per batch: attention memory grows with rows * width^2.
            width = lengths[order[min(start + self.batch_size, len(order)) - 1]]
            rows = order[start : start + max(1, min(self.batch_size, MAX_BATCH_TOKENS // width))]
            batch = [encodings[i] for i in rows]
            hidden, mask = self._run(batch)
            out[rows] = mean_pool_normalize(hidden, mask)
            for at, row in enumerate(rows):
                if wanted[row]:
                    parts[row] = pool_spans(hidden[at], batch[at].offsets, wanted[row])
                if keep_states:
                    states[row] = _unit_states(hidden[at], batch[at])
            start += len(rows)
        return out, parts, states

    def token_states(self, texts: Sequence[str]) -> list[TokenStates]:
        """Each text's token states from one encoder run, as unit vectors, with each token's
        character span (special tokens left out): what late interaction compares."""
        if not texts:
            return []
        encodings = self.tokenizer.encode_batch(list(texts))
        hidden, _ = self._run(encodings)
        return [_unit_states(hidden[row], enc) for row, enc in enumerate(encodings)]

    def encode_question(self, text: str) -> tuple[np.ndarray, TokenStates]:
        """A question's vector (as `embed` gives it) and its token states (as `token_states`
        gives them), from one encoder run."""
        encodings = self.tokenizer.encode_batch([text])
        hidden, mask = self._run(encodings)
        return mean_pool_normalize(hidden, mask)[0], _unit_states(hidden[0], encodings[0])

    def _run(self, encodings: list[Encoding]) -> tuple[np.ndarray, np.ndarray]:
        """One padded batch through the encoder: token states and the attention mask."""
        width = max(len(e.ids) for e in encodings)
        ids = np.zeros((len(encodings), width), dtype=np.int64)
        mask = np.zeros((len(encodings), width), dtype=np.int64)
        for row, enc in enumerate(encodings):
            ids[row, : len(enc.ids)] = enc.ids
            mask[row, : len(enc.ids)] = 1
        (hidden,) = self.session.run(
            ["last_hidden_state"], {"input_ids": ids, "attention_mask": mask}
        )
        return np.asarray(hidden, dtype=np.float32), mask


def _unit_states(hidden: np.ndarray, encoding: Encoding) -> TokenStates:
    """One text's token states (special tokens left out) as unit vectors with their spans."""
    keep = [i for i, special in enumerate(encoding.special_tokens_mask) if not special]
    states = hidden[keep]
    norms = np.linalg.norm(states, axis=1, keepdims=True)
    offsets = [encoding.offsets[i] for i in keep]
    return TokenStates(states / np.maximum(norms, 1e-12), offsets)


def available_cores() -> int:
    """CPU cores this process may run on (respects container CPU affinity)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


def open_session(path: Path, threads: int | None = None) -> ort.InferenceSession:
    """A CPU onnxruntime session with all graph optimisations and `threads` intra-op threads."""
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.intra_op_num_threads = threads or available_cores()
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def vectors_version(quantized: bool) -> str:
    """What makes a document's vectors, as stored with it: the dense encoder
    (`onnx_cache.encoder_version`) and the BM25 terms (`lexical.LEXICAL_VERSION`). Documents
    whose vectors another version made are embedded again (`prepare-vectors`)."""
    return f"{encoder_version(quantized)}+{LEXICAL_VERSION}"


def load_embedder(
    *,
    cache_dir: Path,
    quantized: bool = True,
    threads: int | None = None,
    batch_size: int = 64,
) -> Embedder:
    """Build (once, cached in cache_dir) and open the all-MiniLM-L6-v2 embedder."""
    path = ensure_onnx_model(Path(cache_dir), quantized=quantized)
    variant = "int8" if quantized else "fp32"
    return Embedder(
        open_session(path, threads),
        load_tokenizer(truncate=True),
        name=f"{MODEL_NAME}-{variant}",
        batch_size=batch_size,
        version=vectors_version(quantized),
    )
