"""The agent's workspace: internal notes on conversations, and each service's canned replies.

Revision ID: 0008
Revises: 0007
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "notes",
        sa.Column("id", BigId, primary_key=True),
        sa.Column(
            "conversation_id",
            sa.String(32),
            sa.ForeignKey("conversations.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("author_id", BigId, sa.ForeignKey("accounts.id"), nullable=True),
        sa.Column("author_name", sa.String(200), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_notes_conversation", "notes", ["conversation_id", "id"])
    op.create_table(
        "canned_replies",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("service_id", BigId, sa.ForeignKey("services.id", ondelete="CASCADE"), nullable=False),
        sa.Column("shortcut", sa.String(40), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("service_id", "shortcut", name="uq_canned_replies_shortcut"),
    )
    op.create_index("ix_canned_replies_service_id", "canned_replies", ["service_id"])


def downgrade() -> None:
    op.drop_table("canned_replies")
    op.drop_table("notes")
