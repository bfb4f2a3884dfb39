"""Benchmark: queuing one announcement to 2,000 delegates, as the organiser's request.

    .venv/bin/python bench/announcement.py [--recipients 2000] [--rounds 5]
        [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres]

Creates a throwaway database (an SQLite file in a temporary directory, or a new database on the
PostgreSQL server --database-url names, dropped afterwards), migrates it, seeds one published
event with N confirmed delegates and an organiser, then posts the "Email delegates" form (Send
now, to the confirmed delegates) `--rounds` times through the app's test client, with
JOURNEY_INLINE_WORKER=false as in production: the request records the announcement and queues
one outbox row and one log line per person; workers build and send the emails later.

Prints each POST's wall time and the number of SQL statements it ran, then the median and the
worst. The target (README, "Measuring"): under 1 s for 2,000 recipients.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

from harness import ROOT, create_database, drop_database
from sqlalchemy import event as sa_event


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--recipients", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--database-url", help="a PostgreSQL server (a new database is made)")
    args = parser.parse_args()
    if args.database_url:
        url, name = create_database(args.database_url)
        try:
            run(url, args.recipients, args.rounds, "PostgreSQL")
        finally:
            drop_database(args.database_url, name)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            run(f"sqlite:///{Path(tmp) / 'bench.db'}", args.recipients, args.rounds, "SQLite")


def run(database_url: str, recipients: int, rounds: int, label: str) -> None:
    os.environ.update(DATABASE_URL=database_url, JOURNEY_INLINE_WORKER="false",
                      RATELIMIT_ENABLED="false")  # fmt: skip
    sys.path.insert(0, str(ROOT))
    from flask_migrate import upgrade

    from app import create_app
    from app.extensions import db
    from config import DevelopmentConfig

    app = create_app(DevelopmentConfig)
    app.config.update(WTF_CSRF_ENABLED=False, JOURNEY_INLINE_WORKER=False)
    with app.app_context():
        upgrade()
        event_id, organiser = seed(db, recipients)
        client = app.test_client()
        signed_in = client.post("/auth/login", data={"email": organiser, "password": ORGANISER[1]})
        assert signed_in.status_code == 302, signed_in.status_code
        statements: list[str] = []
        sa_event.listen(db.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
        times, counts = [], []
        for n in range(rounds):
            statements.clear()
            started = time.perf_counter()
            response = client.post(f"/organiser/events/{event_id}/messages", data={
                "audience": "confirmed", "subject": f"Parking, round {n + 1}",
                "body": "Park in **car park B**; the gate opens at 08:00.", "confirm": "y",
                "action": "send", "token": uuid.uuid4().hex,
            })  # fmt: skip
            elapsed = time.perf_counter() - started
            assert response.status_code == 302, response.get_data(as_text=True)[:500]
            times.append(elapsed)
            counts.append(len(statements))
            print(f"{label}: round {n + 1}: {elapsed * 1000:.0f} ms, {len(statements)} statements")
        queued = queued_rows(db)
        assert queued == recipients * rounds, queued
        print(
            f"{label}: queuing an announcement to {recipients} delegates: median "
            f"{statistics.median(times) * 1000:.0f} ms, worst {max(times) * 1000:.0f} ms "
            f"({max(counts)} SQL statements); {queued} outbox rows queued in all."
        )
        db.session.remove()
        db.engine.dispose()


ORGANISER = ("organiser@bench.example", "bench-organiser-password")


def seed(db, recipients: int) -> tuple[int, str]:
    from app.auth.models import User
    from app.events.models import Event, TicketType, Venue
    from app.registration.models import Registration
    from app.timeutil import utcnow

    starts = (utcnow() + timedelta(days=30)).replace(hour=8, minute=0, second=0, microsecond=0)
    event = Event(slug="bench-announcement", title="Benchmark forum", status="published",
                  venue=Venue(name="Hall", address="1 Road\nNorwich", postcode="NR1 1AA"),
                  starts_at=starts, ends_at=starts + timedelta(hours=8))  # fmt: skip
    event.ticket_types = [TicketType(name="Delegate")]
    organiser = User(email=ORGANISER[0], name="Olive Organiser", role="organiser")
    organiser.set_password(ORGANISER[1])
    db.session.add_all([event, organiser])
    db.session.flush()
    unusable = {"password_hash": "!"}  # no password signs these in
    people = [
        User(email=f"delegate{i}@bench.example", name=f"Delegate {i:05}", **unusable)
        for i in range(recipients)
    ]
    db.session.add_all(people)
    db.session.flush()
    db.session.add_all(
        Registration(
            event_id=event.id,
            user_id=u.id,
            ticket_type_id=event.ticket_types[0].id,
            status="confirmed",
            active_user_id=u.id,
        )  # fmt: skip
        for u in people
    )
    db.session.commit()
    return event.id, organiser.email


def queued_rows(db) -> int:
    from sqlalchemy import func, select

    from app.outbox.models import OutboxMessage

    return db.session.execute(select(func.count(OutboxMessage.id))).scalar_one()


if __name__ == "__main__":
    main()
