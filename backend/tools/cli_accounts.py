"""Account commands: `reset-password EMAIL`, for an admin locked out of the dashboard.

Whoever runs it at the server's shell can read the database already, so the command acts as
an admin: the reset goes through the admins' own service (`admin_users.reset_password`: the
account's sign-ins end) and the audit log names the command line and the operating-system user.
"""

from __future__ import annotations

import argparse
import getpass
import socket
from collections.abc import Callable, Iterable
from typing import Any

from backend.accounts import admin_users, users
from backend.config import get_settings
from backend.models import Role, User
from backend.runtime import build_runtime

COMMAND_LINE = "command line"


def framed(lines: Iterable[str]) -> str:
    """The lines in a box, so they stand out among other output."""
    rows = list(lines)
    width = max((len(row) for row in rows), default=0)
    rule = "+" + "-" * (width + 2) + "+"
    return "\n".join([rule, *(f"| {row.ljust(width)} |" for row in rows), rule])


def command_line_actor() -> User:
    """Who acts when an account is changed from the command line: not an account (no id, not
    stored), named in the audit log as the command line and the operating-system user."""
    try:
        who = f"{getpass.getuser()}@{socket.gethostname()}"
    except (KeyError, OSError):
        who = socket.gethostname()
    return User(email=f"{COMMAND_LINE} ({who})", role=Role.ADMIN.value, is_active=True)


def reset_password(email: str) -> tuple[str, str]:
    """Give the account a new generated password and end its sign-ins, audited as done from
    the command line; returns (the account's email, the password)."""
    rt = build_runtime(get_settings())
    try:
        with rt.session() as session:
            target = users.get_user_by_email(session=session, email=email)
            password = admin_users.reset_password(
                session=session, user=command_line_actor(), user_id=target.id
            )
            return target.email, password
    finally:
        rt.close()


def cmd_reset_password(args: argparse.Namespace) -> int:
    email, password = reset_password(args.email)
    print(
        framed(
            [
                f"New password for {email}: {password}",
                "Shown once. Every earlier sign-in of the account has ended (tokens revoked).",
            ]
        )
    )
    return 0


def add_parsers(sub: Any) -> None:
    """The account commands' grammar."""
    p = sub.add_parser(
        "reset-password",
        help="give an account a new generated password, printed once; its sign-ins end",
    )
    p.add_argument("email")


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "reset-password": cmd_reset_password,
}
