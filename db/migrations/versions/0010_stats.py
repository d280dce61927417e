"""statistics: a request's region, a coordinator's figures region and digest, indexes

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 07:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("requests", schema=None) as batch_op:
        batch_op.add_column(sa.Column("region", sa.String(length=32), nullable=True))
        batch_op.create_index("ix_requests_created_at", ["created_at"], unique=False)
        batch_op.create_index("ix_requests_closed_at", ["closed_at"], unique=False)
        batch_op.create_index(
            "ix_requests_region_created_at", ["region", "created_at"], unique=False
        )
    # Requests made before this revision take the family's region as it is now: the
    # nearest thing to where they lived when they asked.
    op.execute(
        "UPDATE requests SET region = "
        "(SELECT people.region FROM people WHERE people.id = requests.person_id)"
    )
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.add_column(sa.Column("stats_region", sa.String(length=32), nullable=True))
        batch_op.add_column(
            sa.Column("stats_digest", sa.Boolean(), server_default="1", nullable=False)
        )
    with op.batch_alter_table("invites", schema=None) as batch_op:
        batch_op.add_column(sa.Column("region", sa.String(length=32), nullable=True))
    with op.batch_alter_table("follow_ups", schema=None) as batch_op:
        batch_op.create_index("ix_follow_ups_answered_at", ["answered_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("follow_ups", schema=None) as batch_op:
        batch_op.drop_index("ix_follow_ups_answered_at")
    with op.batch_alter_table("invites", schema=None) as batch_op:
        batch_op.drop_column("region")
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.drop_column("stats_digest")
        batch_op.drop_column("stats_region")
    with op.batch_alter_table("requests", schema=None) as batch_op:
        batch_op.drop_index("ix_requests_region_created_at")
        batch_op.drop_index("ix_requests_closed_at")
        batch_op.drop_index("ix_requests_created_at")
        batch_op.drop_column("region")
