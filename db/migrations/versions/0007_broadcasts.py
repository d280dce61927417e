"""broadcasts

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 17:46:19.571830
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('broadcasts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('text_en', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('media_kind', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('media_file_id', sa.String(length=256), nullable=True))
        batch_op.add_column(sa.Column('button_text', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('button_url', sa.String(length=512), nullable=True))
        batch_op.add_column(sa.Column('progress_chat_id', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('progress_message_id', sa.BigInteger(), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('broadcasts', schema=None) as batch_op:
        batch_op.drop_column('progress_message_id')
        batch_op.drop_column('progress_chat_id')
        batch_op.drop_column('button_url')
        batch_op.drop_column('button_text')
        batch_op.drop_column('media_file_id')
        batch_op.drop_column('media_kind')
        batch_op.drop_column('text_en')

