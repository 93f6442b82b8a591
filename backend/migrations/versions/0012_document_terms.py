"""document_terms: per-document BM25 term counts, for IDF over the asking account's library

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04 10:00:00

The lexical signal's IDF was computed by the vector engine over every account's chunks, so one
account's rankings moved when another uploaded or deleted documents. Each document now records
in how many of its chunks each term occurs; a question's term weights are computed from the
asking account's ready documents only. The rows are filled when a document is processed; those
of documents processed before this revision are computed by `python -m backend.cli
prepare-vectors` (run by `make run`) or `reindex`, since the term ids are BM25 hashes that SQL
cannot compute.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "document_terms",
        sa.Column(
            "document_id",
            sa.Integer(),
            sa.ForeignKey("documents.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column(
            "user_id",
            sa.Integer(),
            sa.ForeignKey("users.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("term_id", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("chunks", sa.Integer(), nullable=False),
    )
    op.create_index("ix_document_terms_user_term", "document_terms", ["user_id", "term_id"])


def downgrade() -> None:
    op.drop_index("ix_document_terms_user_term", table_name="document_terms")
    op.drop_table("document_terms")
