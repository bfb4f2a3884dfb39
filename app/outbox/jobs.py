"""The job queue (huey): SQLite beside the app by default, Redis when REDIS_URL is set.

Jobs carry only outbox ids ("deliver these"); the rows are the truth, so a lost job costs a
minute's delay (the periodic sweep finds its rows), and a job run twice sends once (the claim).
Every `flask worker` runs the sweep each minute, and sends the scheduled announcements that
are due; a worker started with --scheduled-work also runs the work of `expire-holds` each
minute (safe on several machines at once), which is how `make run` needs no cron. The
Procfile runs it as its own `scheduler` process instead.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from flask import Flask
from huey import Huey, MemoryHuey, RedisHuey, SqliteHuey, crontab

from app.extensions import db
from app.outbox import delivery, writer

log = logging.getLogger(__name__)

HUEY = "journey_huey"
TASKS = "journey_tasks"
SCHEDULED_WORK = "journey_scheduled_work"  # app.extensions flag: this worker runs it


@dataclass
class Tasks:
    deliver: object
    sweep: object
    scheduled_work: object
    announcements: object


def init_app(app: Flask) -> None:
    huey = _make_huey(app)
    tasks = _register(app, huey)
    app.extensions[HUEY] = huey
    app.extensions[TASKS] = tasks
    if app.config["JOURNEY_INLINE_WORKER"]:
        app.extensions[writer.DISPATCH] = lambda ids: deliver_inline(app, ids)
    else:
        app.extensions[writer.DISPATCH] = lambda ids: tasks.deliver(ids)


def _make_huey(app: Flask) -> Huey:
    name = "journey"
    if app.config.get("REDIS_URL"):
        return RedisHuey(name, url=app.config["REDIS_URL"], results=False)
    path = app.config.get("QUEUE_FILE")
    if not path:
        return MemoryHuey(name, results=False)  # tests: jobs stay in this process
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    return SqliteHuey(name, filename=path, results=False)


def deliver_inline(app: Flask, ids: list[int]) -> None:
    """The web process delivers what its own commit wrote, in a context (and database
    session) of its own. Failures are recorded on the rows for the workers to retry."""
    with app.app_context():
        try:
            delivery.deliver_ids(ids)
        except Exception:
            log.exception("inline delivery failed; the workers' sweep will retry")


def _register(app: Flask, huey: Huey) -> Tasks:
    every_minute = crontab(minute="*")

    @huey.task(name="outbox.deliver")
    def deliver(ids: list[int]) -> None:
        with app.app_context():
            _follow_up(delivery.deliver_ids(ids))

    @huey.periodic_task(every_minute, name="outbox.sweep")
    def sweep() -> None:
        with app.app_context():
            _follow_up(delivery.deliver_due())

    @huey.periodic_task(every_minute, name="webhooks.deliver")
    def webhooks() -> None:
        """Organisers' webhooks and their retries (claimed per delivery: any worker may)."""
        from app.webhooks.delivery import deliver_due

        with app.app_context():
            outcome = deliver_due()
            if outcome.delivered or outcome.retrying or outcome.failed:
                log.info("webhooks: %s", outcome)

    @huey.periodic_task(every_minute, name="announcements.send-due")
    def announcements() -> None:
        """Scheduled announcements whose time has come (claimed by UPDATE: any worker may)."""
        from app.messages.scheduling import send_due_announcements

        with app.app_context():
            try:
                went = send_due_announcements()
                db.session.commit()
            except Exception:
                db.session.rollback()
                raise
            if went:
                log.info("announcements: %d scheduled announcement(s) queued", went)

    def when_this_worker_runs_it(timestamp) -> bool:
        return bool(app.extensions.get(SCHEDULED_WORK)) and every_minute(timestamp)

    @huey.periodic_task(when_this_worker_runs_it, name="scheduled-work")
    def scheduled_work() -> None:
        from app.registration.commands import run_scheduled_work

        with app.app_context():
            for line in run_scheduled_work():
                log.info("scheduled work: %s", line)

    def _follow_up(outcome: delivery.Outcome) -> None:
        # A retry goes out when it falls due, not at the next minute's sweep.
        if outcome.retry_at:
            sweep.schedule(eta=min(outcome.retry_at))

    return Tasks(
        deliver=deliver, sweep=sweep, scheduled_work=scheduled_work, announcements=announcements
    )
