"""event reminders: when each registration's reminder was sent

Revision ID: 0002_event_reminders
Revises: 0001_initial
Create Date: 2026-11-22 09:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0002_event_reminders"
down_revision = "0001_initial"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("registration", schema=None) as batch_op:
        batch_op.add_column(sa.Column("event_reminder_sent_at", sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table("registration", schema=None) as batch_op:
        batch_op.drop_column("event_reminder_sent_at")
