"""check-in conflicts: offline scans the server could not take as the device did

Revision ID: 0010_checkin_conflicts
Revises: 0009_programme_outcomes
Create Date: 2026-12-06 12:20:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0010_checkin_conflicts"
down_revision = "0009_programme_outcomes"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "check_in_conflict",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("registration_id", sa.Integer(), nullable=True),
        sa.Column("session_id", sa.Integer(), nullable=True),
        sa.Column("checkin_id", sa.Integer(), nullable=True),
        sa.Column("result", sa.String(length=30), nullable=False),
        sa.Column("offline_result", sa.String(length=30), nullable=True),
        sa.Column("staff_id", sa.Integer(), nullable=True),
        sa.Column("device", sa.String(length=120), nullable=False),
        sa.Column("nonce", sa.String(length=64), nullable=False),
        sa.Column("scanned_at", sa.DateTime(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["checkin_id"], ["check_in.id"], name=op.f("fk_check_in_conflict_checkin_id_check_in")
        ),
        sa.ForeignKeyConstraint(
            ["event_id"], ["event.id"], name=op.f("fk_check_in_conflict_event_id_event")
        ),
        sa.ForeignKeyConstraint(
            ["registration_id"],
            ["registration.id"],
            name=op.f("fk_check_in_conflict_registration_id_registration"),
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["agenda_session.id"],
            name=op.f("fk_check_in_conflict_session_id_agenda_session"),
        ),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["user.id"], name=op.f("fk_check_in_conflict_staff_id_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_check_in_conflict")),
    )
    with op.batch_alter_table("check_in_conflict", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_check_in_conflict_event_id"), ["event_id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("check_in_conflict", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_check_in_conflict_event_id"))
    op.drop_table("check_in_conflict")
