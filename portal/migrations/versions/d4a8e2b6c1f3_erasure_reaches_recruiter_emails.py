"""Erasure reaches the recruiter's emails about a candidate, webhook events and API answers

``outboxmessage.about_application_id`` ties a recruiter's email quoting a candidate (their
question, their withdrawal) to the application, so an erasure empties it too; indexes let the
erasure find webhook deliveries by application and let idempotency records expire by age.

Revision ID: d4a8e2b6c1f3
Revises: c3f9a1d27e58
Create Date: 2026-11-26 16:20:00

"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'd4a8e2b6c1f3'
down_revision: str | None = 'c3f9a1d27e58'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('outboxmessage', schema=None) as batch_op:
        batch_op.add_column(sa.Column('about_application_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f('fk_outboxmessage_about_application_id_application'),
            'application', ['about_application_id'], ['id'],
        )
        batch_op.create_index('ix_outboxmessage_about', ['about_application_id'], unique=False)
    with op.batch_alter_table('webhookdelivery', schema=None) as batch_op:
        batch_op.create_index(
            'ix_webhookdelivery_application', ['application_id'], unique=False
        )
    with op.batch_alter_table('idempotencyrecord', schema=None) as batch_op:
        batch_op.create_index('ix_idempotencyrecord_created_at', ['created_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('idempotencyrecord', schema=None) as batch_op:
        batch_op.drop_index('ix_idempotencyrecord_created_at')
    with op.batch_alter_table('webhookdelivery', schema=None) as batch_op:
        batch_op.drop_index('ix_webhookdelivery_application')
    with op.batch_alter_table('outboxmessage', schema=None) as batch_op:
        batch_op.drop_index('ix_outboxmessage_about')
        batch_op.drop_constraint(
            batch_op.f('fk_outboxmessage_about_application_id_application'), type_='foreignkey'
        )
        batch_op.drop_column('about_application_id')
