"""questions.closest: the passages that came closest when no answer was found

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29 14:20:00

A refusal cites nothing; the passages the answerer weighed are kept apart so the user can
still see where to look.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("questions", sa.Column("closest", sa.JSON(), nullable=True))


def downgrade() -> None:
    op.drop_column("questions", "closest")
