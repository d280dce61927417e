"""update inbox: a partial index of what waits to be handled

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 11:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PENDING = sa.text("status = 'pending'")


def upgrade() -> None:
    # The start-up restore and the live instances' look for updates of a stopped one read
    # only these rows; the handled ones stay for days as the record of what was seen.
    op.create_index(
        "ix_update_inbox_pending",
        "update_inbox",
        ["bot_id", "update_id"],
        unique=False,
        sqlite_where=PENDING,
        postgresql_where=PENDING,
    )


def downgrade() -> None:
    op.drop_index("ix_update_inbox_pending", table_name="update_inbox")
