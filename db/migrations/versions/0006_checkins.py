"""check-ins

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 17:07:55.664651
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Check-ins are scheduled by due_work items now; a follow-up row is the check-in itself.
    with op.batch_alter_table('due_work', schema=None) as batch_op:
        batch_op.add_column(sa.Column('person_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('payload', sa.JSON(), nullable=False, server_default=sa.text("'{}'")))
        batch_op.create_index(batch_op.f('ix_due_work_person_id'), ['person_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_due_work_person_id_people'), 'people', ['person_id'], ['id'], ondelete='CASCADE')

    with op.batch_alter_table('follow_ups', schema=None) as batch_op:
        batch_op.add_column(sa.Column('step', sa.Integer(), nullable=False, server_default='0'))
        batch_op.drop_column('attempts')
        batch_op.drop_column('claimed_at')
        batch_op.drop_column('owner')



def downgrade() -> None:
    with op.batch_alter_table('follow_ups', schema=None) as batch_op:
        batch_op.add_column(sa.Column('owner', sa.VARCHAR(length=64), nullable=True))
        batch_op.add_column(sa.Column('claimed_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('attempts', sa.INTEGER(), nullable=False, server_default='0'))
        batch_op.drop_column('step')

    with op.batch_alter_table('due_work', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_due_work_person_id_people'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_due_work_person_id'))
        batch_op.drop_column('payload')
        batch_op.drop_column('person_id')

