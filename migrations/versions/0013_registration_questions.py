"""registration questions: questions per event, each registration's answers, and the
cut-off for changing them

Revision ID: 0013_registration_questions
Revises: 0012_calendar_uids
Create Date: 2026-12-06 12:50:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0013_registration_questions"
down_revision = "0012_calendar_uids"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "registration_question",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("help_text", sa.Text(), nullable=False),
        sa.Column("required", sa.Boolean(), nullable=False),
        sa.Column("choices", sa.JSON(), nullable=False),
        sa.Column("allow_other", sa.Boolean(), nullable=False),
        sa.Column("link_url", sa.String(length=500), nullable=False),
        sa.Column("terms_text", sa.Text(), nullable=False),
        sa.Column("sensitive", sa.Boolean(), nullable=False),
        sa.Column("ticket_type_ids", sa.JSON(), nullable=False),
        sa.Column("preset", sa.String(length=20), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"], ["event.id"], name=op.f("fk_registration_question_event_id_event")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registration_question")),
    )
    with op.batch_alter_table("registration_question", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_registration_question_event_id"), ["event_id"], unique=False
        )
    op.create_table(
        "registration_answer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("registration_id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column("value", sa.JSON(), nullable=False),
        sa.Column("other", sa.String(length=200), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["question_id"],
            ["registration_question.id"],
            name=op.f("fk_registration_answer_question_id_registration_question"),
        ),
        sa.ForeignKeyConstraint(
            ["registration_id"],
            ["registration.id"],
            name=op.f("fk_registration_answer_registration_id_registration"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registration_answer")),
        sa.UniqueConstraint(
            "registration_id",
            "question_id",
            name=op.f("uq_registration_answer_registration_id_question_id"),
        ),
    )
    with op.batch_alter_table("registration_answer", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_registration_answer_question_id"), ["question_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_registration_answer_registration_id"),
            ["registration_id"],
            unique=False,
        )
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.add_column(sa.Column("answers_editable_until", sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.drop_column("answers_editable_until")
    op.drop_table("registration_answer")
    op.drop_table("registration_question")
