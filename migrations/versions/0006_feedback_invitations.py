"""feedback invitations: who has been asked for feedback

Revision ID: 0006_feedback_invitations
Revises: 0005_feedback
Create Date: 2026-11-22 08:48:19.514778

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0006_feedback_invitations"
down_revision = "0005_feedback"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "feedback_invitation",
        sa.Column("registration_id", sa.Integer(), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["registration_id"],
            ["registration.id"],
            name=op.f("fk_feedback_invitation_registration_id_registration"),
        ),
        sa.PrimaryKeyConstraint("registration_id", name=op.f("pk_feedback_invitation")),
    )


def downgrade():
    op.drop_table("feedback_invitation")
