"""questions.missing_names: the names a question uses that no passage searched mentions

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04 09:00:00

Told to the asker beside the answer ("None of your documents mention Mona Lisa"), so a refusal
says why and an answer about something else says so.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("questions", sa.Column("missing_names", sa.JSON(), nullable=True))


def downgrade() -> None:
    op.drop_column("questions", "missing_names")
