"""Code that runs in separate processes for the registration concurrency tests.

Each process builds its own app (its own connection pool) on the shared test database, waits at
a barrier so every process starts at once, then makes its attempts, committing each.
"""

from __future__ import annotations

import time
import traceback


def _app(database_url: str):
    from app import create_app
    from config import TestConfig

    return create_app(
        type("WorkerConfig", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": database_url})
    )


def worker(database_url, jobs, barrier, results):
    """Run `jobs` in order after the barrier: ("register", event_id, ticket_type_id, user_id),
    the same as "register_last" (the seat taken after the writes, as the registration page
    does), or ("book", session_id, user_id). Report (job kind, "ok" | "full" | "error",
    detail)."""
    app = _app(database_url)
    from app.auth.models import User
    from app.events.models import AgendaSession, Event, TicketType
    from app.extensions import db
    from app.registration.services import EventFullError, book_session, register_delegate

    with app.app_context():
        db.session.execute(db.select(Event.id).limit(1)).all()  # connect before the start
        db.session.rollback()
        barrier.wait()
        for job in jobs:
            try:
                if job[0] in ("register", "register_last"):
                    _, event_id, ticket_type_id, user_id = job
                    done = register_delegate(
                        db.session.get(User, user_id),
                        db.session.get(Event, event_id),
                        db.session.get(TicketType, ticket_type_id),
                        seat_last=job[0] == "register_last",
                    )
                else:
                    _, session_id, user_id = job
                    done = book_session(
                        db.session.get(User, user_id),
                        db.session.get(AgendaSession, session_id),
                        join_waitlist=False,
                    )
                db.session.commit()
                results.put((job[0], "ok", str(done.status)))
            except EventFullError as exc:
                db.session.rollback()
                results.put((job[0], "full", str(exc)))
            except Exception:
                db.session.rollback()
                results.put((job[0], "error", traceback.format_exc()))
        db.engine.dispose()


def naive_worker(database_url, jobs, barrier, results):
    """The race DESIGN.md rule 1 forbids: count the seats, then insert. Only for the control
    test that shows the real tests can fail."""
    app = _app(database_url)
    from sqlalchemy import func, select

    from app.events.models import Event
    from app.extensions import db
    from app.registration.models import Registration

    with app.app_context():
        db.session.rollback()
        barrier.wait()
        for _, event_id, ticket_type_id, user_id in jobs:
            capacity = db.session.get(Event, event_id).capacity
            try:
                taken = db.session.execute(
                    select(func.count(Registration.id)).where(
                        Registration.event_id == event_id, Registration.holds_seat.is_(True)
                    )
                ).scalar_one()
                if taken >= capacity:
                    db.session.rollback()
                    results.put(("naive", "full", ""))
                    continue
                time.sleep(0.05)  # the gap a busy server has between the check and the write
                db.session.add(
                    Registration(
                        event_id=event_id, user_id=user_id, ticket_type_id=ticket_type_id,
                        active_user_id=user_id, status="confirmed", holds_seat=True,
                    )
                )  # fmt: skip
                db.session.commit()
                results.put(("naive", "ok", "confirmed"))
            except Exception:
                db.session.rollback()
                results.put(("naive", "error", traceback.format_exc()))
        db.engine.dispose()


def reminder_worker(database_url, now, barrier, results):
    """One `expire-holds` round's event reminders, started at the same instant as the others;
    reports how many this process sent (or the traceback)."""
    app = _app(database_url)
    from app.events.models import Event
    from app.extensions import db
    from app.registration.reminders import send_event_reminders

    with app.app_context():
        db.session.execute(db.select(Event.id).limit(1)).all()  # connect before the start
        db.session.rollback()
        barrier.wait()
        try:
            sent = send_event_reminders(now)
            db.session.commit()
            results.put(sent)
        except Exception:
            db.session.rollback()
            results.put(traceback.format_exc())
        db.engine.dispose()
