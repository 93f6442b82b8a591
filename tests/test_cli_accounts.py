"""`python -m backend.cli reset-password EMAIL`: a new password, printed once, that signs in;
the account's earlier sign-ins end and the audit log names the command line."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from backend.accounts import tokens, users
from backend.errors import AuthenticationFailed
from backend.models import AuditEntry
from backend.tools import cli
from tests import factories


def test_reset_password_prints_one_that_signs_in_and_ends_the_old_tokens(runtime, capsys):
    admin = factories.make_user(runtime, role="admin")
    with runtime.session() as session:
        account = users.get_user(session=session, user_id=admin.id)
        old_token = tokens.create_token(session=session, user=account, name="laptop").token

    assert cli.main(["reset-password", admin.email.upper()]) == 0

    out = capsys.readouterr().out
    found = re.search(rf"New password for {re.escape(admin.email)}: (\S+)", out)
    assert found, out
    password = found.group(1)
    assert len(password) >= users.MIN_PASSWORD_LENGTH
    rows = out.strip().splitlines()
    assert rows[0] == rows[-1] and set(rows[0]) == {"+", "-"}  # framed, so it stands out
    with runtime.session() as session:
        assert users.authenticate(session=session, email=admin.email, password=password)
        with pytest.raises(AuthenticationFailed):
            users.authenticate(session=session, email=admin.email, password=factories.PASSWORD)
        with pytest.raises(AuthenticationFailed):
            tokens.user_for_token(session=session, token=old_token)
        entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "reset_password"))
    assert entry is not None and entry.target == admin.email
    assert entry.actor_id is None and entry.actor_email.startswith("command line (")
    assert "tokens revoked" in (entry.detail or "")
    assert password not in f"{entry.detail} {entry.data}"


def test_reset_password_of_an_unknown_account_says_so(runtime, capsys):
    assert cli.main(["reset-password", "nobody@example.com"]) == 1
    assert "No account for nobody@example.com" in capsys.readouterr().err
