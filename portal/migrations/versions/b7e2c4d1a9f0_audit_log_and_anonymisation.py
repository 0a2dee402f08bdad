"""audit log and anonymisation

Revision ID: b7e2c4d1a9f0
Revises: 7eaf6de0a01a
Create Date: 2026-11-26 12:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = 'b7e2c4d1a9f0'
down_revision: str | None = '7eaf6de0a01a'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'auditevent',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('action', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column('actor_id', sa.Integer(), nullable=True),
        sa.Column('actor_label', sqlmodel.sql.sqltypes.AutoString(length=254), nullable=True),
        sa.Column('ip_address', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column('application_id', sa.Integer(), nullable=True),
        sa.Column('subject', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=True),
        sa.Column('detail', sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_auditevent')),
    )
    with op.batch_alter_table('auditevent', schema=None) as batch_op:
        batch_op.create_index('ix_auditevent_created', ['created_at', 'id'], unique=False)
        batch_op.create_index('ix_auditevent_actor', ['actor_id', 'id'], unique=False)
        batch_op.create_index('ix_auditevent_action', ['action', 'id'], unique=False)
        batch_op.create_index('ix_auditevent_application', ['application_id', 'id'], unique=False)

    with op.batch_alter_table('application', schema=None) as batch_op:
        batch_op.add_column(sa.Column('anonymised_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('application', schema=None) as batch_op:
        batch_op.drop_column('anonymised_at')
    with op.batch_alter_table('auditevent', schema=None) as batch_op:
        batch_op.drop_index('ix_auditevent_application')
        batch_op.drop_index('ix_auditevent_action')
        batch_op.drop_index('ix_auditevent_actor')
        batch_op.drop_index('ix_auditevent_created')
    op.drop_table('auditevent')
