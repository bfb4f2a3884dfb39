"""Scheduled announcements are claimed by one conditional UPDATE: however many workers (and
cron rounds) run at once, each announcement is queued once, and a cancelled one never."""

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.messages.models import Announcement
from app.messages.scheduling import (
    cancel_announcement,
    schedule_announcement,
    send_due_announcements,
)
from app.messages.services import MessageError
from app.outbox.models import OutboxMessage
from app.registration.models import EmailLog, Registration
from app.timeutil import utcnow
from tests.factories import make_event, make_user, organiser


def _event_with(delegates: int):
    event = make_event()
    for _ in range(delegates):
        user = make_user()
        db.session.add(
            Registration(event=event, user=user, ticket_type=event.ticket_types[0],
                         status="confirmed", active_user_id=user.id)
        )  # fmt: skip
    db.session.flush()
    return event


def _schedule(event, boss, token, send_at):
    return schedule_announcement(boss, event, "confirmed", "Parking", "Car park B.", token, send_at)


def _count(model) -> int:
    return db.session.execute(select(func.count()).select_from(model)).scalar_one()


@pytest.mark.config(JOURNEY_INLINE_WORKER=False)
def test_two_workers_at_once_queue_a_due_announcement_once(app):
    event, boss = _event_with(25), organiser()
    due = utcnow() + timedelta(hours=1)
    for n in range(3):
        _schedule(event, boss, f"{n:032x}", due + timedelta(minutes=n))
    db.session.commit()
    barrier = threading.Barrier(2)
    went: dict[str, int] = {}
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            with app.app_context():
                db.session.execute(select(Announcement.id).limit(1)).all()  # connected first
                db.session.rollback()
                barrier.wait()
                went[threading.current_thread().name] = send_due_announcements(
                    now=due + timedelta(hours=1)
                )
                db.session.commit()
        except BaseException as exc:  # reported below, with the thread's traceback
            errors.append(exc)
            raise

    threads = [threading.Thread(target=worker, name=f"worker-{n}") for n in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == [] and len(went) == 2
    assert sorted(went.values()) == [0, 3]  # one claimed all three, the other found none
    assert _count(OutboxMessage) == 75 and _count(EmailLog) == 75
    per_batch = db.session.execute(
        select(OutboxMessage.batch, func.count()).group_by(OutboxMessage.batch)
    ).all()
    assert sorted(n for _, n in per_batch) == [25, 25, 25]


def test_the_scheduled_work_round_sends_what_is_due(app, runner):
    event, boss = _event_with(2), organiser()
    announcement = _schedule(event, boss, "c" * 32, utcnow() + timedelta(hours=1))
    db.session.commit()
    quiet = runner.invoke(args=["expire-holds"])
    assert quiet.exit_code == 0 and "scheduled announcement" not in quiet.output
    # Its time comes (moved back rather than waited for).
    announcement.scheduled_for = utcnow() - timedelta(minutes=1)
    db.session.commit()
    result = runner.invoke(args=["expire-holds"])
    assert result.exit_code == 0, result.output
    assert "Sent 1 scheduled announcement(s)." in result.output
    again = runner.invoke(args=["expire-holds"])
    assert "scheduled announcement" not in again.output
    assert _count(OutboxMessage) == 2


def test_a_cancelled_announcement_never_goes_and_a_sent_one_cannot_be_cancelled(app):
    event, boss = _event_with(2), organiser()
    now = utcnow()
    kept = _schedule(event, boss, "d" * 32, now + timedelta(hours=1))
    dropped = _schedule(event, boss, "e" * 32, now + timedelta(hours=1))
    cancel_announcement(boss, dropped)
    assert send_due_announcements(now=now + timedelta(hours=2)) == 1
    assert (kept.status, dropped.status) == ("sent", "cancelled")
    with pytest.raises(MessageError, match="Too late to cancel"):
        cancel_announcement(boss, kept)
    with pytest.raises(MessageError, match="Only organisers"):
        cancel_announcement(make_user(), dropped)
    assert _count(OutboxMessage) == 2


@pytest.mark.parametrize(
    "offset, message",
    [
        (timedelta(0), "Choose a time in the future"),
        (timedelta(minutes=-5), "Choose a time in the future"),
        (timedelta(days=367), "within the next year"),
    ],
)
def test_a_time_must_be_ahead_and_within_a_year(app, offset, message):
    event, boss = _event_with(1), organiser()
    now = utcnow()
    with pytest.raises(MessageError, match=message):
        schedule_announcement(
            boss, event, "confirmed", "Parking", "B.", "f" * 32, now + offset, now=now
        )
    assert _count(Announcement) == 0


def test_an_empty_group_cannot_be_scheduled(app):
    event, boss = _event_with(0), organiser()
    with pytest.raises(MessageError, match="Nobody is in that group yet"):
        _schedule(event, boss, "a" * 32, utcnow() + timedelta(hours=1))
    assert _count(Announcement) == 0
