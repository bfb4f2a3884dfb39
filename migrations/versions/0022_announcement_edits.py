"""announcements: who last changed a scheduled announcement, and when

Revision ID: 0022_announcement_edits
Revises: 0021_band_sharing
Create Date: 2026-12-06 22:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0022_announcement_edits"
down_revision = "0021_band_sharing"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("announcement", schema=None) as batch_op:
        batch_op.add_column(sa.Column("edited_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("edited_by_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            op.f("fk_announcement_edited_by_id_user"), "user", ["edited_by_id"], ["id"]
        )


def downgrade():
    with op.batch_alter_table("announcement", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("fk_announcement_edited_by_id_user"), type_="foreignkey")
        batch_op.drop_column("edited_by_id")
        batch_op.drop_column("edited_at")
