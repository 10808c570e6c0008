"""A service's external bot: the URL its customer messages are posted to, and the signing secret.

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("services") as batch:
        batch.add_column(sa.Column("bot_url", sa.Text(), nullable=True))
        batch.add_column(sa.Column("bot_secret", sa.String(length=100), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("services") as batch:
        batch.drop_column("bot_secret")
        batch.drop_column("bot_url")
