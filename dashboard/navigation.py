"""The dashboard's pages by section, and who may see each section.

Adding a page is one line here plus its file: Workspace pages live in `pages/user/`,
Administration pages in `pages/admin/` (listed in ADMINISTRATION, shown to admins only).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import streamlit as st

from backend.models import User

HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class PageSpec:
    path: str  # relative to dashboard/
    title: str
    icon: str
    url_path: str
    default: bool = False


WORKSPACE = [
    PageSpec("pages/user/ask.py", "Ask", ":material/forum:", "ask", default=True),
    PageSpec("pages/user/upload.py", "Upload", ":material/upload_file:", "upload"),
    PageSpec("pages/user/documents.py", "Documents", ":material/description:", "documents"),
    PageSpec("pages/user/tasks.py", "My tasks", ":material/task:", "tasks"),
    PageSpec("pages/user/usage.py", "My usage", ":material/monitoring:", "usage"),
    PageSpec("pages/user/account.py", "Account", ":material/manage_accounts:", "account"),
]
ADMINISTRATION: list[PageSpec] = [
    PageSpec("pages/admin/operations.py", "Operations", ":material/dns:", "operations"),
    PageSpec("pages/admin/tasks.py", "All tasks", ":material/list_alt:", "admin-tasks"),
    PageSpec("pages/admin/users.py", "Users & analytics", ":material/group:", "admin-users"),
    PageSpec("pages/admin/user.py", "User detail", ":material/person:", "admin-user"),
    PageSpec("pages/admin/audit.py", "Audit log", ":material/history:", "audit"),
    PageSpec("pages/admin/health.py", "System health", ":material/monitor_heart:", "health"),
]

SECTIONS: list[tuple[str, list[PageSpec], Callable[[User], bool]]] = [
    ("Workspace", WORKSPACE, lambda user: user.is_active),
    ("Administration", ADMINISTRATION, lambda user: user.is_admin),
]


def page(spec: PageSpec) -> st.Page:  # type: ignore[name-defined]
    return st.Page(
        HERE / spec.path,
        title=spec.title,
        icon=spec.icon,
        url_path=spec.url_path,
        default=spec.default,
    )


def sections_for(user: User) -> dict[str, list[PageSpec]]:
    """The sections this user may open, each with its pages (empty sections left out)."""
    return {title: specs for title, specs, allowed in SECTIONS if specs and allowed(user)}


def pages_for(user: User) -> dict[str, list]:
    """`sections_for` as `st.Page` objects for `st.navigation`."""
    return {title: [page(s) for s in specs] for title, specs in sections_for(user).items()}


def signed_out_pages(sign_in: Callable[[], None]) -> list:
    """While signed out: the sign-in form at the root and, hidden, at every page's address,
    so a link to a page keeps its address and query through the sign-in and then opens."""
    pages = [st.Page(sign_in, title="Sign in", icon=":material/login:", url_path="sign-in")]
    for _title, specs, _allowed in SECTIONS:
        pages += [st.Page(sign_in, title="Sign in", url_path=spec.url_path) for spec in specs]
    return pages


def out_of_reach(user: User, elsewhere: Callable[[], None]) -> list:
    """Hidden pages at the addresses of sections this user may not open, showing `elsewhere`
    (a link an admin shared opens the user's own default page instead of 'Page not found')."""
    return [
        st.Page(elsewhere, title=spec.title, url_path=spec.url_path, visibility="hidden")
        for _title, specs, allowed in SECTIONS
        if not allowed(user)
        for spec in specs
    ]


def page_path(url_path: str) -> str:
    """The file of a page by its URL path, for `st.page_link` and `st.switch_page`."""
    for _title, specs, _allowed in SECTIONS:
        for spec in specs:
            if spec.url_path == url_path:
                return str(HERE / spec.path)
    raise KeyError(url_path)
