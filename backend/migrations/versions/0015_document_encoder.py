"""documents.encoder: the encoder that made a document's vectors

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-05 09:00:00

A question's vector is compared with its documents' vectors, so both must come from the same
encoder. A document stored under another one (a new build recipe, or the int8/fp32 setting
changed) is embedded again at start-up by `python -m backend.cli prepare-vectors` (run by
`make run` and by docker-compose's init service); documents from before this column are.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("documents", sa.Column("encoder", sa.String(80), nullable=True))


def downgrade() -> None:
    op.drop_column("documents", "encoder")
