"""The job queue's wiring: which queue, the periodic tasks, and what a job does."""

from datetime import datetime, timedelta

import pytest
from huey import MemoryHuey, RedisHuey, SqliteHuey
from sqlalchemy import select

from app import mail
from app.extensions import db
from app.messages.models import Announcement
from app.messages.scheduling import schedule_announcement
from app.outbox.jobs import HUEY, SCHEDULED_WORK, TASKS
from app.outbox.models import OutboxMessage
from app.registration.models import Registration
from app.registration.services import register_delegate
from app.timeutil import utcnow
from tests.factories import make_event, organiser
from tests.factories_registration import make_delegate


def test_tests_keep_jobs_in_memory(app):
    assert isinstance(app.extensions[HUEY], MemoryHuey)


def test_the_embedded_default_is_a_sqlite_file(app, tmp_path):
    from app import create_app
    from tests.conftest import _config

    url = app.config["SQLALCHEMY_DATABASE_URI"]
    embedded = create_app(_config(url, QUEUE_FILE=str(tmp_path / "q" / "queue.db")))
    assert isinstance(embedded.extensions[HUEY], SqliteHuey)
    assert (tmp_path / "q").is_dir()
    redis = create_app(_config(url, REDIS_URL="redis://127.0.0.1:6379/0"))
    assert isinstance(redis.extensions[HUEY], RedisHuey)


def test_every_worker_sweeps_each_minute_and_runs_the_scheduled_work_when_told(app):
    huey = app.extensions[HUEY]
    minutes = (datetime(2026, 6, 1, 9, 0), datetime(2026, 12, 24, 23, 59))
    for minute in minutes:
        assert sorted(t.name for t in huey.read_periodic(minute)) == [
            "announcements.send-due",
            "outbox.sweep",
            "webhooks.deliver",
        ]
    app.extensions[SCHEDULED_WORK] = True  # flask worker --scheduled-work
    for minute in minutes:
        assert sorted(t.name for t in huey.read_periodic(minute)) == [
            "announcements.send-due",
            "outbox.sweep",
            "scheduled-work",
            "webhooks.deliver",
        ]


def test_the_announcements_task_sends_a_scheduled_announcement_once_when_due(app, outbox):
    event, boss = make_event(), organiser()
    for _ in range(2):
        register_delegate(make_delegate(), event, event.ticket_types[0])
    db.session.commit()
    outbox.clear()
    announcement = schedule_announcement(
        boss, event, "confirmed", "Parking", "B.", "a" * 32, utcnow() + timedelta(hours=1)
    )
    db.session.commit()
    huey, task = app.extensions[HUEY], app.extensions[TASKS].announcements
    huey.execute(task.s())
    assert outbox == []  # not yet due
    announcement.scheduled_for = utcnow() - timedelta(minutes=1)  # its time has come
    db.session.commit()
    huey.execute(task.s())
    huey.execute(task.s())
    assert sorted(m["Subject"] for m in outbox) == ["Parking", "Parking"]
    db.session.expire_all()
    assert db.session.get(Announcement, announcement.id).status == "sent"


def test_the_scheduled_work_task_releases_lapsed_holds(app):
    event = make_event(capacity=5)
    delegate = make_delegate(benchmark=False)
    registration = register_delegate(delegate, event, event.ticket_types[0])
    assert registration.status == "pending_benchmark"
    registration.hold_expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    huey = app.extensions[HUEY]
    huey.execute(app.extensions[TASKS].scheduled_work.s())
    db.session.expire_all()
    assert db.session.get(Registration, registration.id).status == "cancelled"
    kinds = (
        db.session.execute(select(OutboxMessage.kind).order_by(OutboxMessage.id)).scalars().all()
    )
    assert kinds == ["pending_benchmark", "cancelled"]


@pytest.mark.config(JOURNEY_INLINE_WORKER=False, MAIL_RETRY_SECONDS=30)
def test_a_delivery_job_sends_and_schedules_the_retry_when_due(app, outbox, monkeypatch):
    mail.send(mail.build_message("a@example.com", "Hello", "Body"))
    mail.send(mail.build_message("b@example.com", "Hello", "Body"))
    db.session.commit()
    huey = app.extensions[HUEY]
    [job] = huey.pending()
    answers = iter([None, ConnectionRefusedError(111, "Connection refused")])
    real = mail.deliver_each
    monkeypatch.setattr(
        mail, "deliver_each", lambda ms: [next(answers) for _ in ms] if ms else real(ms)
    )
    before = utcnow()
    huey.execute(huey.dequeue())
    assert job.args == ([1, 2],)
    [retry] = huey.pending()  # the consumer holds it back until its eta
    assert retry.name == "outbox.sweep"
    assert before + timedelta(seconds=29) <= retry.eta <= utcnow() + timedelta(seconds=30)
