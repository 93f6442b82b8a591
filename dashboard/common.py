"""What every dashboard page shares: the runtime, the signed-in user, outage banners, formats.

Pages are thin: they call `backend/` services with `acting_user()` and render the result.
Only the user's id (and the id of the browser's session, see session_cookie.py) lives in
`st.session_state`; the account is loaded again on every run so a deactivated account, or a
session ended in another tab, is signed out at once.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import redis
import streamlit as st
from kombu.exceptions import OperationalError as BrokerError
from sqlalchemy import exc as db_errors
from sqlalchemy.orm import Session

from backend.accounts import browser_sessions, users
from backend.config import Settings, get_settings
from backend.documents.ingest.headings import HEADING_MARK, unmarked
from backend.errors import ServiceError
from backend.models import User
from backend.runtime import Runtime, build_runtime

log = logging.getLogger("dashboard")

USER_KEY = "user_id"
STAMP_KEY = "credentials_stamp"
BROWSER_SESSION_KEY = "browser_session_id"  # the id of the session the browser's cookie holds
FLASH_KEY = "flash"
DATABASE_DOWN = (
    "The database is not answering, so your account, documents, questions and tasks cannot "
    "be loaded or changed right now. Nothing was lost; try again in a moment."
)
QUEUE_DOWN = (
    "The task queue (Redis) is not answering, so uploads and questions cannot be queued and "
    "task states may be out of date. Try again in a moment."
)
SIGNED_OUT = "Your account is no longer active, so you have been signed out."
CREDENTIALS_CHANGED = (
    "Your password was changed or reset, so you have been signed out; sign in with the new one."
)
SESSION_ENDED = "You signed out in another tab or window, or your sign-in expired."
DB_OUTAGES: tuple[type[BaseException], ...] = (
    db_errors.OperationalError,
    db_errors.InterfaceError,
    db_errors.TimeoutError,
)
QUEUE_OUTAGES: tuple[type[BaseException], ...] = (BrokerError, redis.RedisError, ConnectionError)


class SignedOut(Exception):
    """The session has no active account behind it any more."""


@st.cache_resource(show_spinner=False)
def runtime() -> Runtime:
    """The process's clients, built once and shared by every session."""
    return build_runtime(get_settings())


def settings() -> Settings:
    return runtime().settings


def signed_in_id() -> int | None:
    value = st.session_state.get(USER_KEY)
    return int(value) if value is not None else None


def sign_in_as(user: User) -> None:
    """Remember who signed in (the id and the credentials' stamp) and start from a clean
    page state."""
    for key in list(st.session_state.keys()):
        del st.session_state[key]
    st.session_state[USER_KEY] = user.id
    remember_credentials(user)


def remember_credentials(user: User) -> None:
    """Keep this session alive across a change the signed-in person made themself."""
    st.session_state[STAMP_KEY] = users.credential_stamp(user)


def sign_out(message: str | None = None) -> None:
    """Forget the account and every page's state."""
    for key in list(st.session_state.keys()):
        del st.session_state[key]
    if message:
        flash(message, "warning")


def current_user() -> User | None:
    """The signed-in, active account, freshly loaded; None when signed out."""
    user_id = signed_in_id()
    if user_id is None:
        return None
    browser_session = st.session_state.get(BROWSER_SESSION_KEY)
    with runtime().session() as session:
        user = session.get(User, user_id)
        live = browser_session is None or browser_sessions.session_is_live(
            session=session, token_id=int(browser_session)
        )
    if user is None or not user.is_active:
        sign_out(SIGNED_OUT)
        return None
    if st.session_state.get(STAMP_KEY, "") != users.credential_stamp(user):
        sign_out(CREDENTIALS_CHANGED)
        return None
    if not live:
        sign_out(SESSION_ENDED)
        return None
    return user


@contextmanager
def acting_user() -> Iterator[tuple[Session, User]]:
    """A unit of work with the signed-in account loaded in it (commits on success)."""
    user_id = signed_in_id()
    if user_id is None:
        raise SignedOut
    with runtime().session() as session:
        user = session.get(User, user_id)
        if user is None or not user.is_active:
            raise SignedOut
        yield session, user


@contextmanager
def guard(*, later: bool = False) -> Iterator[None]:
    """Show what went wrong as a sentence: the service's message, or which system is down.

    With `later`, the sentence is shown on the next run instead (for button callbacks,
    which run before the page is drawn).
    """

    def show(message: str, icon: str | None = None) -> None:
        if later:
            flash(message, "error")
        else:
            st.error(message, icon=icon)

    try:
        yield
    except ServiceError as exc:
        show(exc.message)
    except SignedOut:
        sign_out(SIGNED_OUT)
        if not later:
            st.rerun()
    except DB_OUTAGES:
        log.warning("database unavailable", exc_info=True)
        show(DATABASE_DOWN, ":material/database:")
    except QUEUE_OUTAGES:
        log.warning("task queue unavailable", exc_info=True)
        show(QUEUE_DOWN, ":material/cloud_off:")


def flash(message: str, kind: str = "success") -> None:
    """A message shown once on the next run (after an action that reruns the page)."""
    st.session_state.setdefault(FLASH_KEY, []).append((kind, message))


def show_flash() -> None:
    for kind, message in st.session_state.pop(FLASH_KEY, []):
        getattr(st, kind, st.info)(message)


def _zone() -> ZoneInfo:
    try:
        return ZoneInfo(st.context.timezone or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def fmt_time(moment: datetime | None) -> str:
    """A stored (UTC) time in the reader's timezone."""
    if moment is None:
        return ""
    if moment.tzinfo is None:  # SQLite hands back naive UTC times
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(_zone()).strftime("%Y-%m-%d %H:%M:%S")


def fmt_short_time(moment: datetime | None) -> str:
    """Like `fmt_time`, shorter, for tables with many time columns."""
    text = fmt_time(moment)
    return text[5:] if text else ""


def fmt_moment(moment: datetime | str | None, now: datetime | None = None) -> str:
    """A recent time as the reader's local clock time to the second, with its age, e.g.
    "11:16:39 (3 min ago)"; the date is added when it was not today."""
    if moment is None or moment == "":
        return ""
    when = datetime.fromisoformat(moment) if isinstance(moment, str) else moment
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    when = (when + timedelta(microseconds=500_000)).replace(microsecond=0).astimezone(_zone())
    current = (now or datetime.now(UTC)).astimezone(_zone())
    clock = when.strftime("%H:%M:%S" if when.date() == current.date() else "%Y-%m-%d %H:%M:%S")
    seconds = int((current - when).total_seconds())
    if seconds < 1:
        age = "just now"
    elif seconds < 60:
        age = f"{seconds} s ago"
    elif seconds < 3600:
        age = f"{seconds // 60} min ago"
    elif seconds < 86400:
        age = f"{seconds // 3600} h ago"
    else:
        days = seconds // 86400
        age = f"{days} day{'s' if days != 1 else ''} ago"
    return f"{clock} ({age})"


def fmt_size(size: int | None) -> str:
    if size is None:
        return ""
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size / 1048576:.1f} MB"


def passage_html(text: str) -> str:
    """Part of a cited passage as HTML: escaped, each heading the document marked ("## Returns")
    shown bold without its marks (the passage's paragraphs keep their breaks where the page
    shows it with `white-space: pre-line`)."""
    lines = []
    for line in text.split("\n"):
        mark = HEADING_MARK.match(line)
        shown = html.escape(unmarked(line))
        lines.append(f"<b>{shown}</b>" if mark else shown)
    return "\n".join(lines)


def split_highlight(text: str, span: list[int] | None) -> tuple[str, str, str]:
    """The cited text cut around the answering sentence (all of it before when none)."""
    if not span or len(span) != 2:
        return text, "", ""
    start, end = max(0, int(span[0])), min(len(text), int(span[1]))
    if start >= end:
        return text, "", ""
    return text[:start], text[start:end], text[end:]


_MARKDOWN_SPECIALS = str.maketrans({c: "\\" + c for c in "\\`*_{}[]()#+-.!$~|<>:&"})


def plain(text: str) -> str:
    """Text shown as it is written: markdown characters in it are escaped."""
    return text.translate(_MARKDOWN_SPECIALS)


def quiet_line(html_text: str) -> None:
    """A small grey line of (already escaped) HTML; markdown would turn emails into links."""
    st.html(f'<div style="font-size:0.875rem;color:#6b6f76">{html_text}</div>')
