"""due work by target

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 18:21:17.993936
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('due_work', schema=None) as batch_op:
        batch_op.create_index('ix_due_work_target_kind', ['target_id', 'kind'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('due_work', schema=None) as batch_op:
        batch_op.drop_index('ix_due_work_target_kind')

