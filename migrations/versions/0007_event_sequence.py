"""event sequence: calendar SEQUENCE of an event's own entries

Revision ID: 0007_event_sequence
Revises: 0006_feedback_invitations
Create Date: 2026-11-29 18:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0007_event_sequence"
down_revision = "0006_feedback_invitations"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("sequence", sa.Integer(), nullable=False, server_default="0")
        )


def downgrade():
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.drop_column("sequence")
