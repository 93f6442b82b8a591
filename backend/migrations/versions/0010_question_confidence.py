"""questions.confidence: how well the documents support an answer, in words

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 13:00:00

"well supported", "partly supported" or "not found", from the answer's evidence score and the
lines calibrated on squad-dev; raw scores meant nothing to the people reading them.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("questions", sa.Column("confidence", sa.String(20), nullable=True))


def downgrade() -> None:
    op.drop_column("questions", "confidence")
