"""The rule or signals of the detector that raised a flag.

`attention_flags.rule` is NULL for flags raised otherwise (Thumbs Down, the Talk to a human button, a bot's
own `answered: false`) and for flags older than this revision. A flag closed as "not_needed" keeps it, so
`main.py detection export-false-alarms` reads the false alarms from the flags.

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


def downgrade() -> None:
    with op.batch_alter_table("attention_flags") as batch:
        batch.drop_column("rule")
