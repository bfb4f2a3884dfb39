"""agenda versions: the published agenda's change log

Revision ID: 0003_agenda_versions
Revises: 0002_event_reminders
Create Date: 2026-11-22 07:52:57.110664

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0003_agenda_versions"
down_revision = "0002_event_reminders"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "agenda_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("published_at", sa.DateTime(), nullable=False),
        sa.Column("published_by_id", sa.Integer(), nullable=True),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"], ["event.id"], name=op.f("fk_agenda_version_event_id_event")
        ),
        sa.ForeignKeyConstraint(
            ["published_by_id"], ["user.id"], name=op.f("fk_agenda_version_published_by_id_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agenda_version")),
        sa.UniqueConstraint("event_id", "number", name=op.f("uq_agenda_version_event_id_number")),
    )
    with op.batch_alter_table("agenda_version", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_agenda_version_event_id"), ["event_id"], unique=False)


def downgrade():
    with op.batch_alter_table("agenda_version", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_agenda_version_event_id"))

    op.drop_table("agenda_version")
