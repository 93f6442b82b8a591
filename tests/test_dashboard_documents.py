"""Documents page: the user's documents only; delete asks first; reprocess; failure reasons."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from backend.models import Document, TaskRecord
from tests import factories, pdfs
from tests.test_dashboard_support import SMALL_TEXT, button, messages, open_page, texts

pytestmark = pytest.mark.usefixtures("worker")


def test_lists_own_documents_with_their_figures_and_not_others(runtime):
    user = factories.make_user(runtime)
    other = factories.make_user(runtime)
    factories.upload_and_wait(runtime, user, "bees.txt", SMALL_TEXT)
    factories.upload_and_wait(runtime, other, "other-person.txt", b"Private notes of someone else.")

    at = open_page(user, "documents")

    table = at.dataframe[0].value
    assert list(table["Document"]) == ["bees.txt"]
    row = table.iloc[0]
    assert row["Status"] == "ready" and row["Passages"] == 1
    assert row["Size"] == f"{len(SMALL_TEXT)} B" and row["Uploaded"]
    assert "other-person.txt" not in texts(at)
    # The picker names the file; its status is said beside it, so it cannot go stale.
    assert at.selectbox(key="documents_selected").options == ["bees.txt"]
    assert "Status: ready" in [c.value for c in at.caption]


def test_delete_asks_for_confirmation_then_the_document_is_gone(runtime):
    user = factories.make_user(runtime)
    doc = factories.upload_and_wait(runtime, user, "bees.txt", SMALL_TEXT)
    at = open_page(user, "documents")

    button(at, "Delete").click().run()
    assert any("Delete **bees.txt**?" in m for m in messages(at, "warning"))
    factories.get_document(runtime, doc.id)  # still there until confirmed

    button(at, "Cancel").click().run()
    assert not messages(at, "warning")
    button(at, "Delete").click().run()
    button(at, "Yes, delete").click().run()

    assert not at.exception
    assert any("Deleted bees.txt" in m for m in messages(at, "success"))
    assert "You have no documents yet." in messages(at, "info")
    with runtime.session() as session:
        assert session.get(Document, doc.id) is None
        names = [t.name for t in session.scalars(select(TaskRecord))]
    assert "workers.tasks.documents.delete_document" in names


def test_failed_document_shows_why_and_can_be_reprocessed(runtime):
    user = factories.make_user(runtime)
    doc = factories.upload_and_wait(runtime, user, "scan.pdf", pdfs.shapes_only_pdf())
    assert doc.processing_status == "failed"
    at = open_page(user, "documents")

    assert f"Why it failed: {doc.processing_error}" in messages(at, "error")
    assert at.dataframe[0].value.iloc[0]["Problem"] == doc.processing_error

    button(at, "Reprocess").click().run()
    assert not at.exception
    assert any("Processing again" in m for m in messages(at, "success"))
    again = factories.get_document(runtime, doc.id)
    assert again.processing_task_id != doc.processing_task_id
