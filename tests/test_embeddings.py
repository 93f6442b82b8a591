"""The onnxruntime all-MiniLM-L6-v2 embedder against sentence-transformers' own vectors.

tests/data/minilm_reference.json is written by scripts/make_reference_vectors.py with the real
sentence-transformers library (torch); these tests need only onnxruntime.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from backend.retrieval import embedding_bench, onnx_cache, onnx_graph
from backend.retrieval.embeddings import Embedder, load_embedder
from backend.retrieval.onnx_cache import onnx_model_path

REFERENCE = Path(__file__).parent / "data" / "minilm_reference.json"


@pytest.fixture(scope="module")
def reference() -> dict:
    data = json.loads(REFERENCE.read_text(encoding="utf-8"))
    data["matrix"] = np.asarray(data["vectors"], dtype=np.float32)
    return data


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("onnx-cache")


@pytest.fixture(scope="module")
def fp32(cache_dir: Path) -> Embedder:
    return load_embedder(cache_dir=cache_dir, quantized=False, batch_size=8)


@pytest.fixture(scope="module")
def int8(cache_dir: Path) -> Embedder:
    return load_embedder(cache_dir=cache_dir, quantized=True)


@pytest.fixture(params=["fp32", "int8"])
def embedder(request: pytest.FixtureRequest) -> Iterator[Embedder]:
    yield request.getfixturevalue(request.param)


def test_reference_file_covers_truncation(reference: dict) -> None:
    assert reference["model"] == "sentence-transformers/all-MiniLM-L6-v2"
    assert len(reference["texts"]) == len(reference["vectors"]) >= 20
    assert max(reference["token_counts_untruncated"]) > 256


def test_fp32_matches_sentence_transformers(fp32: Embedder, reference: dict) -> None:
    vectors = fp32.embed(reference["texts"])
    cosines = (vectors * reference["matrix"]).sum(axis=1)
    worst = int(np.argmin(cosines))
    assert cosines[worst] >= 0.999, (reference["texts"][worst][:60], cosines[worst])


def test_int8_finds_what_the_reference_model_finds(int8: Embedder, reference: dict) -> None:
    """What a user notices of quantisation is search: each text's nearest neighbour under the
    int8 model is one of its three nearest under the reference model. Its integer arithmetic is
    exact on every CPU (`test_int8_layers_are_exact_on_this_cpu`), so the bounds do not hang on
    the instruction set."""
    vectors = int8.embed(reference["texts"])
    cosines = (vectors * reference["matrix"]).sum(axis=1)
    assert cosines.min() >= 0.97 and cosines.mean() >= 0.99, cosines
    ours, theirs = vectors @ vectors.T, reference["matrix"] @ reference["matrix"].T
    np.fill_diagonal(ours, -1.0)
    np.fill_diagonal(theirs, -1.0)
    for i, text in enumerate(reference["texts"]):
        nearest = int(np.argmax(ours[i]))
        assert nearest in np.argsort(-theirs[i])[:3], (text[:60], nearest)


def test_int8_layers_are_exact_on_this_cpu() -> None:
    """The quantised weights keep within seven bits, so onnxruntime's uint8 x int8 kernel gives
    the exact integer products on this CPU whatever its instruction set: without VNNI it adds
    two products in 16 bits, which eight-bit weights overflow (and the vectors then differ from
    one machine to another). Activations at the extremes of their range are the worst case."""
    import onnxruntime as ort
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(7)
    weight_q, _ = onnx_graph.quantize_columns(rng.normal(size=(384, 96)).astype(np.float32))
    assert np.abs(weight_q).max() == onnx_graph.WEIGHT_LEVELS
    activations = rng.choice(np.array([0, 1, 254, 255], dtype=np.uint8), size=(32, 384))
    graph = helper.make_graph(
        [helper.make_node(
            "MatMulIntegerToFloat", ["a", "w", "one", "ones", "zero"], ["y"],
            domain="com.microsoft",
        )],
        "dense",
        [helper.make_tensor_value_info("a", TensorProto.UINT8, [32, 384])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [32, 96])],
        [
            numpy_helper.from_array(weight_q, "w"),
            numpy_helper.from_array(np.array(1.0, dtype=np.float32), "one"),
            numpy_helper.from_array(np.ones(96, dtype=np.float32), "ones"),
            numpy_helper.from_array(np.array(128, dtype=np.uint8), "zero"),
        ],
    )  # fmt: skip
    model = helper.make_model(
        graph,
        opset_imports=[
            helper.make_opsetid("", onnx_graph.OPSET),
            helper.make_opsetid("com.microsoft", 1),
        ],
    )
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    (result,) = session.run(None, {"a": activations})
    exact = (activations.astype(np.int64) - 128) @ weight_q.astype(np.int64)
    np.testing.assert_array_equal(result, exact.astype(np.float32))


def test_shape_dtype_and_unit_norm(embedder: Embedder, reference: dict) -> None:
    vectors = embedder.embed(reference["texts"])
    assert embedder.dim == 384
    assert vectors.shape == (len(reference["texts"]), 384)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_empty_input(embedder: Embedder) -> None:
    vectors = embedder.embed([])
    assert vectors.shape == (0, 384)
    assert vectors.dtype == np.float32


def test_rejects_a_bare_string(embedder: Embedder) -> None:
    with pytest.raises(TypeError):
        embedder.embed("not a list")


def test_order_preserved_with_mixed_lengths(embedder: Embedder, reference: dict) -> None:
    texts = reference["texts"]
    # Shuffled, with duplicates, across several internal batches of different widths.
    order = np.random.default_rng(7).permutation(len(texts)).tolist() * 3
    vectors = embedder.embed([texts[i] for i in order])
    expected = embedder.embed(texts)[order]
    cosines = (vectors * expected).sum(axis=1)
    assert cosines.min() > 1 - 1e-5


def test_single_text_equals_same_text_in_big_batch(embedder: Embedder, reference: dict) -> None:
    texts = reference["texts"]
    big = embedder.embed(texts * 4 + embedding_bench.benchmark_sentences(60, 30))
    for index in (0, 3, 5, len(texts) - 1):  # short, tiny, empty and a truncated long text
        alone = embedder.embed([texts[index]])[0]
        assert float(alone @ big[index]) > 1 - 1e-5, texts[index][:40]


def test_long_texts_are_truncated_to_256_tokens(fp32: Embedder) -> None:
    base = "alpha beta gamma delta " * 80  # well over 256 word pieces
    a, b = fp32.embed([base, base + " completely different tail words " * 20])
    assert float(a @ b) > 1 - 1e-6


def test_concurrent_callers_get_the_same_vectors(int8: Embedder, reference: dict) -> None:
    texts = reference["texts"]
    expected = int8.embed(texts)
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda _: int8.embed(texts), range(8)))
    for vectors in results:
        np.testing.assert_allclose(vectors, expected, atol=1e-5)


def test_cached_onnx_file_is_reused(
    cache_dir: Path, fp32: Embedder, int8: Embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    paths = [onnx_model_path(cache_dir, quantized=q) for q in (False, True)]
    before = [(p.stat().st_ino, p.stat().st_mtime_ns) for p in paths]

    def must_not_build(quantized: bool) -> None:
        raise AssertionError(f"rebuilt the {'int8' if quantized else 'fp32'} model")

    monkeypatch.setattr(onnx_cache, "_build_model", must_not_build)
    for quantized in (False, True):
        again = load_embedder(cache_dir=cache_dir, quantized=quantized)
        assert again.embed(["still works"]).shape == (1, 384)
    assert [(p.stat().st_ino, p.stat().st_mtime_ns) for p in paths] == before
    assert sorted(p.name for p in cache_dir.glob("*.onnx")) == sorted(p.name for p in paths)


def test_cache_name_tells_variant_and_weights(cache_dir: Path) -> None:
    fp32_path = onnx_model_path(cache_dir, quantized=False)
    int8_path = onnx_model_path(cache_dir, quantized=True)
    assert "fp32" in fp32_path.name and "int8" in int8_path.name
    assert fp32_path.name.split("-")[-1] != int8_path.name.split("-")[-1]


def test_measure_throughput_reports_figures(int8: Embedder) -> None:
    result = embedding_bench.measure_throughput(int8, sentences=40, words=40)
    assert result["sentences"] == 40
    assert result["sentences_per_second"] > 0
    assert result["seconds"] > 0
    assert result["peak_rss_mb"] > 50


def _build_in_subprocess(cache_dir: str) -> str:
    return str(onnx_cache.ensure_onnx_model(Path(cache_dir), quantized=False))


def test_concurrent_processes_build_one_file(tmp_path: Path) -> None:
    import multiprocessing

    with multiprocessing.get_context("spawn").Pool(3) as pool:
        paths = pool.map(_build_in_subprocess, [str(tmp_path)] * 3)
    assert len(set(paths)) == 1
    assert [p.name for p in tmp_path.glob("*.onnx")] == [Path(paths[0]).name]
    assert load_embedder(cache_dir=tmp_path, quantized=False).embed(["ok"]).shape == (1, 384)
