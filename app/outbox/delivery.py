"""Delivering outbox rows: claim, build, send, record.

A row is claimed by one conditional UPDATE (queued and due, or a claim that has timed out)
that stamps it with this attempt's token, so a job run twice, or by two workers at once, sends
once. What happens next is recorded only under the same token. A worker killed between claim
and send leaves the row `sending` until MAIL_CLAIM_SECONDS pass; then any sweep takes it again.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage

from flask import current_app
from sqlalchemy import and_, or_, select, update

from app import mail
from app.extensions import db
from app.outbox import rules
from app.outbox.models import FAILED, QUEUED, SENDING, SENT, OutboxMessage
from app.outbox.renderers import Unrenderable, prepare, render
from app.timeutil import utcnow

log = logging.getLogger(__name__)


@dataclass
class Outcome:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    retry_at: list[datetime] = field(default_factory=list)

    @property
    def claimed(self) -> int:
        return self.sent + self.retrying + self.failed

    def add(self, other: Outcome) -> None:
        self.sent += other.sent
        self.retrying += other.retrying
        self.failed += other.failed
        self.retry_at += other.retry_at


def claimable(now: datetime):
    return or_(
        and_(OutboxMessage.status == QUEUED, OutboxMessage.next_attempt_at <= now),
        and_(OutboxMessage.status == SENDING, OutboxMessage.claimed_until < now),
    )


def claim(ids: list[int] | None, now: datetime) -> tuple[str, list[int]]:
    """Claim these rows (or up to MAIL_BATCH due rows) for one attempt; commits, so that other
    workers see the claim at once. Returns the token and the ids this call claimed."""
    token = uuid.uuid4().hex
    limit = current_app.config["MAIL_BATCH"]
    if ids is None:
        # One statement, so SQLite takes its write lock first instead of upgrading a read.
        wanted = (
            select(OutboxMessage.id)
            .where(claimable(now))
            .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
            .limit(limit)
            .with_for_update(skip_locked=True)  # PostgreSQL: workers take different rows
        )
        if db.session.get_bind().dialect.name == "postgresql":
            # Materialised, the pick runs once. As a plain subquery PostgreSQL may run it again
            # for rows another worker touched meanwhile, and claim more than the limit.
            picked = wanted.cte("picked").prefix_with("MATERIALIZED")
            target = OutboxMessage.id.in_(select(picked.c.id))
        else:
            target = OutboxMessage.id.in_(wanted.scalar_subquery())
    elif not ids:
        return token, []
    else:
        target = OutboxMessage.id.in_(ids)
    lease = timedelta(seconds=current_app.config["MAIL_CLAIM_SECONDS"])
    claimed = db.session.execute(
        update(OutboxMessage)
        .where(target, claimable(now))
        .values(
            status=SENDING,
            claim_token=token,
            claimed_until=now + lease,
            attempts=OutboxMessage.attempts + 1,
            updated_at=now,
        )
        .returning(OutboxMessage.id)
        .execution_options(synchronize_session=False)
    ).scalars()
    mine = sorted(claimed)
    db.session.commit()
    return token, mine


def deliver(ids: list[int] | None = None, now: datetime | None = None) -> Outcome:
    """One round: claim (these rows, or the due ones), build, send over one connection, record."""
    now = now or utcnow()
    token, claimed = claim(ids, now)
    outcome = Outcome()
    if not claimed:
        return outcome
    rows = list(
        db.session.execute(
            select(OutboxMessage).where(OutboxMessage.id.in_(claimed)).order_by(OutboxMessage.id)
        ).scalars()
    )
    preloaded = prepare(rows)  # noqa: F841  (keeps the batch's objects loaded)
    built: list[tuple[OutboxMessage, EmailMessage]] = []
    for row in rows:
        try:
            built.append((row, build(row)))
        except Unrenderable as exc:
            _record_failure(row, token, exc, now, outcome, permanent=True)
        except Exception as exc:  # a bug in a template: keep the row, retry later
            log.exception("could not build outbox message %s", row.id)
            _record_failure(row, token, exc, now, outcome)
    results = mail.deliver_each([message for _, message in built])
    sent_ids = []
    for (row, _), error in zip(built, results, strict=True):
        if error is None:
            sent_ids.append(row.id)
        else:
            _record_failure(row, token, error, now, outcome)
    if sent_ids:
        db.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(sent_ids), OutboxMessage.claim_token == token)
            .values(status=SENT, sent_at=utcnow(), claimed_until=None, last_error=None)
            .execution_options(synchronize_session=False)
        )
        outcome.sent += len(sent_ids)
    db.session.commit()
    return outcome


def deliver_ids(ids: list[int]) -> Outcome:
    """Deliver these rows (what one commit wrote), MAIL_BATCH at a time."""
    size = current_app.config["MAIL_BATCH"]
    total = Outcome()
    for start in range(0, len(ids), size):
        total.add(deliver(ids[start : start + size]))
    return total


def deliver_due(now: datetime | None = None, rounds: int | None = None) -> Outcome:
    """Deliver every row that is due (retries whose time has come, timed-out claims included)
    until none is left: what `worker --burst` and the periodic sweep do."""
    total = Outcome()
    n = 0
    while rounds is None or n < rounds:
        outcome = deliver(None, now)
        total.add(outcome)
        n += 1
        # A round can claim nothing while rows are due: on PostgreSQL another worker's claim
        # committed after this statement's snapshot. Stop only when nothing is left to claim.
        if outcome.claimed == 0 and not _any_due(now or utcnow()):
            break
    return total


def _any_due(now: datetime) -> bool:
    due = db.session.execute(select(OutboxMessage.id).where(claimable(now)).limit(1)).first()
    db.session.rollback()
    return due is not None


def build(row: OutboxMessage) -> EmailMessage:
    if row.raw is not None:
        return message_from_bytes(row.raw, policy=policy.default)  # type: ignore[return-value]
    message = render(row.renderer or "", row)
    del message["Message-ID"]
    message["Message-ID"] = row.message_id  # the one recorded when the row was written
    return message


def _record_failure(
    row: OutboxMessage,
    token: str,
    error: BaseException,
    now: datetime,
    outcome: Outcome,
    permanent: bool = False,
) -> None:
    cfg = current_app.config
    retry_at = None
    if not permanent:
        retry_at = rules.after_failure(
            error, row.attempts, now, cfg["MAIL_RETRY_SECONDS"], cfg["MAIL_MAX_ATTEMPTS"]
        )
    reason = rules.describe(error)
    log.warning("outbox message %s to %s: %s", row.id, row.to, reason)
    values = {"last_error": reason, "claimed_until": None}
    if retry_at is None:
        values["status"] = FAILED
        outcome.failed += 1
    else:
        values.update(status=QUEUED, next_attempt_at=retry_at)
        outcome.retrying += 1
        outcome.retry_at.append(retry_at)
    db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == row.id, OutboxMessage.claim_token == token)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
