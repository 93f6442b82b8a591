"""users.credentials_changed_at: sign-ins end with a password change, a reset or deactivation

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 12:20:00

Tokens and dashboard sessions issued before this moment are refused, so a changed or reset
password, or a deactivation, ends every sign-in of the account, and reactivating it does not
bring old tokens back.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "users", sa.Column("credentials_changed_at", sa.DateTime(timezone=True), nullable=True)
    )


def downgrade() -> None:
    op.drop_column("users", "credentials_changed_at")
