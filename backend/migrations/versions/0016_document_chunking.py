"""documents.chunking: the way a document's text was cut into passages

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-05 10:00:00

Passages now keep a heading with the text it titles, and a passage inside a long section opens
with the section's heading. `python -m backend.cli prepare-vectors` (run by `make run` and by
docker-compose's init service) cuts each document recorded otherwise again from its stored
upload, and processes again those whose passages change; documents from before this column
are checked so.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("documents", sa.Column("chunking", sa.String(40), nullable=True))


def downgrade() -> None:
    op.drop_column("documents", "chunking")
