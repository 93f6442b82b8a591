"""The vector store scale benchmark, run small: every size is measured, the figures are sane
and one user's queries only ever return that user's documents."""

from __future__ import annotations

from backend.tools.scale_bench import Corpus, format_scale, run_scale, vocabulary


def test_corpus_is_deterministic_and_readable() -> None:
    words = vocabulary()
    assert len(words) == len(set(words)) == 5_000
    assert vocabulary() == words
    first, again = Corpus(users=5, chunks=3, seed=1), Corpus(users=5, chunks=3, seed=1)
    points = first.points(7)
    assert [p.text for p in points] == [p.text for p in again.points(7)]
    assert len(points) == 3 and {p.user_id for p in points} == {first.owner(7)} == {2}
    assert all(p.sparse is not None and p.sparse.indices for p in points)
    assert len(first.question().split()) == 6


def test_small_scale_run_reports_every_size_and_keeps_tenants_apart() -> None:
    report = run_scale(
        sizes=(1_000, 2_400), users=20, chunks_per_document=2, queries=30, asks=5, seed=3
    )

    assert [row["points"] for row in report["sizes"]] == [1_000, 2_400]
    for row in report["sizes"]:
        assert row["documents"] == row["points"] // 2
        assert row["user_points"] == row["points"] // 20
        assert row["points_per_s"] > 0 and row["last_documents_ms"] > 0
        assert row["rss_mb"] > 0
        for key in ("dense", "hybrid", "embed_hybrid"):
            figures = row[key]
            assert 0 < figures["p50_ms"] <= figures["p95_ms"], key
            assert figures["hits"] > 0
            assert figures["foreign_hits"] == 0, f"{key} returned another user's documents"
    ingest = report["ingest"]
    assert ingest["early_ms"] > 0 and ingest["late_ms"] > 0 and ingest["ratio"] > 0

    table = format_scale(report)
    assert "2,400" in table and "ratio" in table
    assert "0 from other users' documents" in table
