"""Documents: the user's documents with their status; delete (after confirming) or reprocess."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from backend.documents import library
from backend.models import Document
from dashboard import common, navigation

CONFIRM_KEY = "documents_confirm_delete"


def table(docs: list[Document]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "Document": d.filename,
                "Status": d.processing_status,
                "Stage": d.processing_stage or "",
                "Pages": str(d.page_count) if d.page_count else "",
                "Passages": d.chunk_count,
                "Size": common.fmt_size(d.size_bytes),
                "Uploaded": common.fmt_time(d.created_at),
                "Processed": common.fmt_time(d.processed_at),
                "Problem": d.processing_error or "",
            }
            for d in docs
        ]
    )


def in_progress(doc: Document) -> bool:
    return doc.processing_status in ("pending", "processing")


def load() -> list[Document]:
    docs: list[Document] = []
    with common.guard(), common.acting_user() as (session, user):
        docs = library.list_documents(session=session, user=user)
    return docs


def listing() -> None:
    """The table; it refreshes itself while any document is still being processed."""
    docs = load()
    if not docs:
        st.info("You have no documents yet.")
        st.page_link(navigation.page_path("upload"), label="Upload some", icon=":material/upload:")
        return
    counts = pd.Series([d.processing_status for d in docs]).value_counts()
    cols = st.columns(4)
    cols[0].metric("Documents", len(docs))
    cols[1].metric("Ready", int(counts.get("ready", 0)))
    cols[2].metric("In progress", int(counts.get("pending", 0) + counts.get("processing", 0)))
    cols[3].metric("Failed", int(counts.get("failed", 0)))
    st.dataframe(
        table(docs),
        hide_index=True,
        width="stretch",
        # At 1280 px the reason a document failed is what its owner came to read.
        column_config={
            "Problem": st.column_config.TextColumn(width="large"),
            "Stage": st.column_config.TextColumn(width="small"),
            "Size": st.column_config.TextColumn(width="small"),
            "Pages": st.column_config.TextColumn(width="small"),
        },
    )
    if st.session_state.get("documents_busy") and not any(map(in_progress, docs)):
        # Processing ended: one full rerun stops the polling and refreshes the actions.
        st.rerun()


def delete(document_id: int) -> None:
    rt = common.runtime()
    name = None
    with common.guard(), common.acting_user() as (session, user):
        doc = library.get_document(session=session, user=user, document_id=document_id)
        filename = doc.filename
        library.delete_document(
            session=session, celery=rt.celery, user=user, document_id=document_id
        )
        name = filename
    st.session_state.pop(CONFIRM_KEY, None)
    if name is not None:
        common.flash(f"Deleted {name}; its passages are being removed from search.")
        st.rerun()


def reprocess(document_id: int) -> None:
    rt = common.runtime()
    done = False
    with common.guard(), common.acting_user() as (session, user):
        library.reprocess_document(
            session=session, celery=rt.celery, user=user, document_id=document_id
        )
        done = True
    if done:
        common.flash("Processing again; the table shows its progress.")
        st.rerun()


def actions(docs: list[Document]) -> None:
    """Pick a document, then reprocess it or delete it (deleting asks first)."""
    st.subheader("Manage a document")
    by_id = {d.id: d for d in docs}
    chosen = st.selectbox(
        "Document",
        list(by_id),
        # The name only: a label that carried the status kept showing an old one after the
        # status changed (the widget is identified by its key).
        format_func=lambda i: by_id[i].filename,
        key="documents_selected",
    )
    if chosen is None:
        return
    doc = by_id[chosen]
    st.caption(f"Status: {doc.processing_status}")
    if doc.processing_status == "failed":
        st.error(f"Why it failed: {doc.processing_error or 'no reason was recorded.'}")
    left, right, _ = st.columns([1, 1, 4])
    if left.button("Reprocess", icon=":material/refresh:", disabled=in_progress(doc)):
        reprocess(doc.id)
    if right.button("Delete", icon=":material/delete:"):
        st.session_state[CONFIRM_KEY] = doc.id
    if st.session_state.get(CONFIRM_KEY) == doc.id:
        st.warning(
            f"Delete **{common.plain(doc.filename)}**? Its passages leave search and it "
            "cannot be undone."
        )
        yes, no, _ = st.columns([1, 1, 4])
        if yes.button("Yes, delete", type="primary"):
            delete(doc.id)
        if no.button("Cancel"):
            st.session_state.pop(CONFIRM_KEY, None)
            st.rerun()


st.title("Documents")
docs = load()
busy = any(map(in_progress, docs))
st.session_state["documents_busy"] = busy
st.fragment(listing, run_every=3 if busy else None)()
if docs:
    actions(docs)
