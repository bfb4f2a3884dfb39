"""Scheduled announcements: written now, sent when their time comes, changeable and
cancellable until then.

A scheduled announcement is a row with a time; nothing is queued for it until it falls due.
Then one conditional UPDATE (still scheduled, and due) claims it and the same transaction
queues its emails to the group as it is at that moment, so two workers (or a worker and the
cron command) that run at once send it once: the second finds nothing left to claim.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import update

from app.auth.models import User
from app.events.models import Event
from app.extensions import db
from app.messages.models import CANCELLED, SCHEDULED, SENT, Announcement
from app.messages.services import (
    MessageError,
    already_made,
    group_size,
    new_announcement,
    queue_emails,
)
from app.timeutil import to_local, utcnow

# Far enough for a programme's whole year; a date beyond is almost surely a typing slip.
LONGEST_WAIT = timedelta(days=366)


def _check_time(send_at: datetime, now: datetime) -> None:
    if send_at <= now:
        raise MessageError("Choose a time in the future, or press Send now.")
    if send_at > now + LONGEST_WAIT:
        raise MessageError("Choose a time within the next year.")


def schedule_announcement(
    actor: User,
    event: Event,
    audience: str,
    subject: str,
    body: str,
    token: str,
    send_at: datetime,
    now: datetime | None = None,
) -> Announcement:
    """Keep the announcement to send at `send_at` (naive UTC). The same form token twice
    returns the first one. The group is taken when it goes; it must not be empty now."""
    now = now or utcnow()
    existing = already_made(token, event)
    if existing is not None:
        return existing
    _check_time(send_at, now)
    size, session = group_size(event, audience)
    if not size:
        raise MessageError("Nobody is in that group yet, so nothing was scheduled.")
    return new_announcement(
        actor, event, session, audience=audience, subject=subject, body=body, form_token=token,
        recipients=size, status=SCHEDULED, scheduled_for=send_at,
    )  # fmt: skip


def change_scheduled_announcement(
    actor: User,
    announcement: Announcement,
    audience: str,
    subject: str,
    body: str,
    send_at: datetime,
    now: datetime | None = None,
) -> None:
    """Change what a scheduled announcement says, to whom, or when (naive UTC), while it
    waits. One conditional UPDATE: a worker's claim and this change cannot both succeed, so
    an announcement goes either as it was or as changed, never half of each. Refused once it
    has gone or been cancelled; flushes, the caller commits."""
    now = now or utcnow()
    if not actor.is_organiser:
        raise MessageError("Only organisers change announcements.")
    _check_time(send_at, now)
    event = announcement.event
    size, session = group_size(event, audience)
    if not size:
        raise MessageError("Nobody is in that group yet. Choose another, or cancel it.")
    changed = db.session.execute(
        update(Announcement)
        .where(Announcement.id == announcement.id, Announcement.status == SCHEDULED)
        .values(
            audience=audience, session_id=session.id if session else None, subject=subject,
            body=body, scheduled_for=send_at, recipients=size, edited_at=now,
            edited_by_id=actor.id,
        )
        .execution_options(synchronize_session=False)
    ).rowcount  # fmt: skip
    db.session.refresh(announcement)
    if not changed:
        raise MessageError(why_not_waiting("change", announcement))


def cancel_announcement(actor: User, announcement: Announcement) -> None:
    """Cancel a scheduled announcement; refused once it has gone (the claim and this UPDATE
    cannot both succeed)."""
    if not actor.is_organiser:
        raise MessageError("Only organisers cancel announcements.")
    cancelled = db.session.execute(
        update(Announcement)
        .where(Announcement.id == announcement.id, Announcement.status == SCHEDULED)
        .values(status=CANCELLED)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(announcement)
    if not cancelled:
        if announcement.status == CANCELLED:
            return  # cancelled twice: the first one did it
        raise MessageError(why_not_waiting("cancel", announcement))


def why_not_waiting(verb: str, announcement: Announcement) -> str:
    """Why an announcement that is no longer scheduled cannot be changed or cancelled."""
    if announcement.status == CANCELLED:
        return f"It was cancelled, so there is nothing to {verb}."
    tz = announcement.event.timezone
    when = to_local(announcement.sent_at, tz) if announcement.sent_at else None
    return f"Too late to {verb}: it has already gone" + (
        f" (at {when:%H:%M} on {when:%-d %b})." if when else "."
    )


def send_due_announcements(now: datetime | None = None) -> int:
    """Queue the emails of every scheduled announcement whose time has come; returns how many
    announcements went. Flushes; the caller commits (claims and emails together)."""
    now = now or utcnow()
    # One statement claims them all, so SQLite takes its write lock first (no read to upgrade)
    # and, on PostgreSQL, a second worker waits for this one and then finds nothing to claim.
    claimed = list(
        db.session.execute(
            update(Announcement)
            .where(Announcement.status == SCHEDULED, Announcement.scheduled_for <= now)
            .values(status=SENT, sent_at=now)
            .returning(Announcement.id)
            .execution_options(synchronize_session=False)
        ).scalars()
    )
    for announcement_id in sorted(claimed):
        announcement = db.session.get(Announcement, announcement_id, populate_existing=True)
        queue_emails(announcement, db.session.get(Event, announcement.event_id))
    db.session.flush()
    return len(claimed)
