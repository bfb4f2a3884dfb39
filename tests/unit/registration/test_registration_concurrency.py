"""Capacity under real concurrency: 8 processes, each with its own connections, race for fewer
seats than attempts. Runs on SQLite, and on PostgreSQL when TEST_DATABASE_URL is set.

One race covers four limits at once (an event's capacity, a ticket type's capacity inside a
roomy event, an event whose seat is taken after the registration's writes as the registration
page does, and a workshop's seats), to keep the process start-up cost to one round. The control
test runs the naive count-then-insert in the same harness and oversells, which shows the harness
does produce the race the real code survives.
"""

from collections import Counter

from sqlalchemy import func, select

from app.events.models import AgendaSession, Event, TicketType
from app.extensions import db
from app.outbox.models import OutboxMessage
from app.registration import services
from app.registration.models import Registration, SessionBooking
from tests.factories import make_event, make_session, make_user
from tests.processes import race
from tests.unit.registration import registration_workers

PROCESSES = 8


def _race(target, database_url, jobs: list[tuple]) -> list[tuple]:
    outcomes = race(target, database_url, jobs, PROCESSES)
    db.session.expire_all()
    return outcomes


def _rows(model, event_id: int) -> int:
    return db.session.execute(
        select(func.count()).select_from(model).where(model.event_id == event_id)
    ).scalar_one()


def _held(event_id: int) -> int:
    return db.session.execute(
        select(func.count()).where(
            Registration.event_id == event_id, Registration.holds_seat.is_(True)
        )
    ).scalar_one()


def test_concurrent_attempts_never_oversell(app, database_url):
    small = make_event(capacity=5, requires_benchmark=False)  # 40 attempts for 5 seats
    roomy = make_event(capacity=100, ticket_capacity=4, requires_benchmark=False)  # 24 for 4
    last = make_event(capacity=5, requires_benchmark=False)  # 24 for 5, the seat taken last
    host = make_event(capacity=None, requires_benchmark=False)
    workshop = make_session(host, capacity=3)  # 16 attempts for 3 seats
    jobs = []
    for _ in range(40):
        jobs.append(("register", small.id, small.ticket_types[0].id, make_user().id))
    for _ in range(24):
        jobs.append(("register", roomy.id, roomy.ticket_types[0].id, make_user().id))
    for _ in range(24):
        jobs.append(("register_last", last.id, last.ticket_types[0].id, make_user().id))
    for _ in range(16):
        user = make_user()
        services.register_delegate(user, host, host.ticket_types[0])
        jobs.append(("book", workshop.id, user.id))
    # Interleave so every process works on every limit at once.
    jobs = jobs[0::3] + jobs[1::3] + jobs[2::3]
    ids = (small.id, small.ticket_types[0].id, roomy.id, roomy.ticket_types[0].id, workshop.id,
           last.id)  # fmt: skip
    db.session.commit()

    outcomes = _race(registration_workers.worker, database_url, jobs)

    assert [detail for _, kind, detail in outcomes if kind == "error"] == []
    assert Counter((job, kind) for job, kind, _ in outcomes) == {
        ("register", "ok"): 9,
        ("register", "full"): 55,
        ("register_last", "ok"): 5,
        ("register_last", "full"): 19,
        ("book", "ok"): 3,
        ("book", "full"): 13,
    }
    small_id, small_tt, roomy_id, roomy_tt, workshop_id, last_id = ids
    # Taken last, the seat's refusal rolled back what each loser had written before it.
    assert db.session.get(Event, last_id).seats_taken == 5 == _held(last_id)
    assert _rows(Registration, last_id) == 5 == _rows(OutboxMessage, last_id)
    assert db.session.get(Event, small_id).seats_taken == 5 == _held(small_id)
    assert db.session.get(TicketType, small_tt).seats_taken == 5
    # The ticket type filled first; every loser gave its event seat back.
    assert db.session.get(TicketType, roomy_tt).seats_taken == 4
    assert db.session.get(Event, roomy_id).seats_taken == 4 == _held(roomy_id)
    booked = db.session.execute(
        select(func.count()).where(
            SessionBooking.session_id == workshop_id, SessionBooking.status == "booked"
        )
    ).scalar_one()
    assert db.session.get(AgendaSession, workshop_id).seats_taken == 3 == booked


def test_control_naive_count_then_insert_oversells(app, database_url):
    event = make_event(capacity=5, requires_benchmark=False)
    jobs = [("naive", event.id, event.ticket_types[0].id, make_user().id) for _ in range(16)]
    event_id = event.id
    db.session.commit()
    outcomes = _race(registration_workers.naive_worker, database_url, jobs)
    assert [detail for _, kind, detail in outcomes if kind == "error"] == []
    assert _held(event_id) > 5, "the naive way should have oversold; the harness lost its race"
