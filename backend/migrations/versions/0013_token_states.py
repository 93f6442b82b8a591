"""chunks.token_states: each passage's token states, stored when it is embedded

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04 12:00:00

The token match compared the question with the best sentences token by token by running the
encoder over those sentences and their neighbours at question time, about two thirds of a
question's time on a CPU without AVX-512. The passage's own encoder run at processing already
computes those states: they are now kept with the chunk (int8, about 390 bytes a token), and
the token match reads every retrieved sentence, and its whole passage, from them without an
encoder run. Chunks stored before this revision keep working (the encoder reads them whole at
question time, which is slower) and get their states from `python -m backend.cli
prepare-vectors` (run by `make run`) or `reindex`.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("chunks", sa.Column("token_states", sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    op.drop_column("chunks", "token_states")
