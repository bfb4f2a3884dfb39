"""registration questions: the access-needs question's help no longer says only the organisers
see the answer (the form now says who does, per event: the door, and a site visit's host)

Revision ID: 0024_access_question_help
Revises: 0023_visit_acceptance_log
Create Date: 2026-12-06 22:45:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0024_access_question_help"
down_revision = "0023_visit_acceptance_log"
branch_labels = None
depends_on = None

BEFORE = (
    "Anything that would help you take part: step-free access, a hearing loop, seating, a "
    "quiet room, a companion. Only the organisers see this."
)
AFTER = (
    "Anything that would help you take part: step-free access, a hearing loop, seating, a "
    "quiet room, a companion."
)


def _replace(old: str, new: str) -> None:
    # Only questions still worded as the preset made them: an organiser's own wording stays.
    op.execute(
        sa.text(
            "UPDATE registration_question SET help_text = :new "
            "WHERE preset = 'access' AND help_text = :old"
        ).bindparams(old=old, new=new)
    )


def upgrade():
    _replace(BEFORE, AFTER)


def downgrade():
    _replace(AFTER, BEFORE)
