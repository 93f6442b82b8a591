"""trigram indexes for the admin Tasks page's text filter (PostgreSQL only)

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 12:10:00

The filter is a case-insensitive substring match on the task id, arguments and error; on a
large ledger it was a full scan. pg_trgm GIN indexes serve ILIKE '%text%' on each column and
PostgreSQL combines them with a BitmapOr. SQLite keeps scanning (it is for small setups).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = ("task_id", "args_summary", "error")


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for column in COLUMNS:
        op.create_index(
            f"ix_task_records_{column}_trgm",
            "task_records",
            [column],
            postgresql_using="gin",
            postgresql_ops={column: "gin_trgm_ops"},
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for column in COLUMNS:
        op.drop_index(f"ix_task_records_{column}_trgm", table_name="task_records")
