"""Seat counters at their edges: the floor that keeps a counter from going negative, the
counts a caller reads back from its own objects after a promotion, and promotions measured from
the `now` they are given (what `expire-holds` relies on)."""

from datetime import timedelta

from sqlalchemy import select

from app.events.models import AgendaSession, Event, TicketType
from app.extensions import db
from app.registration import reminders, seats, services
from app.registration.models import Registration, RegistrationLog
from app.timeutil import utcnow
from tests.factories import make_event, make_session, organiser
from tests.factories_checkin import make_booking, make_registration
from tests.factories_registration import make_delegate

S = services.S
HOLD = timedelta(days=7)  # TestConfig's HOLD_DAYS


def _stored(model, row_id) -> int:
    return db.session.execute(select(model.seats_taken).where(model.id == row_id)).scalar_one()


def _set_taken(model, row_id, taken) -> None:
    db.session.execute(model.__table__.update().where(model.id == row_id).values(seats_taken=taken))


def test_freeing_a_seat_takes_one_from_each_counter(app):
    event = make_event(capacity=5, ticket_capacity=5)
    tt = event.ticket_types[0]
    _set_taken(Event, event.id, 3)
    _set_taken(TicketType, tt.id, 2)

    seats.free_seat(event.id, tt.id)

    assert (_stored(Event, event.id), _stored(TicketType, tt.id)) == (2, 1)


def test_freeing_a_seat_never_takes_a_counter_below_zero(app):
    event = make_event(capacity=5, ticket_capacity=5)
    tt = event.ticket_types[0]
    _set_taken(TicketType, tt.id, 1)

    seats.free_seat(event.id, tt.id)  # the event's counter is already 0
    seats.free_seat(event.id, tt.id)

    assert (_stored(Event, event.id), _stored(TicketType, tt.id)) == (0, 0)


def test_releasing_a_seat_the_counters_never_recorded_leaves_them_at_zero(app):
    """A registration that holds a seat its counters do not show (rows written by hand, a
    repaired import): cancelling it must not leave a negative count and a phantom free seat."""
    event = make_event(capacity=1)
    workshop = make_session(event, capacity=3)
    reg = make_registration(event, status="confirmed")
    make_booking(workshop, reg)
    assert (_stored(Event, event.id), _stored(AgendaSession, workshop.id)) == (0, 0)

    services.release_registration(reg, organiser(), reason="duplicate")

    assert reg.status == S.CANCELLED
    assert _stored(Event, event.id) == 0
    assert _stored(TicketType, event.ticket_types[0].id) == 0
    assert _stored(AgendaSession, workshop.id) == 0
    assert event.seats_left == 1


def _full_event_with_one_waiting(price_pence=0, benchmark=True):
    event = make_event(capacity=1, price_pence=price_pence, starts_in=timedelta(days=60))
    tt = event.ticket_types[0]
    services.register_delegate(make_delegate(), event, tt)
    waiting = services.register_delegate(
        make_delegate(benchmark=benchmark), event, tt, join_waitlist=True
    )
    return event, tt, waiting


def test_counts_read_back_from_the_same_objects_after_a_promotion(app):
    event, tt, waiting = _full_event_with_one_waiting()
    event.capacity = 2
    db.session.flush()
    assert (event.seats_taken, tt.seats_taken, event.seats_left) == (1, 1, 1)

    assert services.admit_from_waitlist(waiting, organiser()) is True

    # No expire, no reload: the caller's own objects show the seat just taken.
    assert waiting.event is event and waiting.ticket_type is tt
    assert (event.seats_taken, tt.seats_taken, event.seats_left) == (2, 2, 0)


def test_admit_from_waitlist_measures_the_hold_from_the_now_it_is_given(app):
    event, _, waiting = _full_event_with_one_waiting(benchmark=False)
    event.capacity = 2
    when = utcnow() + timedelta(days=20)  # what a delayed expire-holds run passes in

    assert services.admit_from_waitlist(waiting, None, now=when) is True

    assert waiting.status == S.PENDING_BENCHMARK
    assert waiting.hold_expires_at == when + HOLD


def test_admit_from_waitlist_confirms_at_the_now_it_is_given(app):
    event, _, waiting = _full_event_with_one_waiting()
    event.capacity = 2
    when = utcnow() + timedelta(days=20)

    assert services.admit_from_waitlist(waiting, None, now=when) is True

    assert (waiting.status, waiting.confirmed_at, waiting.hold_expires_at) == (
        S.CONFIRMED,
        when,
        None,
    )


def test_expire_holds_gives_the_promoted_a_hold_from_its_own_now(app):
    event, _, waiting = _full_event_with_one_waiting(benchmark=False)
    event.capacity = 2
    db.session.flush()
    when = utcnow() + timedelta(days=3)

    summary = reminders.expire_holds(when)

    assert (summary.released, summary.promoted) == (0, 1)
    assert (waiting.status, waiting.hold_expires_at) == (S.PENDING_BENCHMARK, when + HOLD)
    actions = db.session.execute(
        select(RegistrationLog.action)
        .where(RegistrationLog.registration_id == waiting.id)
        .order_by(RegistrationLog.id)
    ).scalars()
    assert list(actions) == ["registered", "waitlisted", "promoted", "pending_benchmark"]
    assert db.session.get(Registration, waiting.id).holds_seat is True
