"""announcements: a status and a time, so an announcement can be scheduled and cancelled

Revision ID: 0020_announcement_schedule
Revises: 0019_visit_safety_brief
Create Date: 2026-12-06 15:20:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0020_announcement_schedule"
down_revision = "0019_visit_safety_brief"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("announcement", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("status", sa.String(length=10), server_default="sent", nullable=False)
        )
        batch_op.add_column(sa.Column("scheduled_for", sa.DateTime(), nullable=True))
        batch_op.alter_column("sent_at", existing_type=sa.DateTime(), nullable=True)


def downgrade():
    op.execute("DELETE FROM announcement WHERE sent_at IS NULL")
    with op.batch_alter_table("announcement", schema=None) as batch_op:
        batch_op.alter_column("sent_at", existing_type=sa.DateTime(), nullable=False)
        batch_op.drop_column("scheduled_for")
        batch_op.drop_column("status")
