"""Insert sentinels on messages and attention flags.

SQLite does not promise the order of the rows an INSERT ... RETURNING gives back, so without a sentinel
SQLAlchemy writes a batch of messages one INSERT at a time. The sentinel (a number SQLAlchemy fills in per
batch) lets one INSERT carry the whole batch (see SQLAlchemy's "insertmanyvalues" sentinel columns).

Revision ID: 0005
Revises: 0004
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("messages", "attention_flags")


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("_sentinel", sa.Integer(), nullable=True))


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("_sentinel")
