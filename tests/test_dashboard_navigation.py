"""Navigation: every signed-in user gets the Workspace; Administration is for admins only."""

from __future__ import annotations

from dashboard import navigation
from tests import factories


def test_sections_follow_the_role(runtime, monkeypatch):
    admin_page = navigation.PageSpec("pages/user/usage.py", "All usage", ":material/key:", "x")
    monkeypatch.setattr(navigation, "ADMINISTRATION", [admin_page])
    monkeypatch.setattr(
        navigation,
        "SECTIONS",
        [
            ("Workspace", navigation.WORKSPACE, lambda user: user.is_active),
            ("Administration", navigation.ADMINISTRATION, lambda user: user.is_admin),
        ],
    )
    user = factories.make_user(runtime)
    admin = factories.make_user(runtime, role="admin")

    assert list(navigation.sections_for(user)) == ["Workspace"]
    sections = navigation.sections_for(admin)
    assert list(sections) == ["Workspace", "Administration"]
    assert [p.title for p in sections["Workspace"]] == [
        "Ask",
        "Upload",
        "Documents",
        "My tasks",
        "My usage",
        "Account",
    ]
    assert [p.title for p in sections["Administration"]] == ["All usage"]
