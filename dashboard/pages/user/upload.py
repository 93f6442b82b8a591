"""Upload: several files at once, each its own task, with a live panel of their progress."""

from __future__ import annotations

import streamlit as st

from backend.documents import library, views
from backend.documents.views import UploadProgress
from backend.errors import ServiceError
from dashboard import common, navigation, status

TRACKED_KEY = "upload_tracked_ids"
OUTCOMES_KEY = "upload_outcomes"


def tracked() -> list[int]:
    return st.session_state.setdefault(TRACKED_KEY, [])


def outcomes() -> list[tuple[str, str]]:
    """Each submitted file's outcome (kind, sentence), kept until the user clears them."""
    return st.session_state.setdefault(OUTCOMES_KEY, [])


def submit(files: list) -> None:
    """Upload each file in its own unit of work, so one refusal does not stop the others."""
    rt = common.runtime()
    for file in files:
        with common.guard():
            try:
                with common.acting_user() as (session, user):
                    result = library.upload_document(
                        session=session,
                        celery=rt.celery,
                        uploads=rt.uploads,
                        settings=rt.settings,
                        user=user,
                        filename=file.name,
                        data=file.getvalue(),
                        limiter=rt.rate_limiter,
                    )
                    doc = result.document
                    duplicate, filename, doc_id = result.duplicate, doc.filename, doc.id
            except ServiceError as exc:
                outcomes().append(("error", exc.message))
                continue
            if doc_id not in tracked():
                tracked().append(doc_id)
            if duplicate:
                outcomes().append(
                    ("info", f"{file.name} is already in your documents as {filename}.")
                )
            else:
                outcomes().append(("success", f"Accepted {filename}: queued for processing."))


def outcome_panel() -> None:
    if not outcomes():
        return
    for kind, message in outcomes():
        getattr(st, kind)(message)
    if st.button("Clear", key="upload_clear_outcomes", help="Dismiss these upload messages"):
        st.session_state[OUTCOMES_KEY] = []
        st.rerun()


def show(item: UploadProgress) -> None:
    if item.status == "ready":
        st.success(item.outcome, icon=":material/check_circle:")
    elif item.status == "failed":
        st.error(item.outcome, icon=":material/error:")
    else:
        left = f" · {item.time_left}" if item.time_left else ""
        st.progress(item.percent / 100, text=f"**{item.filename}** — {item.stage_label}{left}")


def progress_panel() -> None:
    """Each tracked upload's stage, read from its document row every two seconds."""
    items: list[UploadProgress] = []
    with common.guard(), common.acting_user() as (session, user):
        items = views.upload_progress(session=session, user=user, document_ids=tracked())
    if not items:
        st.caption("Files you upload appear here while they are processed.")
        return
    for item in items:
        if item.document_id not in tracked():
            tracked().append(item.document_id)
        show(item)
    if all(item.finished for item in items) and st.session_state.get("upload_polling"):
        # Everything ended: one full rerun turns the polling off and refreshes the page.
        st.rerun()


rt = common.runtime()
st.title("Upload documents")
status.outage_banner()
st.caption(
    f"PDF, text, Markdown or HTML, up to {rt.settings.max_upload_mb} MB each. Every file is "
    "processed by a worker in the background: extracted, split into passages and embedded."
)
with st.form("upload-form", clear_on_submit=True):
    files = st.file_uploader(
        "Files",
        type=list(views.ACCEPTED_EXTENSIONS),
        accept_multiple_files=True,
        max_upload_size=rt.settings.max_upload_mb,
    )
    sent = st.form_submit_button("Upload and process", type="primary", icon=":material/upload:")
if sent:
    if files:
        submit(list(files))
    else:
        st.warning("Choose one or more files first.")
outcome_panel()

header, clear = st.columns([4, 1], vertical_alignment="bottom")
header.subheader("Progress")
if clear.button("Clear finished", help="Hide uploads that are ready or failed"):
    st.session_state[TRACKED_KEY] = []
    st.rerun()

in_flight = False
with common.guard(), common.acting_user() as (session, user):
    in_flight = any(
        not item.finished
        for item in views.upload_progress(session=session, user=user, document_ids=tracked())
    )
st.session_state["upload_polling"] = in_flight
st.fragment(progress_panel, run_every=2 if in_flight else None)()
st.page_link(navigation.page_path("documents"), label="All documents", icon=":material/list:")
