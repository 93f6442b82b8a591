"""Hostile documents end FAILED in bounded time with a sentence, and leave nothing behind.

Each worker test runs the real in-process worker; limits are made tiny through the settings the
worker reads, so the inputs stay small and fast.
"""

from __future__ import annotations

import logging
import random
import string
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from backend.documents import processing
from backend.documents.ingest import (
    ExtractionError,
    PageText,
    chunk_pages,
    extract,
    markdown_to_text,
)
from backend.documents.ingest.sandbox import extract_isolated
from backend.documents.library import safe_filename
from backend.documents.processing import Deadline, DocumentRejected
from backend.models import Chunk
from backend.qa import pipeline
from backend.retrieval.model_files import count_tokens
from tests import factories

SQUAD_DOCS = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "squad-dev" / "docs"
JAPANESE = (
    "灯台守の日誌によると、嵐は十一月三日の夜に港の防波堤を壊した。\n\n"
    "修理には三か月かかり、漁船は隣の町の港を使った。\n\n"
    "新しい防波堤は石で造られ、翌年の春に完成した。\n"
)


def _chunk_count(rt, document_id: int) -> int:
    with rt.session() as session:
        return int(
            session.scalar(select(func.count(Chunk.id)).where(Chunk.document_id == document_id))
            or 0
        )


def _chunks(rt, document_id: int) -> list[Chunk]:
    with rt.session() as session:
        return list(
            session.scalars(
                select(Chunk).where(Chunk.document_id == document_id).order_by(Chunk.ordinal)
            )
        )


def _nothing_stored(rt, document_id: int) -> bool:
    return (
        _chunk_count(rt, document_id) == 0 and rt.vector_store.count(document_id=document_id) == 0
    )


def _long_word(length: int, seed: int = 7) -> str:
    rng = random.Random(seed)
    return "".join(rng.choice(string.ascii_lowercase) for _ in range(length))


# --- the worker -----------------------------------------------------------------------------


@pytest.mark.usefixtures("worker")
def test_entity_html_over_the_passage_cap_ends_failed(runtime, monkeypatch):
    monkeypatch.setattr(runtime.settings, "max_chunks_per_document", 20, raising=False)
    user = factories.make_user(runtime)
    html = ("<html><body><h1>Ampersands</h1><p>" + "&amp;" * 20_000 + "</p></body></html>").encode()

    doc = factories.upload_and_wait(runtime, user, "amp.html", html)

    assert doc.processing_status == "failed"
    assert doc.processing_error is not None
    assert "would make more than 20 passages" in doc.processing_error
    assert "Traceback" not in doc.processing_error
    assert _nothing_stored(runtime, doc.id)


@pytest.mark.usefixtures("worker")
def test_processing_past_the_time_budget_ends_failed_and_stores_nothing(runtime, monkeypatch):
    if not SQUAD_DOCS.exists():
        pytest.skip("the squad-dev dataset is not beside the project")
    text = "\n\n".join(p.read_text() for p in sorted(SQUAD_DOCS.glob("*.txt")))
    monkeypatch.setattr(runtime.settings, "document_soft_time_limit", 1)
    user = factories.make_user(runtime)

    doc = factories.upload_and_wait(runtime, user, "articles.txt", text.encode())

    assert doc.processing_status == "failed"
    assert doc.processing_error is not None
    assert "The document took longer than 1 s to process" in doc.processing_error
    assert "Traceback" not in doc.processing_error
    assert _nothing_stored(runtime, doc.id)


@pytest.mark.usefixtures("worker")
def test_a_document_of_one_long_word_becomes_bounded_chunks(runtime):
    user = factories.make_user(runtime)
    word = _long_word(20_000)

    doc = factories.upload_and_wait(runtime, user, "word.txt", word.encode())

    assert doc.processing_status == "ready", doc.processing_error
    rows = _chunks(runtime, doc.id)
    assert len(rows) > 10
    for row in rows:
        assert row.token_count == count_tokens(row.text) <= runtime.settings.chunk_max_tokens
        assert len(row.text) <= 10_000
    assert runtime.vector_store.count(document_id=doc.id) == len(rows)


@pytest.mark.usefixtures("worker")
def test_bidi_and_control_characters_are_stripped_from_stored_file_names(runtime):
    user = factories.make_user(runtime)
    name = "\u2066invoice\u202efdp\u200f\u061c\u200b\x85\ufeff.txt\u2069"

    doc = factories.upload_and_wait(runtime, user, name, b"The invoice is due in March.")

    assert doc.filename == "invoicefdp.txt"
    assert doc.processing_status == "ready", doc.processing_error


@pytest.mark.usefixtures("worker")
def test_shift_jis_text_is_ready_and_searchable(runtime):
    if not (SQUAD_DOCS / "Normans.txt").exists():
        pytest.skip("the squad-dev dataset is not beside the project")
    user = factories.make_user(runtime)
    english = factories.upload_and_wait(
        runtime, user, "Normans.txt", (SQUAD_DOCS / "Normans.txt").read_bytes()
    )

    doc = factories.upload_and_wait(runtime, user, "nisshi.txt", JAPANESE.encode("shift_jis"))

    assert english.processing_status == "ready", english.processing_error
    assert doc.processing_status == "ready", doc.processing_error
    assert doc.content_type == "text/plain"
    assert any("防波堤" in row.text for row in _chunks(runtime, doc.id))
    _, passages = pipeline.retrieve(
        sessions=runtime.session,
        settings=runtime.settings,
        embedder=runtime.embedder,
        store=runtime.vector_store,
        user_id=user.id,
        question="防波堤を壊したのは何ですか？",
        document_ids=None,
        limit=5,
    )
    assert passages[0].document_id == doc.id
    assert "嵐は十一月三日の夜に港の防波堤を壊した" in passages[0].text
    # And it is answered: sentences end at 。 and words are matched as character pairs.
    answer = pipeline.answer_text(
        sessions=runtime.session,
        settings=runtime.settings,
        embedder=runtime.embedder,
        sentence_vectors=runtime.sentence_vectors,
        store=runtime.vector_store,
        user_id=user.id,
        question="防波堤を壊したのは何ですか？",
    )
    assert answer.found, answer
    assert answer.text.startswith("灯台守の日誌によると、嵐は十一月三日の夜に港の防波堤を壊した。")
    assert answer.sources[0]["filename"] == "nisshi.txt"


@pytest.mark.usefixtures("worker")
def test_a_rejected_upload_is_one_info_line_without_a_traceback(runtime, caplog):
    user = factories.make_user(runtime)
    caplog.set_level(logging.INFO)

    doc = factories.upload_and_wait(runtime, user, "numbers.txt", b"12345 67890\n" * 20)

    assert doc.processing_status == "failed"
    reason = doc.processing_error
    assert reason and "no readable words" in reason
    about = [r for r in caplog.records if doc.processing_task_id in r.getMessage()]
    failures = [r for r in about if reason in r.getMessage()]
    assert len(failures) == 1, [r.getMessage() for r in about]
    assert failures[0].levelno == logging.INFO
    assert all(r.levelno < logging.WARNING for r in about)
    assert all(r.exc_info is None and r.exc_text is None for r in about)


@pytest.mark.usefixtures("worker")
def test_questions_and_answers_are_not_logged_unless_asked(runtime, caplog, monkeypatch):
    if not (SQUAD_DOCS / "Normans.txt").exists():
        pytest.skip("the squad-dev dataset is not beside the project")
    user = factories.make_user(runtime)
    doc = factories.upload_and_wait(
        runtime, user, "Normans.txt", (SQUAD_DOCS / "Normans.txt").read_bytes()
    )
    assert doc.processing_status == "ready", doc.processing_error
    caplog.set_level(logging.DEBUG)

    question = "Who conquered England in 1066?"
    result = factories.ask_and_wait(runtime, user, question)

    assert result["found"] and "William" in result["answer"]
    messages = [r.getMessage() for r in caplog.records]
    assert not [m for m in messages if question in m or "William" in m]
    timed = [m for m in messages if f"question {result['question_id']}" in m and " ms" in m]
    assert timed, messages

    caplog.clear()
    monkeypatch.setattr(runtime.settings, "log_content", True, raising=False)
    second = "When did the Normans conquer England?"
    factories.ask_and_wait(runtime, user, second)
    assert any(second in r.getMessage() for r in caplog.records)


# --- the parts, without the worker ----------------------------------------------------------


def test_a_single_word_of_200k_characters_is_split_within_the_token_cap():
    word = _long_word(200_000)

    chunks = chunk_pages([PageText(None, word)], count_tokens=count_tokens, overlap_tokens=0)

    assert len(chunks) > 100
    assert "".join(c.text for c in chunks) == word
    for chunk in chunks:
        assert chunk.token_count == count_tokens(chunk.text) <= 160
        assert len(chunk.text) <= 10_000


def test_words_past_the_tokenizer_limit_never_make_a_huge_chunk():
    # Each word is one unknown token to the tokenizer, however long; chunks stay small anyway.
    text = " ".join(_long_word(3_000, seed) for seed in range(300))

    chunks = chunk_pages([PageText(None, text)], count_tokens=count_tokens)

    assert max(len(c.text) for c in chunks) <= 10_000
    assert all(c.token_count == count_tokens(c.text) <= 160 for c in chunks)


def test_chunking_stops_at_the_passage_cap():
    text = "&" * 50_000
    with pytest.raises(ExtractionError, match="would make more than 10 passages"):
        chunk_pages([PageText(None, text)], count_tokens=count_tokens, max_chunks=10)


def test_chunking_checks_the_deadline_as_it_goes():
    calls = []

    class Late(Exception):
        pass

    def check() -> None:
        calls.append(1)
        if len(calls) > 50:
            raise Late

    text = " ".join(f"Sentence number {n} is here." for n in range(5_000))
    with pytest.raises(Late):
        chunk_pages([PageText(None, text)], count_tokens=count_tokens, check=check)


def test_text_that_grows_when_cleaned_is_held_to_the_character_cap():
    # U+FDFA becomes 18 characters under NFKC.
    data = ("\ufdfa " * 20_000).encode()
    with pytest.raises(ExtractionError, match="more than 100,000 characters"):
        extract(data, "grows.txt", max_chars=100_000)


# A guard, not a timing: what these tests read takes a second or less on any machine, and
# minutes or hours if the work grew with the square of the input.
HANG_GUARD_SECONDS = 60


@pytest.mark.parametrize(
    "line",
    [
        " " * 400_000 + "- x",  # two neighbouring whitespace runs in the table-separator rule
        "**a " * 100_000,  # emphasis openers without closers
        "[a" * 200_000,  # link openers without closers
        "<http:" * 70_000,  # autolink openers without closers
        "<!--" * 100_000,  # comments without closers
    ],
    ids=["spaces", "emphasis", "links", "autolinks", "comments"],
)
def test_markdown_stripping_is_linear_on_crafted_lines(line: str):
    """Lines crafted to make naive patterns backtrack over every pair of characters: read
    in about a second (their square would be hours)."""
    started = time.monotonic()
    markdown_to_text(line)
    assert time.monotonic() - started < HANG_GUARD_SECONDS


def test_every_file_type_is_read_in_the_child_process():
    html = b"<html><body><h1>Harbour</h1><p>The storm broke the wall.</p></body></html>"
    result = extract_isolated(html, "page.html", timeout=60)
    assert result.content_type == "text/html"
    assert "The storm broke the wall." in result.pages[0].text
    markdown = b"# Harbour\n\nThe **storm** broke the wall.\n"
    assert (
        "The storm broke the wall." in extract_isolated(markdown, "a.md", timeout=60).pages[0].text
    )


def test_reading_html_is_stopped_at_the_extraction_timeout(settings):
    # Python's HTMLParser takes quadratic time over unclosed comments: hours for this file.
    html = b"<html><body><p>Harbour.</p>" + b"<!--" * 200_000
    quick = settings.model_copy(update={"extraction_timeout_seconds": 1})
    started = time.monotonic()
    with pytest.raises(ExtractionError, match="took longer than 1 seconds"):
        processing.read_document(html, "slow.html", quick)
    assert time.monotonic() - started < HANG_GUARD_SECONDS


def test_reading_gets_no_more_than_the_document_budget_left(settings):
    html = b"<html><body><p>Harbour.</p>" + b"<!--" * 200_000
    started = time.monotonic()
    with pytest.raises(DocumentRejected, match="The document took longer than 1 s to process"):
        processing.read_document(html, "slow.html", settings, deadline=Deadline(1))
    assert time.monotonic() - started < HANG_GUARD_SECONDS


@pytest.mark.parametrize(
    ("text", "encoding"),
    [
        (JAPANESE, "shift_jis"),
        (JAPANESE, "euc_jp"),
        ("港口的海堤在十一月受损，灯塔看守人的日志记录了这一切。", "gb18030"),
        ("Привет, мир! Это проверка кодировки текста на русском языке.", "cp1251"),
        ("L'\u00e9t\u00e9 dernier, nous sommes all\u00e9s \u00e0 la plage.", "cp1252"),
    ],
    ids=["shift_jis", "euc_jp", "gb18030", "cp1251", "cp1252"],
)
def test_legacy_encodings_are_detected(text: str, encoding: str):
    extracted = extract(text.encode(encoding), "notes.txt")
    assert extracted.pages[0].text == extract(text.encode(), "notes.txt").pages[0].text


def test_safe_filename_keeps_joiners_and_drops_bidi_controls():
    assert safe_filename("a\u202eb\u2067c\u2028d\x9b.txt") == "abcd.txt"
    # ZWJ holds emoji sequences and some scripts together: it is kept.
    assert safe_filename("family \U0001f468\u200d\U0001f469.txt") == (
        "family \U0001f468\u200d\U0001f469.txt"
    )
    assert safe_filename("\u202e\u200f") == "document"
