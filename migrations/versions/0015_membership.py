"""membership granted, never claimed: requests to join, business admins, verified domains,
businesses the programme has seen

Revision ID: 0015_membership
Revises: 0014_api_tokens
Create Date: 2026-12-06 12:36:35.069279

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0015_membership"
down_revision = "0014_api_tokens"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "membership_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("given_name", sa.String(length=200), nullable=True),
        sa.Column("given_number", sa.String(length=8), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["decided_by_id"], ["user.id"], name=op.f("fk_membership_request_decided_by_id_user")
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_membership_request_organisation_id_organisation"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_membership_request_user_id_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_membership_request")),
    )
    with op.batch_alter_table("membership_request", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_membership_request_organisation_id"), ["organisation_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_membership_request_status"), ["status"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_membership_request_user_id"), ["user_id"], unique=False
        )

    with op.batch_alter_table("organisation", schema=None) as batch_op:
        batch_op.add_column(sa.Column("verified_domain", sa.String(length=253), nullable=True))
        batch_op.add_column(sa.Column("verified_at", sa.DateTime(), nullable=True))

    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("is_business_admin", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    # Every business's first member (its earliest account) becomes its admin, as the first
    # member of a new business is from now on.
    user = sa.table(
        "user",
        sa.column("id", sa.Integer),
        sa.column("organisation_id", sa.Integer),
        sa.column("is_business_admin", sa.Boolean),
    )
    first = (
        sa.select(sa.func.min(user.c.id))
        .where(user.c.organisation_id.is_not(None))
        .group_by(user.c.organisation_id)
    )
    op.execute(user.update().where(user.c.id.in_(first)).values(is_business_admin=True))


def downgrade():
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.drop_column("is_business_admin")

    with op.batch_alter_table("organisation", schema=None) as batch_op:
        batch_op.drop_column("verified_at")
        batch_op.drop_column("verified_domain")

    with op.batch_alter_table("membership_request", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_membership_request_user_id"))
        batch_op.drop_index(batch_op.f("ix_membership_request_status"))
        batch_op.drop_index(batch_op.f("ix_membership_request_organisation_id"))

    op.drop_table("membership_request")
