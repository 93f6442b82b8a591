"""chunks.sentence_spans and chunks.sentence_vectors: each passage's sentences, embedded once

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 16:00:00

The answerer scores every sentence of the retrieved passages against the question. Embedding
them at question time made a first question slow (hundreds of milliseconds); their vectors are
now read from the passage's own encoder run while the document is processed and stored with
the chunk (float16). Chunks stored before this have none and are embedded when asked.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("chunks", sa.Column("sentence_spans", sa.JSON(), nullable=True))
    op.add_column("chunks", sa.Column("sentence_vectors", sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    op.drop_column("chunks", "sentence_vectors")
    op.drop_column("chunks", "sentence_spans")
