"""organisation: the business's consent to show its benchmark band to the hosts of site visits it applies to, and who gave or withdrew it, when

Revision ID: 0021_band_sharing
Revises: 0020_announcement_schedule
Create Date: 2026-12-06 16:30:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0021_band_sharing"
down_revision = "0020_announcement_schedule"
branch_labels = None
depends_on = None


def upgrade():
    # Off for every business already here: sharing needs an admin's say.
    with op.batch_alter_table("organisation", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("shares_band", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(sa.Column("band_sharing_changed_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("band_sharing_changed_by_id", sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table("organisation", schema=None) as batch_op:
        batch_op.drop_column("band_sharing_changed_by_id")
        batch_op.drop_column("band_sharing_changed_at")
        batch_op.drop_column("shares_band")
