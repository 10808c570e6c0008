"""The chat widget: per service, the sites that may embed its chat, the widget's colour and greeting, and
signed identities (a secret for the host's server to sign `Handoff.identify` with).

Revision ID: 0012
Revises: 0011
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | Sequence[str] | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("services") as batch:
        batch.add_column(sa.Column("allowed_origins", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("widget_color", sa.String(7), nullable=True))
        batch.add_column(sa.Column("widget_greeting", sa.Text(), nullable=True))
        batch.add_column(sa.Column("identity_secret", sa.String(100), nullable=True))
        batch.add_column(
            sa.Column("signed_identity", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("services") as batch:
        for column in (
            "signed_identity",
            "identity_secret",
            "widget_greeting",
            "widget_color",
            "allowed_origins",
        ):
            batch.drop_column(column)
