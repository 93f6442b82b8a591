"""questions.ungiven: the kind of answer a question asks for that the closest passage never gives

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-05 12:00:00

Told to the asker beside a refusal ("The passages closest to your question give no amount of
money."), so "How much does the Aurora K2 cost?" over a page that never prices it says why.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("questions", sa.Column("ungiven", sa.String(40), nullable=True))


def downgrade() -> None:
    op.drop_column("questions", "ungiven")
