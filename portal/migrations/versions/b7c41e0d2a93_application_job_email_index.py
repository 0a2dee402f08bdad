"""an index on (job_id, lower(email)) for the duplicate check of new applications

Every new application (the desk's form, the CLI, each row of a CSV import) first looks for an
application with the same email in the same job, case-insensitively. Without an index on the
lower-cased email that lookup reads every application of the job, which made a 10,000-row
import quadratic.

Revision ID: b7c41e0d2a93
Revises: 7eaf6de0a01a
Create Date: 2026-11-26 12:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'b7c41e0d2a93'
down_revision: str | None = '7eaf6de0a01a'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        'ix_application_job_email', 'application', ['job_id', sa.text('lower(email)')]
    )


def downgrade() -> None:
    op.drop_index('ix_application_job_email', table_name='application')
