"""email log user: each logged email names the person it was for

Revision ID: 0017_email_log_user
Revises: 0016_webhooks
Create Date: 2026-12-06 13:46:22.168425

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0017_email_log_user"
down_revision = "0016_webhooks"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("email_log", schema=None) as batch_op:
        batch_op.add_column(sa.Column("user_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_email_log_user_id"), ["user_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_email_log_user_id_user"), "user", ["user_id"], ["id"]
        )
    # Earlier rows: the account that holds the address, else the registration's holder.
    log = sa.table(
        "email_log",
        sa.column("user_id", sa.Integer),
        sa.column("to", sa.String),
        sa.column("registration_id", sa.Integer),
    )
    user = sa.table("user", sa.column("id", sa.Integer), sa.column("email", sa.String))
    registration = sa.table(
        "registration", sa.column("id", sa.Integer), sa.column("user_id", sa.Integer)
    )
    by_address = sa.select(user.c.id).where(user.c.email == log.c.to).scalar_subquery()
    by_registration = (
        sa.select(registration.c.user_id)
        .where(registration.c.id == log.c.registration_id)
        .scalar_subquery()
    )
    op.execute(log.update().values(user_id=sa.func.coalesce(by_address, by_registration)))


def downgrade():
    with op.batch_alter_table("email_log", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_email_log_user_id_user"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_email_log_user_id"))
        batch_op.drop_column("user_id")
