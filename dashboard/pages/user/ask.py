"""Ask: a chat over the user's own documents; answers cite their sources."""

from __future__ import annotations

import html

import streamlit as st

from backend.documents import library
from backend.models import Document, utcnow
from backend.qa import conversation, questions
from backend.qa.answer_kinds import lacking
from backend.qa.conversation import Exchange
from dashboard import common, navigation, status

CONFIDENCE_CAPTIONS = {
    "well supported": "Well supported by your documents. ",
    "partly supported": "Partly supported: check the cited passage. ",
}
FILTER_KEY = "ask_documents"
URGENT_KEY = "ask_urgent"
SINCE_KEY = "ask_since"


def citation(number: int, source: dict) -> None:
    """One source: where it is from, and the cited text with the answer marked."""
    page = f", page {source['page']}" if source.get("page") else ""
    name = common.plain(source.get("filename") or "document")
    marked_here = " · holds the answer" if source.get("highlight") else ""
    label = f"[{number}] {name}{page}{marked_here}"
    before, hit, after = common.split_highlight(source.get("text", ""), source.get("highlight"))
    marked = (
        f'<mark style="background:#ffe58a;padding:0 2px">{html.escape(hit)}</mark>' if hit else ""
    )
    with st.expander(label, expanded=False, icon=":material/format_quote:"):
        st.html(
            '<div style="line-height:1.6;white-space:pre-line">'
            f"{common.passage_html(before)}{marked}{common.passage_html(after)}</div>"
        )


def quoted(names: list[str]) -> str:
    """“Mona Lisa”, or “Edison”, “Westinghouse” and “Paris” (markdown escaped)."""
    marked = [f"“{common.plain(name)}”" for name in names]
    return marked[0] if len(marked) == 1 else ", ".join(marked[:-1]) + " and " + marked[-1]


def answer(item: Exchange) -> None:
    with st.chat_message("assistant"):
        if item.state == conversation.FAILED:
            st.error(item.error or "This question could not be answered.")
            return
        # A list's items and a table's rows come a line each: markdown's line break keeps them.
        st.markdown(common.plain(item.answer or "").replace("\n", "  \n"))
        latency = f" in {item.latency_ms / 1000:.1f} s" if item.latency_ms else ""
        if item.found and item.sources:
            support = CONFIDENCE_CAPTIONS.get(item.confidence or "", "")
            if item.missing_names:
                st.caption(
                    f"The passages found never mention {quoted(item.missing_names)}: "
                    "the answer may be about something else."
                )
            st.caption(f"{support}Answered{latency} from {len(item.sources)} passages:")
            for number, source in enumerate(item.sources, start=1):
                citation(number, source)
        else:
            st.caption(f"Answered{latency}; nothing in your documents matched well enough.")
            if item.missing_names:
                st.caption(
                    f"The passages closest to your question never mention "
                    f"{quoted(item.missing_names)}."
                )
            if item.ungiven:
                st.caption(lacking(item.ungiven))
            if item.closest:
                with st.expander(
                    f"The {len(item.closest)} closest passages (none of them answers it)",
                    icon=":material/manage_search:",
                ):
                    for source in item.closest:
                        page = f", page {source['page']}" if source.get("page") else ""
                        name = common.plain(source.get("filename") or "document")
                        st.caption(f"{name}{page}")
                        st.text(source.get("text", ""))


def exchange(item: Exchange, names: dict[int, str]) -> None:
    with st.chat_message("user"):
        st.markdown(common.plain(item.question))
        notes = [common.fmt_time(item.asked_at)]
        if item.urgent:
            notes.append("urgent")
        if item.document_ids:
            notes.append("in " + ", ".join(names.get(i, f"#{i}") for i in item.document_ids))
        st.caption(" · ".join(notes))
    if item.state != conversation.WAITING:
        answer(item)


def waiting() -> None:
    """Polls the unanswered questions; when one ends, the whole chat is redrawn."""
    items: list[Exchange] = []
    with common.guard(), common.acting_user() as (session, user):
        items = [
            conversation.get_exchange(session=session, user=user, question_id=qid)
            for qid in st.session_state.get("ask_waiting", [])
        ]
    if any(item.state != conversation.WAITING for item in items):
        st.rerun()
    for item in items:
        where = f" ({item.queue.replace('_', ' ')} queue)" if item.queue else ""
        with st.chat_message("assistant"), st.status(f"{item.waiting_label}{where}…"):
            st.caption(f"Asked {common.fmt_time(item.asked_at)}; the answer appears here.")


def ask(text: str, document_ids: list[int], urgent: bool) -> bool:
    """Queue the question; False (with the reason shown) when it was refused."""
    rt = common.runtime()
    queued = False
    with common.guard(), common.acting_user() as (session, user):
        questions.submit_question(
            session=session,
            celery=rt.celery,
            user=user,
            question=text,
            document_ids=document_ids or None,
            priority=urgent,
            limiter=rt.rate_limiter,
        )
        queued = True
    return queued


def controls(ready: list[Document], premium: bool) -> tuple[list[int], bool]:
    names = {d.id: d.filename for d in ready}
    left, right = st.columns([4, 1], vertical_alignment="bottom")
    chosen = left.multiselect(
        "Search in",
        list(names),
        format_func=lambda i: names[i],
        placeholder="All my ready documents",
        key=FILTER_KEY,
    )
    if premium:
        urgent = right.toggle(
            "Urgent",
            value=True,
            key=URGENT_KEY,
            help="Premium questions are answered before other questions; turn this off to "
            "queue one normally.",
        )
    else:
        urgent = False
        right.caption("Urgent answers are a premium feature.")
    return chosen, urgent


def load() -> tuple[list[Document], list[Exchange], dict[int, str], bool] | None:
    with common.guard(), common.acting_user() as (session, user):
        ready = library.list_documents(session=session, user=user, status="ready")
        names = {d.id: d.filename for d in library.list_documents(session=session, user=user)}
        history = conversation.conversation(
            session=session, user=user, since=st.session_state.get(SINCE_KEY)
        )
        return ready, history, names, user.is_premium
    return None


def new_chat() -> None:
    """Start an empty chat: earlier questions stay in My tasks, not on this page."""
    st.session_state[SINCE_KEY] = utcnow()
    st.session_state["ask_waiting"] = []


def page() -> None:
    title, fresh = st.columns([4, 1], vertical_alignment="bottom")
    title.title("Ask your documents")
    fresh.button(
        "New chat",
        icon=":material/add_comment:",
        on_click=new_chat,
        help="Clear the conversation shown; past questions stay in My tasks.",
    )
    status.outage_banner()
    loaded = load()
    if loaded is None:
        return
    ready, history, names, premium = loaded
    chosen: list[int] = []
    urgent = False
    if not ready:
        st.info("You have no processed documents yet, so there is nothing to search.")
        st.page_link(
            navigation.page_path("upload"), label="Upload a document", icon=":material/upload:"
        )
    else:
        chosen, urgent = controls(ready, premium)
    if not history and ready:
        st.caption("Ask anything about your documents; answers quote the passage they come from.")
    for item in history:
        exchange(item, names)
    pending = [item.question_id for item in history if item.state == conversation.WAITING]
    st.session_state["ask_waiting"] = pending
    if pending:
        st.fragment(waiting, run_every=1)()
    if ready:
        prompt = st.chat_input("Ask a question about your documents", max_chars=2000)
        if prompt and ask(prompt, chosen, urgent):
            st.rerun()


page()
