"""Indexes for the reports: the rated messages, the AI's answers and the agents' replies (partial: only the
rows a report counts, with what it counts in the index, so a report reads no message row), and the
take-overs and the recent failed logins (login throttling) in the audit log.

With 100,000 conversations and 1,000,000 messages (bench/history.py, SQLite), a report of 365 days read every
message twice: 360 ms for the ratings, 480 ms for the answers per specialist agent; with these, 18 ms and
280 ms.

Revision ID: 0010
Revises: 0009
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

RATED = sa.text("rating IS NOT NULL")
AI = sa.text("role = 'ai'")
HUMAN = sa.text("role = 'human'")


def upgrade() -> None:
    op.create_index(
        "ix_messages_rated",
        "messages",
        ["conversation_id", "rating"],
        sqlite_where=RATED,
        postgresql_where=RATED,
    )
    op.create_index(
        "ix_messages_ai_answers",
        "messages",
        ["conversation_id", "role", "answered"],
        sqlite_where=AI,
        postgresql_where=AI,
    )
    op.create_index(
        "ix_messages_human",
        "messages",
        ["conversation_id", "created_at"],
        sqlite_where=HUMAN,
        postgresql_where=HUMAN,
    )
    op.create_index("ix_audit_action", "audit_log", ["action", "conversation_id", "at"])
    op.create_index("ix_audit_action_at", "audit_log", ["action", "at"])  # recent failed logins


def downgrade() -> None:
    op.drop_index("ix_audit_action_at", table_name="audit_log")
    op.drop_index("ix_audit_action", table_name="audit_log")
    op.drop_index("ix_messages_human", table_name="messages")
    op.drop_index("ix_messages_ai_answers", table_name="messages")
    op.drop_index("ix_messages_rated", table_name="messages")
