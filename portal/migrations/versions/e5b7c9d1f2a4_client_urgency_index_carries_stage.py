"""The client + urgency index carries the stage, for the desk's client + stage filter

The desk lists a client's open applications in urgency order through
``ix_application_client_urgency``. With a stage filter as well, each index entry's stage had
to be read from its table row, scattered over the whole table at a million applications (one
row in four matches "interview"). With ``stage_id`` as the index's last column the stage is
checked on the index entry, and only the 50 listed rows are read (SQLite, 1,000,000
applications: 0.80 ms -> 0.60 ms; the order the index gives is unchanged).

Revision ID: e5b7c9d1f2a4
Revises: d4a8e2b6c1f3
Create Date: 2026-11-26 19:40:00

"""
from collections.abc import Sequence

from alembic import op

revision: str = 'e5b7c9d1f2a4'
down_revision: str | None = 'd4a8e2b6c1f3'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_URGENCY = ['client_id', 'is_open', 'promised_by', 'last_update_at', 'id']


def upgrade() -> None:
    with op.batch_alter_table('application', schema=None) as batch_op:
        batch_op.drop_index('ix_application_client_urgency')
        batch_op.create_index(
            'ix_application_client_urgency', [*_URGENCY, 'stage_id'], unique=False
        )
    _analyze()


def _analyze() -> None:
    # Statistics for the new index at once: without them SQLite's planner misjudged the
    # unfiltered desk at a million applications and scanned the whole table (1.1 s a page).
    op.execute('ANALYZE application')


def downgrade() -> None:
    with op.batch_alter_table('application', schema=None) as batch_op:
        batch_op.drop_index('ix_application_client_urgency')
        batch_op.create_index('ix_application_client_urgency', _URGENCY, unique=False)
    _analyze()
