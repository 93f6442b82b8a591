"""The encoder's ONNX file: built once from the shipped safetensors weights (see ``onnx_graph``),
optionally quantised to int8 on a fixed calibration set, and cached on disk under a name that
changes with the weights and the build recipe. Processes building at once wait for each other."""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import onnx

from backend.retrieval.calibration import calibrate, load_weights
from backend.retrieval.embedding_bench import benchmark_sentences
from backend.retrieval.model_files import MODEL_NAME, load_tokenizer, model_dir
from backend.retrieval.onnx_graph import (
    GRAPH_VERSION,
    SMOOTH_ALPHA,
    WEIGHT_LEVELS,
    build_bert_graph,
)

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


def _calibration_texts() -> list[str]:
    """The fixed calibration set: hand-written texts plus generated ones of several lengths."""
    generated = [benchmark_sentences(4, words, seed=words) for words in (8, 40, 200)]
    return [*_CALIBRATION_TEXTS, *(text for group in generated for text in group)]


def _recipe(quantized: bool) -> str:
    """How the ONNX file is built from the weights: what changes its vectors."""
    recipe = f"graph{GRAPH_VERSION}"
    if quantized:
        recipe += f":alpha{SMOOTH_ALPHA}:levels{WEIGHT_LEVELS}:{_calibration_texts()}"
    return recipe


def _weights_key(folder: Path, quantized: bool) -> str:
    """Short hash naming a cached ONNX file; changes when the weights or the build recipe change."""
    stat = (folder / "model.safetensors").stat()
    recipe = f"{stat.st_size}:{stat.st_mtime_ns}:{_recipe(quantized)}"
    return hashlib.sha256(recipe.encode()).hexdigest()[:12]


def encoder_version(quantized: bool) -> str:
    """The encoder that makes the vectors, as stored with each document: the model, its variant
    and a hash of the build recipe ("all-MiniLM-L6-v2-int8-3f0c9a1e"). Another version gives
    other vectors, so documents stored under one are embedded again (`prepare-vectors`)."""
    variant = "int8" if quantized else "fp32"
    return f"{MODEL_NAME}-{variant}-{hashlib.sha256(_recipe(quantized).encode()).hexdigest()[:8]}"


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
