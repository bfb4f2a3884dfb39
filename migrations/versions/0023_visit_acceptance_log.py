"""visit acceptance log: every acceptance of a visit's brief and terms, not only the latest

Revision ID: 0023_visit_acceptance_log
Revises: 0022_announcement_edits
Create Date: 2026-12-06 22:10:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0023_visit_acceptance_log"
down_revision = "0022_announcement_edits"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "visit_acceptance_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("registration_id", sa.Integer(), nullable=False),
        sa.Column("terms_id", sa.Integer(), nullable=True),
        sa.Column("terms_version", sa.Integer(), nullable=True),
        sa.Column("accepted_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["registration_id"], ["registration.id"],
            name=op.f("fk_visit_acceptance_log_registration_id_registration"),
        ),
        sa.ForeignKeyConstraint(
            ["terms_id"], ["visit_terms.id"],
            name=op.f("fk_visit_acceptance_log_terms_id_visit_terms"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_visit_acceptance_log")),
    )  # fmt: skip
    with op.batch_alter_table("visit_acceptance_log", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_visit_acceptance_log_registration_id"), ["registration_id"]
        )
    # The acceptances kept so far (each registration's latest) start the log.
    op.execute(
        "INSERT INTO visit_acceptance_log (registration_id, terms_id, terms_version, accepted_at)"
        " SELECT registration_id, terms_id, terms_version, accepted_at FROM visit_acceptance"
    )


def downgrade():
    with op.batch_alter_table("visit_acceptance_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_visit_acceptance_log_registration_id"))
    op.drop_table("visit_acceptance_log")
