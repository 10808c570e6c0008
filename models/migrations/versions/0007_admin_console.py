"""What the admin console edits: a service's AI, reminder delay, flag kinds and trigger phrases, its
archiving; API key labels and last use; accounts' last visit and preferences.

Existing services keep answering as before (`answered_by` NULL means: a bot URL, else the configured model,
else the knowledge folder) and remind after 60 seconds.

Revision ID: 0007
Revises: 0006
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("services") as batch:
        batch.add_column(sa.Column("answered_by", sa.String(16), nullable=True))
        batch.add_column(sa.Column("remind_after_seconds", sa.Integer(), nullable=False, server_default="60"))
        batch.add_column(sa.Column("disabled_flags", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("help_phrases", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("archived_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("accounts") as batch:
        batch.add_column(sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("preferences", sa.JSON(), nullable=True))
    with op.batch_alter_table("api_keys") as batch:
        batch.add_column(sa.Column("label", sa.String(100), nullable=True))
        batch.add_column(sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("api_keys") as batch:
        batch.drop_column("last_used_at")
        batch.drop_column("label")
    with op.batch_alter_table("accounts") as batch:
        batch.drop_column("preferences")
        batch.drop_column("last_seen_at")
    with op.batch_alter_table("services") as batch:
        for column in ("archived_at", "help_phrases", "disabled_flags", "remind_after_seconds"):
            batch.drop_column(column)
        batch.drop_column("answered_by")
