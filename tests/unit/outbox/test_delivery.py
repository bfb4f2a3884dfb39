"""Claims and retries: a job run twice sends once; failures wait, then go, or fail for good."""

import smtplib
from datetime import timedelta

import pytest
from sqlalchemy import select

from app import mail
from app.extensions import db
from app.outbox.delivery import claim, deliver, deliver_due
from app.outbox.models import OutboxMessage
from app.timeutil import utcnow


def _queue(*addresses: str) -> list[int]:
    for address in addresses:
        mail.send(mail.build_message(address, f"Hello {address}", "Body"), kind="test")
    db.session.commit()
    return list(db.session.execute(select(OutboxMessage.id).order_by(OutboxMessage.id)).scalars())


def _rows() -> list[tuple]:
    db.session.expire_all()
    return db.session.execute(
        select(OutboxMessage.to, OutboxMessage.status, OutboxMessage.attempts).order_by(
            OutboxMessage.id
        )
    ).all()


class FlakyBackend:
    """Stands in for the transport: answers each message with the next scripted error (or
    None for delivered), recording what was delivered."""

    def __init__(self, monkeypatch, *script):
        self.script = list(script)
        self.delivered: list[str] = []
        monkeypatch.setattr(mail, "deliver_each", self)

    def __call__(self, messages):
        outcomes = []
        for message in messages:
            error = self.script.pop(0) if self.script else None
            if error is None:
                self.delivered.append(message["To"])
            outcomes.append(error)
        return outcomes


@pytest.mark.config(JOURNEY_INLINE_WORKER=False)
def test_a_commit_writes_rows_and_a_web_process_without_the_inline_worker_sends_nothing(
    app, outbox
):
    ids = _queue("a@example.com", "b@example.com")
    assert outbox == []
    assert _rows() == [("a@example.com", "queued", 0), ("b@example.com", "queued", 0)]
    # The job it queued for the workers names exactly those rows.
    pending = app.extensions["journey_huey"].pending()
    assert [task.args for task in pending] == [(ids,)]


def test_the_inline_worker_delivers_at_commit_with_the_recorded_message_id(app, outbox):
    _queue("a@example.com")
    row = db.session.execute(select(OutboxMessage)).scalar_one()
    assert (row.status, row.attempts) == ("sent", 1) and row.sent_at is not None
    assert [m["Message-ID"] for m in outbox] == [row.message_id]


@pytest.mark.config(JOURNEY_INLINE_WORKER=False)
def test_a_job_run_twice_sends_once(app, outbox):
    ids = _queue("a@example.com", "b@example.com")
    first, second = deliver(ids), deliver(ids)
    assert (first.sent, second.sent) == (2, 0)
    assert sorted(m["To"] for m in outbox) == ["a@example.com", "b@example.com"]


@pytest.mark.config(JOURNEY_INLINE_WORKER=False)
def test_a_claimed_row_is_left_alone_until_its_claim_times_out(app, outbox):
    """A worker killed between claim and send: the row waits out MAIL_CLAIM_SECONDS, then
    any worker's sweep sends it, once."""
    ids = _queue("a@example.com")
    now = utcnow()
    token, claimed = claim(ids, now)
    assert claimed == ids  # ... and the worker dies here
    assert claim(ids, now + timedelta(seconds=299))[1] == []
    assert deliver_due(now + timedelta(seconds=299)).sent == 0
    assert outbox == []
    outcome = deliver_due(now + timedelta(seconds=301))
    assert outcome.sent == 1 and len(outbox) == 1
    assert _rows() == [("a@example.com", "sent", 2)]
    # The dead worker's token can no longer record anything over the new outcome.
    assert deliver_due(now + timedelta(hours=1)).claimed == 0


@pytest.mark.config(JOURNEY_INLINE_WORKER=False, MAIL_RETRY_SECONDS=60, MAIL_MAX_ATTEMPTS=3)
def test_temporary_failures_back_off_then_fail_after_the_last_attempt(app, monkeypatch):
    refused = ConnectionRefusedError(111, "Connection refused")
    backend = FlakyBackend(monkeypatch, refused, refused, refused)
    ids = _queue("a@example.com")
    now = utcnow()
    first = deliver_due(now)
    assert (first.retrying, first.retry_at) == (1, [now + timedelta(seconds=60)])
    assert deliver_due(now + timedelta(seconds=59)).claimed == 0  # not due yet
    second = deliver_due(now + timedelta(seconds=60))
    assert second.retry_at == [now + timedelta(seconds=60 + 180)]
    assert deliver_due(now + timedelta(seconds=239)).claimed == 0
    third = deliver_due(now + timedelta(seconds=240))
    assert (third.failed, third.retry_at) == (1, [])
    row = db.session.get(OutboxMessage, ids[0])
    db.session.refresh(row)
    assert (row.status, row.attempts) == ("failed", 3)
    assert row.last_error == "ConnectionRefusedError: [Errno 111] Connection refused"
    assert backend.delivered == []
    assert deliver_due(now + timedelta(days=9)).claimed == 0  # failed is final


@pytest.mark.config(JOURNEY_INLINE_WORKER=False)
def test_a_4xx_is_retried_and_a_5xx_fails_at_once(app, monkeypatch):
    backend = FlakyBackend(
        monkeypatch,
        smtplib.SMTPDataError(451, b"try again later"),
        smtplib.SMTPRecipientsRefused({"b@example.com": (550, b"no such mailbox")}),
    )
    _queue("a@example.com", "b@example.com")
    now = utcnow()
    outcome = deliver_due(now)
    assert (outcome.sent, outcome.retrying, outcome.failed) == (0, 1, 1)
    assert _rows() == [("a@example.com", "queued", 1), ("b@example.com", "failed", 1)]
    failed = db.session.execute(
        select(OutboxMessage.last_error).where(OutboxMessage.status == "failed")
    ).scalar_one()
    assert failed == "recipient refused: 550 no such mailbox"
    assert deliver_due(now + timedelta(seconds=60)).sent == 1
    assert backend.delivered == ["a@example.com"]
    assert _rows() == [("a@example.com", "sent", 2), ("b@example.com", "failed", 1)]


@pytest.mark.config(JOURNEY_INLINE_WORKER=False)
def test_worker_burst_delivers_what_is_due_and_exits_0(app, runner, outbox, monkeypatch):
    _queue("a@example.com", "b@example.com", "c@example.com")
    result = runner.invoke(args=["worker", "--burst"])
    assert result.exit_code == 0, result.output
    assert result.output == "Sent 3; 0 to retry later; 0 failed.\n"
    assert len(outbox) == 3
    result = runner.invoke(args=["worker", "--burst"])
    assert result.output == "Sent 0; 0 to retry later; 0 failed.\n"
