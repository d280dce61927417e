"""queues: links, staff, triage, due work

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 16:49:37.250621
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Queues are content now (content/queues.toml); the database keeps only what changes at
    # run time: which group serves a queue, who works in it and who is on duty.
    op.create_table('due_work',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('route', 'sla_remind', 'sla_escalate', name='workkind', native_enum=False, length=24), nullable=False),
    sa.Column('target_id', sa.BigInteger(), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.Enum('pending', 'working', 'done', 'failed', 'cancelled', name='workstatus', native_enum=False, length=24), nullable=False),
    sa.Column('owner', sa.String(length=64), nullable=True),
    sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_due_work'))
    )
    with op.batch_alter_table('due_work', schema=None) as batch_op:
        batch_op.create_index('ix_due_work_status_due_at', ['status', 'due_at'], unique=False)

    op.create_table('queue_links',
    sa.Column('queue_key', sa.String(length=64), nullable=False),
    sa.Column('chat_id', sa.BigInteger(), nullable=False),
    sa.Column('forum', sa.Boolean(), nullable=False),
    sa.Column('linked_by', sa.Integer(), nullable=True),
    sa.Column('linked_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['linked_by'], ['people.id'], name=op.f('fk_queue_links_linked_by_people'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('queue_key', name=op.f('pk_queue_links'))
    )
    with op.batch_alter_table('queue_links', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_queue_links_chat_id'), ['chat_id'], unique=False)

    op.create_table('queue_staff',
    sa.Column('queue_key', sa.String(length=64), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('on_duty', sa.Boolean(), nullable=False),
    sa.Column('added_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_queue_staff_person_id_people'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('queue_key', 'person_id', name=op.f('pk_queue_staff'))
    )
    with op.batch_alter_table('queue_staff', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_queue_staff_person_id'), ['person_id'], unique=False)

    with op.batch_alter_table('invites', schema=None) as batch_op:
        batch_op.add_column(sa.Column('queue_key', sa.String(length=64), nullable=True))
        batch_op.drop_constraint(batch_op.f('fk_invites_queue_id_service_queues'), type_='foreignkey')
        batch_op.drop_column('queue_id')

    with op.batch_alter_table('people', schema=None) as batch_op:
        batch_op.drop_column('on_duty')

    with op.batch_alter_table('requests', schema=None) as batch_op:
        batch_op.add_column(sa.Column('queue_key', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('priority', sa.Enum('urgent', 'high', 'normal', name='priority', native_enum=False, length=24), nullable=False, server_default='normal'))
        batch_op.add_column(sa.Column('triage', sa.JSON(), nullable=False, server_default=sa.text("'[]'")))
        batch_op.add_column(sa.Column('staff_chat_id', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('card_message_id', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('sla_due_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('first_response_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('child_status', sa.Enum('at_home', 'temporarily_placed', 'not_at_home', 'unknown', name='childstatus', native_enum=False, length=24), nullable=True))
        batch_op.add_column(sa.Column('rating', sa.Integer(), nullable=True))
        batch_op.drop_index(batch_op.f('ix_requests_queue_status_urgency'))
        batch_op.create_index('ix_requests_queue_status_priority', ['queue_key', 'status', 'priority'], unique=False)
        batch_op.drop_constraint(batch_op.f('fk_requests_queue_id_service_queues'), type_='foreignkey')
        batch_op.drop_column('queue_id')

    # Last: the tables above referred to these.
    with op.batch_alter_table('queue_members', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_queue_members_person_id'))

    op.drop_table('queue_members')
    op.drop_table('service_queues')


def downgrade() -> None:
    op.create_table('service_queues',
    sa.Column('id', sa.INTEGER(), nullable=False),
    sa.Column('code', sa.VARCHAR(length=64), nullable=False),
    sa.Column('help_kind', sa.VARCHAR(length=24), nullable=False),
    sa.Column('region', sa.VARCHAR(length=32), nullable=True),
    sa.Column('staff_chat_id', sa.BIGINT(), nullable=True),
    sa.Column('is_active', sa.BOOLEAN(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_service_queues')),
    sa.UniqueConstraint('code', name=op.f('uq_service_queues_code'))
    )
    with op.batch_alter_table('requests', schema=None) as batch_op:
        batch_op.add_column(sa.Column('queue_id', sa.INTEGER(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_requests_queue_id_service_queues'), 'service_queues', ['queue_id'], ['id'], ondelete='SET NULL')
        batch_op.drop_index('ix_requests_queue_status_priority')
        batch_op.create_index(batch_op.f('ix_requests_queue_status_urgency'), ['queue_id', 'status', 'urgency'], unique=False)
        batch_op.drop_column('rating')
        batch_op.drop_column('child_status')
        batch_op.drop_column('first_response_at')
        batch_op.drop_column('sla_due_at')
        batch_op.drop_column('card_message_id')
        batch_op.drop_column('staff_chat_id')
        batch_op.drop_column('triage')
        batch_op.drop_column('priority')
        batch_op.drop_column('queue_key')

    with op.batch_alter_table('people', schema=None) as batch_op:
        batch_op.add_column(sa.Column('on_duty', sa.BOOLEAN(), nullable=False, server_default=sa.false()))

    with op.batch_alter_table('invites', schema=None) as batch_op:
        batch_op.add_column(sa.Column('queue_id', sa.INTEGER(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_invites_queue_id_service_queues'), 'service_queues', ['queue_id'], ['id'], ondelete='CASCADE')
        batch_op.drop_column('queue_key')

    op.create_table('queue_members',
    sa.Column('queue_id', sa.INTEGER(), nullable=False),
    sa.Column('person_id', sa.INTEGER(), nullable=False),
    sa.Column('is_lead', sa.BOOLEAN(), nullable=False),
    sa.Column('added_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_queue_members_person_id_people'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['queue_id'], ['service_queues.id'], name=op.f('fk_queue_members_queue_id_service_queues'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('queue_id', 'person_id', name=op.f('pk_queue_members'))
    )
    with op.batch_alter_table('queue_members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_queue_members_person_id'), ['person_id'], unique=False)

    with op.batch_alter_table('queue_staff', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_queue_staff_person_id'))

    op.drop_table('queue_staff')
    with op.batch_alter_table('queue_links', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_queue_links_chat_id'))

    op.drop_table('queue_links')
    with op.batch_alter_table('due_work', schema=None) as batch_op:
        batch_op.drop_index('ix_due_work_status_due_at')

    op.drop_table('due_work')
