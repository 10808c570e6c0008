"""Detector rules on flags, and false alarms: flags an agent marked "Not needed".

`attention_flags.rule` keeps which rule or signals of the detector fired (NULL for flags raised otherwise
and for flags older than this revision). `false_alarms` keeps the text each "Not needed" flag fired on, for
`main.py detection export-false-alarms`.

Revision ID: 0006
Revises: 0005
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("attention_flags") as batch:
        batch.add_column(sa.Column("rule", sa.Text(), nullable=True))
    big_id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
    op.create_table(
        "false_alarms",
        sa.Column("id", big_id, primary_key=True),
        sa.Column(
            "flag_id",
            big_id,
            sa.ForeignKey("attention_flags.id", ondelete="CASCADE"),
            nullable=False,
            unique=True,
        ),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("role", sa.String(10), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("rule", sa.Text(), nullable=True),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("conversation_id", sa.String(32), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("account_id", big_id, sa.ForeignKey("accounts.id"), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_false_alarms_kind", "false_alarms", ["kind"])


def downgrade() -> None:
    op.drop_index("ix_false_alarms_kind", table_name="false_alarms")
    op.drop_table("false_alarms")
    with op.batch_alter_table("attention_flags") as batch:
        batch.drop_column("rule")
