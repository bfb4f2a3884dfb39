"""benchmark renewals: when a business was told its benchmark is about to run out

Revision ID: 0008_benchmark_renewals
Revises: 0007_event_sequence
Create Date: 2026-11-29 18:15:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0008_benchmark_renewals"
down_revision = "0007_event_sequence"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("benchmark_response", schema=None) as batch_op:
        batch_op.add_column(sa.Column("renewal_reminded_at", sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table("benchmark_response", schema=None) as batch_op:
        batch_op.drop_column("renewal_reminded_at")
