"""Upload -> extract -> chunk -> embed -> Qdrant; ask -> retrieve -> answer; on a real worker."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from backend.documents import library, processing
from backend.errors import InvalidInput, NotFound, PermissionDenied
from backend.ledger import task_records
from backend.models import Chunk, Question, TaskRecord
from backend.qa.answering import NOT_FOUND
from tests import factories, pdfs

pytestmark = [pytest.mark.core, pytest.mark.usefixtures("worker")]


def _chunk_rows(rt, document_id):
    with rt.session() as session:
        return list(
            session.scalars(
                select(Chunk).where(Chunk.document_id == document_id).order_by(Chunk.ordinal)
            )
        )


def test_article_reaches_ready_with_chunks_and_points(runtime, squad_doc):
    user = factories.make_user(runtime)
    doc = factories.upload_and_wait(runtime, user, squad_doc.name, squad_doc.read_bytes())

    assert doc.processing_status == "ready", doc.processing_error
    assert doc.processing_error is None
    rows = _chunk_rows(runtime, doc.id)
    assert doc.chunk_count == len(rows) > 5
    assert [r.ordinal for r in rows] == list(range(len(rows)))
    assert all(r.page is None for r in rows)
    assert runtime.vector_store.count(document_id=doc.id) == len(rows)
    assert runtime.vector_store.count(user_id=user.id) == len(rows)


def test_answer_cites_the_uploaded_article(runtime, squad_doc):
    user = factories.make_user(runtime)
    doc = factories.upload_and_wait(runtime, user, squad_doc.name, squad_doc.read_bytes())

    result = factories.ask_and_wait(runtime, user, "Who conquered England in 1066?")

    assert result["found"] is True
    assert "William" in result["answer"]
    assert result["confidence"] == "well supported"
    top = result["sources"][0]
    assert top["document_id"] == doc.id
    assert top["filename"] == "Normans.txt"
    assert "William II of Normandy conquered England" in top["text"]
    start, end = top["highlight"]
    assert top["text"][start:end].strip() in result["answer"]
    assert "William II of Normandy conquered England" in top["text"][start:end]
    with runtime.session() as session:
        stored = session.scalar(select(Question).where(Question.task_id == result["task_id"]))
        assert stored is not None and stored.answer == result["answer"]
        assert stored.latency_ms is not None and stored.latency_ms > 0


def test_pdf_keeps_page_numbers_and_cites_the_right_page(runtime):
    user = factories.make_user(runtime)
    data = pdfs.text_pdf(
        [
            ["The lighthouse keeper lived on the rocky island of Skerra for thirty years."],
            ["The annual festival of lanterns is held in the harbour town of Velmoor every June."],
            ["Copper mining ended in the northern valley when the last shaft flooded in 1911."],
        ]
    )
    doc = factories.upload_and_wait(runtime, user, "guide.pdf", data)

    assert doc.processing_status == "ready", doc.processing_error
    assert doc.page_count == 3
    assert {r.page for r in _chunk_rows(runtime, doc.id)} == {1, 2, 3}
    result = factories.ask_and_wait(runtime, user, "Where is the festival of lanterns held?")
    assert "Velmoor" in result["answer"]
    assert result["sources"][0]["page"] == 2


def test_unrelated_question_says_no_answer_found(runtime, squad_doc):
    user = factories.make_user(runtime)
    factories.upload_and_wait(runtime, user, squad_doc.name, squad_doc.read_bytes())

    result = factories.ask_and_wait(
        runtime, user, "What is the recommended tyre pressure for a mountain bike?"
    )

    assert result["found"] is False
    assert result["answer"] == NOT_FOUND
    assert result["confidence"] == "not found"
    # Nothing is cited; the passages that came closest are listed apart, from her document.
    assert result["sources"] == []
    assert 1 <= len(result["closest"]) <= 5
    assert {p["filename"] for p in result["closest"]} == {squad_doc.name}
    assert all(p["highlight"] is None for p in result["closest"])


MANUAL = """# Kettle manual

## Warranty

Keep your receipt, because you will need it for every claim. Claims are handled by our service
centre in Leeds, which replies within five working days of receiving them. The service centre
may ask you to send the kettle back in its original packaging, and it pays the postage for
every claim that it accepts. A kettle that is sent in without a receipt is returned to its
owner unrepaired. Repairs carried out by anyone other than the service centre end the cover at
once. The cover applies only in the country where the kettle was bought. A replacement kettle
is sent when a repair would cost more than the kettle did, and a replacement keeps the cover
the first kettle had left. Parts worn by normal use, such as the filter and the lid seal, can be
ordered from the service centre at any time.

The kettle is guaranteed for two years from the date of purchase against defects in materials
and workmanship.

## Descaling

Descale the kettle once a month in a hard water area.
"""


def test_a_section_longer_than_a_chunk_answers_under_its_heading(runtime):
    """The warranty's length is in the section's second chunk, which the page does not title:
    the chunk opens with the section's heading, so "warranty" finds it and it answers."""
    user = factories.make_user(runtime)
    doc = factories.upload_and_wait(runtime, user, "manual.md", MANUAL.encode())
    rows = _chunk_rows(runtime, doc.id)
    assert len(rows) >= 2
    held = next(r for r in rows if "two years" in r.text)
    assert held.text.startswith("# Kettle manual\n\n## Warranty\n\n")
    assert "Keep your receipt" not in held.text

    result = factories.ask_and_wait(runtime, user, "How long is the warranty?")

    assert result["found"] is True
    assert "The kettle is guaranteed for two years" in result["answer"], result["answer"]
    top = result["sources"][0]
    assert top["text"] == held.text
    shown = [top["text"][start:end] for start, end in top["highlights"]]
    assert any(s.startswith("The kettle is guaranteed for two years") for s in shown), shown


GUIDE = """# Replace your library card

## Renewing your card

Your card lasts five years. You can renew it at any branch or online, and the new card keeps
your number, your loans and your reservations. Renewing costs nothing if you do it before the
old card runs out. A card that has run out for more than a year is closed, and you will need to
join again with proof of your address. Children's cards are renewed by a parent or carer at the
desk.

## If your card is lost or stolen

Ring 0800 123 456 straight away, day or night, or tell the desk at any branch. We stop the card
at once so that nobody else can borrow on it.

Once a lost card has been stopped it cannot be used again, even if you find it later.

To get a new card you pay a replacement fee of three pounds at any branch. The new card has a
new number, and your loans and reservations move across to it.

## Opening hours

Every branch opens at nine on weekdays and at ten on Saturdays.
"""


def test_a_section_asked_for_answers_from_where_it_begins_across_chunks(runtime):
    """The section the question asks for begins at the end of one chunk and goes on into the
    next, which opens with its heading again: the answer is the section's opening, from the
    first chunk, not the next chunk's first paragraph."""
    user = factories.make_user(runtime)
    doc = factories.upload_and_wait(runtime, user, "card.md", GUIDE.encode())
    rows = _chunk_rows(runtime, doc.id)
    opens = next(r for r in rows if "Ring 0800 123 456" in r.text)
    goes_on = next(r for r in rows if "To get a new card" in r.text)
    assert goes_on.ordinal == opens.ordinal + 1
    assert goes_on.text.startswith("# Replace your library card\n\n## If your card is lost")

    result = factories.ask_and_wait(runtime, user, "What should I do if my card is lost?")

    assert result["found"] is True
    assert result["answer"].startswith(
        "Ring 0800 123 456 straight away, day or night, or tell the desk at any branch."
    ), result["answer"]
    assert "Ring 0800 123 456" in result["sources"][0]["text"]


def test_users_cannot_reach_each_others_documents_or_tasks(runtime, squad_doc):
    alice = factories.make_user(runtime)
    bob = factories.make_user(runtime)
    doc = factories.upload_and_wait(runtime, alice, squad_doc.name, squad_doc.read_bytes())
    factories.upload_and_wait(
        runtime, bob, "bob.txt", b"Bob keeps bees. His hives are near the old mill by the river."
    )

    result = factories.ask_and_wait(runtime, bob, "Who conquered England in 1066?")

    assert all(s["document_id"] != doc.id for s in result["sources"])
    assert "William" not in result["answer"]
    with runtime.session() as session:
        bob_row = session.get(type(bob), bob.id)
        with pytest.raises(NotFound):
            library.get_document(session=session, user=bob_row, document_id=doc.id)
        with pytest.raises(NotFound):
            task_records.get_task(session=session, user=bob_row, task_id=doc.processing_task_id)
        with pytest.raises(NotFound):
            task_records.retry_task(
                session=session,
                celery=runtime.celery,
                user=bob_row,
                task_id=doc.processing_task_id,
            )
        with pytest.raises(NotFound):
            task_records.cancel_task(
                session=session,
                celery=runtime.celery,
                user=bob_row,
                task_id=doc.processing_task_id,
            )
        assert task_records.list_tasks(session=session, user=bob_row, all_users=True) != []
        assert all(
            t.user_id == bob.id
            for t in task_records.list_tasks(session=session, user=bob_row, all_users=True)
        )
        with pytest.raises(NotFound):
            from backend.qa.questions import submit_question

            submit_question(
                session=session,
                celery=runtime.celery,
                user=bob_row,
                question="Anything?",
                document_ids=[doc.id],
            )


def test_delete_removes_points_chunks_and_file(runtime, squad_doc):
    user = factories.make_user(runtime)
    doc = factories.upload_and_wait(runtime, user, squad_doc.name, squad_doc.read_bytes())
    assert runtime.vector_store.count(document_id=doc.id) > 0

    with runtime.session() as session:
        owner = session.get(type(user), user.id)
        task = library.delete_document(
            session=session, celery=runtime.celery, user=owner, document_id=doc.id
        )
    task_records.wait_for_task(celery=runtime.celery, task_id=task.task_id, timeout=60)

    assert runtime.vector_store.count(document_id=doc.id) == 0
    assert _chunk_rows(runtime, doc.id) == []
    assert not runtime.uploads.exists(doc.sha256)


def test_processing_twice_leaves_one_copy(runtime, squad_doc):
    user = factories.make_user(runtime)
    doc = factories.upload_and_wait(runtime, user, squad_doc.name, squad_doc.read_bytes())
    before = _chunk_rows(runtime, doc.id)

    processing.process_document(
        sessions=runtime.session,
        settings=runtime.settings,
        uploads=runtime.uploads,
        embedder=runtime.embedder,
        store=runtime.vector_store,
        document_id=doc.id,
        user_id=user.id,
        task_id=None,
        progress=lambda *_: None,
    )

    after = _chunk_rows(runtime, doc.id)
    assert [(c.ordinal, c.text) for c in after] == [(c.ordinal, c.text) for c in before]
    assert runtime.vector_store.count(document_id=doc.id) == len(before)
    assert factories.get_document(runtime, doc.id).chunk_count == len(before)


def test_same_file_twice_is_not_duplicated(runtime, squad_doc):
    user = factories.make_user(runtime)
    first = factories.upload_and_wait(runtime, user, squad_doc.name, squad_doc.read_bytes())
    second = factories.upload(runtime, user, "copy.txt", squad_doc.read_bytes())
    assert second.duplicate is True
    assert second.document.id == first.id
    assert second.task is None


@pytest.mark.parametrize(
    ("name", "maker", "sentence"),
    [
        ("locked.pdf", pdfs.encrypted_pdf, "This PDF is encrypted; upload an unencrypted copy."),
        ("scan.pdf", pdfs.shapes_only_pdf, "no extractable text"),
        ("broken.pdf", pdfs.garbage_pdf, "damaged"),
    ],
)
def test_bad_files_end_failed_with_a_sentence(runtime, name, maker, sentence):
    user = factories.make_user(runtime)
    doc = factories.upload_and_wait(runtime, user, name, maker())

    assert doc.processing_status == "failed"
    assert sentence in (doc.processing_error or "")
    with runtime.session() as session:
        record = session.get(TaskRecord, doc.processing_task_id)
        assert record is not None and record.state == "FAILURE"
        assert sentence in (record.error or "")


def test_pdf_over_the_page_limit_fails_with_the_limit(runtime):
    user = factories.make_user(runtime)
    runtime.settings.max_pdf_pages = 2
    try:
        doc = factories.upload_and_wait(
            runtime, user, "long.pdf", pdfs.text_pdf([["a b c d."]] * 4)
        )
    finally:
        runtime.settings.max_pdf_pages = 2000
    assert doc.processing_status == "failed"
    assert "4 pages" in doc.processing_error and "limit is 2" in doc.processing_error


@pytest.mark.parametrize(
    ("name", "data", "error"),
    [
        ("empty.txt", b"", InvalidInput),
        ("photo.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, Exception),
    ],
)
def test_unusable_uploads_are_refused_before_queueing(runtime, name, data, error):
    user = factories.make_user(runtime)
    with pytest.raises(error) as caught:
        factories.upload(runtime, user, name, data)
    assert name in caught.value.message
    with runtime.session() as session:
        count = select(func.count(TaskRecord.task_id)).where(TaskRecord.user_id == user.id)
        assert session.scalar(count) == 0


def test_ledger_records_queue_user_states_and_timings(runtime, squad_doc):
    user = factories.make_user(runtime)
    doc = factories.upload_and_wait(runtime, user, squad_doc.name, squad_doc.read_bytes())
    answer = factories.ask_and_wait(runtime, user, "Who was the duke in the battle of Hastings?")

    with runtime.session() as session:
        upload_rec = session.get(TaskRecord, doc.processing_task_id)
        ask_rec = session.get(TaskRecord, answer["task_id"])
    assert upload_rec.queue == "document_processing"
    assert ask_rec.queue == "question_answering"
    for rec in (upload_rec, ask_rec):
        assert rec.user_id == user.id
        assert rec.state == "SUCCESS"
        assert rec.queued_at <= rec.started_at <= rec.finished_at
        assert rec.runtime_ms is not None and rec.runtime_ms > 0
        assert rec.worker
    assert f'"document_id": {doc.id}' in upload_rec.args_summary


def test_retry_of_a_failed_task_links_to_the_original(runtime):
    user = factories.make_user(runtime)
    doc = factories.upload_and_wait(runtime, user, "locked.pdf", pdfs.encrypted_pdf())
    original = doc.processing_task_id

    with runtime.session() as session:
        owner = session.get(type(user), user.id)
        ref = task_records.retry_task(
            session=session, celery=runtime.celery, user=owner, task_id=original
        )
    with pytest.raises(task_records.TaskFailed):
        task_records.wait_for_task(celery=runtime.celery, task_id=ref.task_id, timeout=60)

    with runtime.session() as session:
        retried = session.get(TaskRecord, ref.task_id)
        assert retried.retry_of == original
        assert retried.state == "FAILURE"
        assert factories.get_document(runtime, doc.id).processing_task_id == ref.task_id
        owner = session.get(type(user), user.id)
        with pytest.raises(InvalidInput):
            task_records.cancel_task(
                session=session, celery=runtime.celery, user=owner, task_id=ref.task_id
            )


def test_premium_only_urgent_questions(runtime, squad_doc):
    user = factories.make_user(runtime)
    premium = factories.make_user(runtime, role="premium")
    factories.upload_and_wait(runtime, user, squad_doc.name, squad_doc.read_bytes())
    factories.upload_and_wait(runtime, premium, squad_doc.name, squad_doc.read_bytes())

    with pytest.raises(PermissionDenied, match="premium"):
        factories.ask_and_wait(runtime, user, "Where is Normandy?", priority=True)
    result = factories.ask_and_wait(runtime, premium, "Where is Normandy?", priority=True)

    with runtime.session() as session:
        assert session.get(TaskRecord, result["task_id"]).queue == "high_priority"


def test_deactivated_users_tasks_are_refused_by_the_worker(runtime, squad_doc):
    user = factories.make_user(runtime)
    doc = factories.upload_and_wait(runtime, user, squad_doc.name, squad_doc.read_bytes())
    with runtime.session() as session:
        session.get(type(user), user.id).is_active = False
        # A task queued before the deactivation: the worker checks the user again when it runs.
        ref = task_records.submit_task(
            session=session,
            celery=runtime.celery,
            name="workers.tasks.documents.process_document",
            kwargs={"document_id": doc.id, "user_id": user.id},
            user_id=user.id,
        )
    with pytest.raises(task_records.TaskFailed, match="deactivated"):
        task_records.wait_for_task(celery=runtime.celery, task_id=ref.task_id, timeout=60)


def test_seed_task_monitor_facade(runtime, squad_doc):
    from backend.tools.task_monitor import TaskMonitor

    user = factories.make_user(runtime)
    doc = factories.upload_and_wait(runtime, user, "locked.pdf", pdfs.encrypted_pdf())
    monitor = TaskMonitor(runtime)

    tasks = monitor.get_user_tasks(user_id=user.id)
    assert [t["task_id"] for t in tasks] == [doc.processing_task_id]
    new_id = monitor.retry_task(doc.processing_task_id, user.id)
    assert new_id != doc.processing_task_id
    with pytest.raises(task_records.TaskFailed):
        task_records.wait_for_task(celery=runtime.celery, task_id=new_id, timeout=60)
    analytics = monitor.get_task_analytics(user.id, days=7)
    assert analytics["total"] == 2
    assert analytics["by_queue"] == {"document_processing": 2}
