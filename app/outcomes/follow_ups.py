"""Asking an assisted business for its outcomes, 3 and 12 months after it became assisted.

Sent by `expire-holds`. Each (programme, business, months) follow-up is claimed by inserting
its FollowUp row first (a primary-key conflict means another run already has it), so every
follow-up goes once whatever runs at the same moment. A business that is already past 12
months when first seen gets only the 12-month one.
"""

from __future__ import annotations

from datetime import date, datetime

from flask import render_template
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from app import mail
from app.auth.models import Role, User
from app.extensions import db
from app.outcomes.models import FollowUp
from app.outcomes.report import build_report
from app.outcomes.services import current_programme
from app.registration.emails import queue, url
from app.registration.models import EmailLog
from app.timeutil import to_local, utcnow

MONTHS = (3, 12)


def months_after(day: date, months: int) -> date:
    year, month = divmod(day.year * 12 + day.month - 1 + months, 12)
    month += 1
    for last in (31, 30, 29, 28):  # the same day, or the month's last if shorter
        try:
            return date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable")


def _claim(programme_id: int, organisation_id: int, months: int, now: datetime) -> bool:
    values = {"programme_id": programme_id, "organisation_id": organisation_id,
              "months": months, "sent_at": now}  # fmt: skip
    dialect = db.session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    table = FollowUp.__table__  # Core insert: RETURNING says whether the row was ours
    statement = insert(table).values(**values).on_conflict_do_nothing().returning(table.c.months)
    return db.session.execute(statement).first() is not None


def send_follow_ups(now: datetime | None = None) -> int:
    """Email the members of every assisted business whose 3- or 12-month follow-up is due
    (after COMMIT). Returns how many people were emailed. Idempotent."""
    now = now or utcnow()
    programme = current_programme()
    if programme is None:
        return 0
    today = to_local(now).date()
    sent = 0
    for row in build_report(programme).rows:
        if row.assisted_on is None:
            continue
        due = [m for m in MONTHS if months_after(row.assisted_on, m) <= today]
        if not due or not _claim(programme.id, row.organisation_id, due[-1], now):
            continue
        if due[-1] == 12:
            _claim(programme.id, row.organisation_id, 3, now)  # too late for the first one
        members = db.session.execute(
            select(User).where(
                User.organisation_id == row.organisation_id,
                User.role == Role.DELEGATE,
                User.active.is_(True),
            )
        ).scalars()
        for user in members:
            ctx = {"user": user, "business": row.name, "programme": programme,
                   "months": due[-1], "assisted_on": row.assisted_on,
                   "outcomes_url": url("business.outcomes")}  # fmt: skip
            subject = f"{row.name}: what has changed since the programme's support?"
            queue(mail.build_message(
                user.email, subject, render_template("outcomes/email/follow_up.txt", **ctx)
            ))  # fmt: skip
            db.session.add(EmailLog(to=user.email, subject=subject, kind="outcome_follow_up"))
            sent += 1
    db.session.flush()
    return sent
