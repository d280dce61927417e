"""drafts, discreet mode, request contact, sent messages

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 16:23:09.250124
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Existing rows get the defaults: no discreet mode, check-ins on, contact by chat.
    op.create_table('sent_messages',
    sa.Column('chat_id', sa.BigInteger(), nullable=False),
    sa.Column('message_id', sa.BigInteger(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('chat_id', 'message_id', name=op.f('pk_sent_messages'))
    )
    with op.batch_alter_table('sent_messages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sent_messages_at'), ['at'], unique=False)

    op.create_table('drafts',
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('request', 'assessment', name='draftkind', native_enum=False, length=24), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('reminded_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_drafts_person_id_people'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('person_id', 'kind', name=op.f('pk_drafts'))
    )
    with op.batch_alter_table('assessments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('result', sa.JSON(), nullable=False, server_default=sa.text("'{}'")))

    with op.batch_alter_table('people', schema=None) as batch_op:
        batch_op.add_column(sa.Column('district', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('discreet', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('checkins_paused', sa.Boolean(), nullable=False, server_default=sa.false()))

    with op.batch_alter_table('requests', schema=None) as batch_op:
        batch_op.add_column(sa.Column('contact_method', sa.Enum('chat', 'call', 'visit', name='contactmethod', native_enum=False, length=24), nullable=False, server_default='chat'))
        batch_op.add_column(sa.Column('contact_time', sa.Enum('morning', 'day', 'evening', 'any', name='contacttime', native_enum=False, length=24), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('requests', schema=None) as batch_op:
        batch_op.drop_column('contact_time')
        batch_op.drop_column('contact_method')

    with op.batch_alter_table('people', schema=None) as batch_op:
        batch_op.drop_column('checkins_paused')
        batch_op.drop_column('discreet')
        batch_op.drop_column('district')

    with op.batch_alter_table('assessments', schema=None) as batch_op:
        batch_op.drop_column('result')

    op.drop_table('drafts')
    with op.batch_alter_table('sent_messages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sent_messages_at'))

    op.drop_table('sent_messages')
