"""task_records.stage and .progress: a running task's progress, kept in the ledger

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 09:20:00

Progress used to live in the result backend only, so a broker outage lost it and the ledger
and the result backend could disagree; the ledger is now the one record of a task's state.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("task_records", sa.Column("stage", sa.String(30), nullable=True))
    op.add_column("task_records", sa.Column("progress", sa.Integer(), nullable=True))


def downgrade() -> None:
    op.drop_column("task_records", "progress")
    op.drop_column("task_records", "stage")
