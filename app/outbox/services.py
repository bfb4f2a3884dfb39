"""What organisers see and do with the outbox: an event's messages, their state, resending.

Plain functions; they flush, never commit (the view commits, and the commit hands the
resent rows to delivery like any other new message).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update

from app.auth.models import User
from app.extensions import db
from app.outbox.models import FAILED, QUEUED, SENDING, SENT, STATUSES, OutboxMessage
from app.outbox.writer import deliver_after_commit
from app.timeutil import utcnow

PAGE = 200  # messages listed per page, newest first


class OutboxError(ValueError):
    """The message cannot be resent; the message says why."""


@dataclass(frozen=True)
class Progress:
    queued: int = 0
    sent: int = 0
    failed: int = 0

    @property
    def total(self) -> int:
        return self.queued + self.sent + self.failed


def _progress(counts: Counter) -> Progress:
    return Progress(
        queued=counts[QUEUED] + counts[SENDING], sent=counts[SENT], failed=counts[FAILED]
    )


def event_counts(event_id: int) -> Progress:
    """How many of the event's messages wait, went and failed (1 query)."""
    rows = db.session.execute(
        select(OutboxMessage.status, func.count())
        .where(OutboxMessage.event_id == event_id)
        .group_by(OutboxMessage.status)
    ).all()
    return _progress(Counter(dict(rows)))


def event_messages(event_id: int, status: str | None = None) -> list[OutboxMessage]:
    """The event's latest messages, optionally of one state (`queued` includes `sending`)."""
    query = select(OutboxMessage).where(OutboxMessage.event_id == event_id)
    if status == QUEUED:
        query = query.where(OutboxMessage.status.in_((QUEUED, SENDING)))
    elif status in STATUSES:
        query = query.where(OutboxMessage.status == status)
    return list(
        db.session.execute(
            query.order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc()).limit(PAGE)
        ).scalars()
    )


def registration_messages(registration_id: int) -> list[OutboxMessage]:
    return list(
        db.session.execute(
            select(OutboxMessage)
            .where(OutboxMessage.registration_id == registration_id)
            .order_by(OutboxMessage.created_at, OutboxMessage.id)
        ).scalars()
    )


def batch_progress(batches: list[str]) -> dict[str, Progress]:
    """Progress of each batch (e.g. each announcement), in one query."""
    counts: dict[str, Counter] = {b: Counter() for b in batches}
    if batches:
        for batch, status, n in db.session.execute(
            select(OutboxMessage.batch, OutboxMessage.status, func.count())
            .where(OutboxMessage.batch.in_(batches))
            .group_by(OutboxMessage.batch, OutboxMessage.status)
        ):
            counts[batch][status] = n
    return {b: _progress(c) for b, c in counts.items()}


def resend_failed(
    actor: User, event_id: int, message_id: int | None = None, now: datetime | None = None
) -> int:
    """Queue failed messages of the event again, with a fresh set of attempts: one message, or
    all of them. Returns how many."""
    if not actor.is_organiser:
        raise OutboxError("Only organisers resend emails.")
    which = [OutboxMessage.event_id == event_id, OutboxMessage.status == FAILED]
    if message_id is not None:
        row = db.session.get(OutboxMessage, message_id)
        if row is None or row.event_id != event_id:
            raise OutboxError("That email is not one of this event's.")
        if row.status != FAILED:
            raise OutboxError("Only a failed email can be sent again; this one is " + row.status)
        which.append(OutboxMessage.id == message_id)
    if message_id is None:
        failed_ids = list(db.session.execute(select(OutboxMessage.id).where(*which)).scalars())
    else:
        failed_ids = [message_id]
    if not failed_ids:
        return 0
    db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(failed_ids), OutboxMessage.status == FAILED)
        .values(status=QUEUED, attempts=0, next_attempt_at=now or utcnow(), claimed_until=None)
        .execution_options(synchronize_session="fetch")
    )
    deliver_after_commit(db.session(), failed_ids)  # delivered after COMMIT, like new messages
    db.session.flush()
    return len(failed_ids)
