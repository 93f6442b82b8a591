"""Sentence embeddings from all-MiniLM-L6-v2 on onnxruntime, with no torch at run time.

The ONNX graph is built once from the shipped safetensors weights (see ``onnx_graph``), cached on
disk, and optionally quantised to int8. ``Embedder.embed`` reproduces sentence-transformers'
output for this model: attention-mask weighted mean pooling, then L2 normalisation.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import random
import resource
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import onnxruntime as ort
from tokenizers import Encoding, Tokenizer

from backend.retrieval.calibration import calibrate, load_weights
from backend.retrieval.model_files import load_tokenizer, model_dir
from backend.retrieval.onnx_graph import GRAPH_VERSION, SMOOTH_ALPHA, build_bert_graph
from backend.retrieval.pooling import Span, TokenStates, mean_pool_normalize, pool_spans

MODEL_NAME = "all-MiniLM-L6-v2"
EMBEDDING_DIM = 384
# Padded tokens per encoder run; caps a batch of 64 texts of 256 tokens to 32 of them.
MAX_BATCH_TOKENS = 8192

# Texts whose activations set the int8 model's smoothing scales. BERT's outlier channels are
# the same for any input, so a small varied set is enough; it is part of the cache key.
_CALIBRATION_TEXTS = (
    "",
    "ok",
    "Why was my card declined?",
    "Summarise the indemnity clause in section 9.",
    "The committee approved the 2025 budget of EUR 3.2 million after a two-hour debate.",
    "Photosynthesis converts light energy into chemical energy stored in glucose molecules.",
    "Il pleut depuis ce matin, mais le marché reste ouvert jusqu'à 18 h.",
    "Error 503: upstream timed out (retry in 30s) — see logs/api-2024-06-01.txt",
)

try:  # POSIX only; elsewhere concurrent builders just race and the last os.replace wins.
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None  # type: ignore[assignment]


class Embedder:
    """Turns texts into L2-normalised 384-d vectors; safe to share between threads."""

    def __init__(
        self,
        session: ort.InferenceSession,
        tokenizer: Tokenizer,
        *,
        name: str,
        batch_size: int = 64,
    ) -> None:
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        self.session = session
        self.tokenizer = tokenizer
        self.name = name
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


def _calibration_texts() -> list[str]:
    """The fixed calibration set: hand-written texts plus generated ones of several lengths."""
    generated = [benchmark_sentences(4, words, seed=words) for words in (8, 40, 200)]
    return [*_CALIBRATION_TEXTS, *(text for group in generated for text in group)]


def _weights_key(folder: Path, quantized: bool) -> str:
    """Short hash naming a cached ONNX file; changes when the weights or the build recipe change."""
    stat = (folder / "model.safetensors").stat()
    recipe = f"{stat.st_size}:{stat.st_mtime_ns}:graph{GRAPH_VERSION}"
    if quantized:
        recipe += f":alpha{SMOOTH_ALPHA}:{_calibration_texts()}"
    return hashlib.sha256(recipe.encode()).hexdigest()[:12]


def onnx_model_path(cache_dir: Path, *, quantized: bool) -> Path:
    """Where the cached ONNX file for the installed weights lives (it may not exist yet)."""
    variant = "int8" if quantized else "fp32"
    return cache_dir / f"{MODEL_NAME}-{variant}-{_weights_key(model_dir(), quantized)}.onnx"


@contextlib.contextmanager
def _build_lock(cache_dir: Path) -> Iterator[None]:
    """Serialise builds between processes so only one of them spends the time and memory."""
    if fcntl is None:  # pragma: no cover
        yield
        return
    with open(cache_dir / ".build.lock", "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _temp_path(target: Path) -> Path:
    """A unique sibling of target, so os.replace stays on one filesystem and is atomic."""
    return target.with_name(f".{target.stem}.{os.getpid()}.{os.urandom(4).hex()}.tmp.onnx")


def _write_atomically(target: Path, write: Callable[[Path], None]) -> None:
    """Call write(temp_path), then move the finished file into place in one step."""
    temp = _temp_path(target)
    try:
        write(temp)
        os.replace(temp, target)
    finally:
        temp.unlink(missing_ok=True)


def _build_model(quantized: bool) -> onnx.ModelProto:
    """The fp32 encoder graph, or the int8 one calibrated on _calibration_texts()."""
    weights, config = load_weights(model_dir())
    if not quantized:
        return build_bert_graph(weights, config)
    # One text per run, so padding rows do not enter the activation statistics.
    feeds = []
    for encoding in load_tokenizer(truncate=True).encode_batch(_calibration_texts()):
        ids = np.array([encoding.ids], dtype=np.int64)
        feeds.append({"input_ids": ids, "attention_mask": np.ones_like(ids)})
    return build_bert_graph(weights, config, act_max=calibrate(weights, config, feeds))


def ensure_onnx_model(cache_dir: Path, *, quantized: bool = True) -> Path:
    """Build the ONNX file into cache_dir unless it is already there; return its path."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    target = onnx_model_path(cache_dir, quantized=quantized)
    if target.is_file():
        return target
    with _build_lock(cache_dir):
        if target.is_file():  # another process finished it while we waited
            return target
        model = _build_model(quantized)
        _write_atomically(target, lambda temp: onnx.save_model(model, str(temp)))
    return target


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
    )


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
