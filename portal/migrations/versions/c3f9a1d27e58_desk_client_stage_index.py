"""The desk's client + stage filter: an index that counts its matches without a table scan

Revision ID: c3f9a1d27e58
Revises: b7e2c4d1a9f0
Create Date: 2026-11-26 12:50:00

"""
from collections.abc import Sequence

from alembic import op

revision: str = 'c3f9a1d27e58'
down_revision: str | None = 'b7e2c4d1a9f0'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('application', schema=None) as batch_op:
        batch_op.create_index(
            'ix_application_client_stage', ['client_id', 'stage_id', 'is_open'], unique=False
        )
    # Fresh statistics, so the planner weighs the new index against the urgency indexes
    # correctly (without them SQLite may pick it for the unfiltered desk and sort a million rows).
    op.execute('ANALYZE application')


def downgrade() -> None:
    with op.batch_alter_table('application', schema=None) as batch_op:
        batch_op.drop_index('ix_application_client_stage')
