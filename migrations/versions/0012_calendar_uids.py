"""calendar uids: stored per event and session; existing ones keep their @journey form

Revision ID: 0012_calendar_uids
Revises: 0011_login_sessions
Create Date: 2026-12-06 12:45:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0012_calendar_uids"
down_revision = "0011_login_sessions"
branch_labels = None
depends_on = None


def upgrade():
    # Added nullable with a unique index: on SQLite anything more would rebuild the tables.
    for table in ("event", "agenda_session"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("calendar_uid", sa.String(length=255), nullable=True))
    # The UIDs subscribers' calendars already hold, exactly as the feeds wrote them.
    op.execute("UPDATE event SET calendar_uid = 'event-' || CAST(id AS VARCHAR(20)) || '@journey'")
    op.execute("UPDATE agenda_session SET calendar_uid = uid || '@journey'")
    for table in ("event", "agenda_session"):
        op.create_index(op.f(f"ix_{table}_calendar_uid"), table, ["calendar_uid"], unique=True)


def downgrade():
    for table in ("event", "agenda_session"):
        op.drop_index(op.f(f"ix_{table}_calendar_uid"), table_name=table)
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("calendar_uid")
