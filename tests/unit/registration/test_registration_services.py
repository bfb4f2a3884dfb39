"""The registration rules: states, seats, waiting list, holds, benchmark gate, bookings."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app import signals
from app.events.models import AgendaSession, Event, EventStatus, TicketType
from app.extensions import db
from app.registration import reminders, services
from app.registration.models import EmailLog, Registration, RegistrationLog
from app.registration.services import EventFullError, RegistrationError
from app.registration.tickets import looks_like_secret
from app.timeutil import utcnow
from tests.factories import make_event, make_organisation, make_session, make_user, organiser
from tests.factories_registration import make_benchmark, make_delegate

S = services.S


def _counts(event: Event) -> tuple[int, int]:
    db.session.expire_all()
    held = db.session.execute(
        select(func.count()).where(
            Registration.event_id == event.id, Registration.holds_seat.is_(True)
        )
    ).scalar_one()
    return db.session.get(Event, event.id).seats_taken, held


def _kinds(registration) -> list[str]:
    return list(
        db.session.execute(
            select(EmailLog.kind)
            .where(EmailLog.registration_id == registration.id)
            .order_by(EmailLog.id)
        ).scalars()
    )


def test_free_ticket_with_valid_benchmark_is_confirmed_with_a_ticket_secret(app, outbox):
    event = make_event(capacity=10)
    user = make_delegate()
    registration = services.register_delegate(user, event, event.ticket_types[0])
    assert registration.status == S.CONFIRMED
    assert registration.holds_seat is True
    assert registration.active_user_id == user.id
    assert looks_like_secret(registration.ticket_secret)
    assert len(registration.ticket_secret) == 5 + 32
    assert _counts(event) == (1, 1)
    assert outbox == []  # nothing leaves before the commit
    db.session.commit()
    assert [m["Subject"] for m in outbox] == [f"Your ticket for {event.title}"]


def test_without_benchmark_the_seat_is_held_and_no_ticket_exists(app):
    event = make_event(capacity=10)
    user = make_delegate(benchmark=False)
    now = utcnow()
    registration = services.register_delegate(user, event, event.ticket_types[0], now=now)
    assert registration.status == S.PENDING_BENCHMARK
    assert registration.ticket_secret is None
    assert registration.hold_expires_at == now + timedelta(days=7)
    assert _counts(event) == (1, 1)
    assert _kinds(registration) == ["pending_benchmark"]


def test_hold_never_runs_past_the_event_start(app):
    event = make_event(starts_in=timedelta(days=2))
    registration = services.register_delegate(
        make_delegate(benchmark=False), event, event.ticket_types[0]
    )
    assert registration.hold_expires_at == event.starts_at


def test_a_benchmark_older_than_a_year_does_not_count(app):
    org = make_organisation()
    make_benchmark(org, submitted_at=utcnow() - timedelta(days=366))
    user = make_user(organisation=org)
    event = make_event()
    assert services.register_delegate(user, event, event.ticket_types[0]).status == (
        S.PENDING_BENCHMARK
    )


def test_event_without_benchmark_requirement_confirms_at_once(app):
    event = make_event(requires_benchmark=False)
    user = make_user()  # no organisation at all
    assert services.register_delegate(user, event, event.ticket_types[0]).status == S.CONFIRMED


def test_benchmark_event_needs_an_organisation(app):
    event = make_event()
    with pytest.raises(RegistrationError, match="which business"):
        services.register_delegate(make_user(), event, event.ticket_types[0])
    assert _counts(event) == (0, 0)


def test_submitting_the_benchmark_confirms_every_colleague_waiting(app, outbox):
    org = make_organisation()
    first, second = make_user(organisation=org), make_user(organisation=org)
    other = make_delegate(benchmark=False)
    event_a, event_b = make_event(), make_event()
    regs = [
        services.register_delegate(first, event_a, event_a.ticket_types[0]),
        services.register_delegate(second, event_a, event_a.ticket_types[0]),
        services.register_delegate(first, event_b, event_b.ticket_types[0]),
    ]
    waiting = services.register_delegate(other, event_a, event_a.ticket_types[0])
    db.session.commit()
    outbox.clear()
    response = make_benchmark(org, submitted_at=utcnow(), user=first)
    signals.benchmark_submitted.send(org, actor=first, response=response)
    db.session.commit()
    assert [r.status for r in regs] == [S.CONFIRMED] * 3
    assert all(looks_like_secret(r.ticket_secret) for r in regs)
    assert waiting.status == S.PENDING_BENCHMARK
    assert sorted(m["To"] for m in outbox) == sorted([first.email, second.email, first.email])
    assert {m["Subject"] for m in outbox} == {
        f"Your ticket for {event_a.title}",
        f"Your ticket for {event_b.title}",
    }


def test_paid_ticket_waits_for_payment_then_benchmark(app):
    event = make_event(price_pence=4500)
    user = make_delegate(benchmark=False)
    org_user = organiser()
    registration = services.register_delegate(user, event, event.ticket_types[0])
    assert registration.status == S.PENDING_PAYMENT
    assert registration.amount_due_pence == 4500
    assert registration.hold_expires_at is not None
    services.mark_paid(registration, org_user, amount_pence=4500)
    assert registration.status == S.PENDING_BENCHMARK
    assert registration.paid_at is not None
    assert registration.marked_paid_by_id == org_user.id
    # Paid: the seat is kept whatever happens to the hold (DESIGN.md rule 3).
    assert registration.hold_expires_at is None
    summary = reminders.expire_holds(utcnow() + timedelta(days=20))
    assert summary.released == 0
    assert registration.status == S.PENDING_BENCHMARK
    assert _counts(event) == (1, 1)


def test_mark_paid_twice_changes_nothing_the_second_time(app):
    event = make_event(price_pence=1000, requires_benchmark=False)
    registration = services.register_delegate(make_delegate(), event, event.ticket_types[0])
    services.mark_paid(registration, None, amount_pence=1000, provider="stripe")
    assert registration.status == S.CONFIRMED
    paid_at, secret = registration.paid_at, registration.ticket_secret
    services.mark_paid(registration, None, amount_pence=999, provider="stripe")
    assert (registration.paid_at, registration.ticket_secret) == (paid_at, secret)
    assert registration.amount_paid_pence == 1000
    assert registration.marked_paid_by_id is None  # not an organiser: the webhook
    assert _kinds(registration) == ["pending_payment", "confirmation"]


def test_mark_paid_refuses_cancelled_and_negative(app):
    event = make_event(price_pence=1000)
    registration = services.register_delegate(make_delegate(), event, event.ticket_types[0])
    with pytest.raises(RegistrationError, match="negative"):
        services.mark_paid(registration, None, amount_pence=-1)
    services.release_registration(registration, None, reason="test")
    with pytest.raises(RegistrationError, match="cancelled"):
        services.mark_paid(registration, None, amount_pence=1000)


def test_full_event_refuses_unless_joining_the_waitlist(app, outbox):
    event = make_event(capacity=1)
    tt = event.ticket_types[0]
    services.register_delegate(make_delegate(), event, tt)
    late = make_delegate()
    with pytest.raises(EventFullError, match="full"):
        services.register_delegate(late, event, tt)
    assert db.session.execute(select(func.count(Registration.id))).scalar_one() == 1
    waiting = services.register_delegate(late, event, tt, join_waitlist=True)
    third = services.register_delegate(make_delegate(), event, tt, join_waitlist=True)
    assert (waiting.status, waiting.holds_seat) == (S.WAITLISTED, False)
    assert services.waitlist_position(waiting) == 1
    assert services.waitlist_position(third) == 2
    assert services.waitlist_positions([event.id]) == {waiting.id: 1, third.id: 2}
    assert _counts(event) == (1, 1)


def test_ticket_type_capacity_is_enforced_and_gives_back_the_event_seat(app):
    event = make_event(capacity=10, ticket_capacity=1)
    tt = event.ticket_types[0]
    services.register_delegate(make_delegate(), event, tt)
    with pytest.raises(EventFullError, match="for Delegate tickets"):
        services.register_delegate(make_delegate(), event, tt)
    assert _counts(event) == (1, 1)
    assert db.session.get(TicketType, tt.id).seats_taken == 1


def test_cancelling_frees_the_seat_and_promotes_the_first_in_line(app, outbox):
    event = make_event(capacity=1)
    tt = event.ticket_types[0]
    holder = make_delegate()
    first = make_delegate()
    second = make_delegate()
    registration = services.register_delegate(holder, event, tt)
    w1 = services.register_delegate(first, event, tt, join_waitlist=True)
    w2 = services.register_delegate(second, event, tt, join_waitlist=True)
    db.session.commit()
    outbox.clear()
    services.cancel_registration(registration, holder)
    db.session.commit()
    assert registration.status == S.CANCELLED
    assert registration.active_user_id is None
    assert registration.cancelled_by_id == holder.id
    assert (w1.status, w1.holds_seat) == (S.CONFIRMED, True)
    assert w2.status == S.WAITLISTED
    assert services.waitlist_position(w2) == 1
    assert _counts(event) == (1, 1)
    assert [(m["To"], m["Subject"]) for m in outbox] == [
        (holder.email, f"Your registration for {event.title} is cancelled"),
        (first.email, f"A place has come up for you at {event.title}"),
        (first.email, f"Your ticket for {event.title}"),
    ]
    actions = db.session.execute(
        select(RegistrationLog.action).where(RegistrationLog.registration_id == w1.id)
    ).scalars()
    assert list(actions) == ["registered", "waitlisted", "promoted", "confirmed"]


def test_releasing_twice_frees_one_seat(app):
    event = make_event(capacity=5)
    tt = event.ticket_types[0]
    regs = [services.register_delegate(make_delegate(), event, tt) for _ in range(2)]
    services.release_registration(regs[0], None, reason="a")
    services.release_registration(regs[0], None, reason="b")
    assert _counts(event) == (1, 1)
    assert db.session.get(TicketType, tt.id).seats_taken == 1


def test_a_stale_copy_cannot_free_a_seat_twice(app):
    """Two requests loaded the same registration; both try to cancel it."""
    event = make_event(capacity=5)
    registration = services.register_delegate(make_delegate(), event, event.ticket_types[0])
    services.register_delegate(make_delegate(), event, event.ticket_types[0])
    db.session.commit()
    db.session.execute(
        Registration.__table__.update()
        .where(Registration.id == registration.id)
        .values(status=S.CANCELLED, holds_seat=False, active_user_id=None)
    )
    # In memory it still looks confirmed and seated.
    assert registration.status == S.CONFIRMED
    services.release_registration(registration, None, reason="late click")
    assert _counts(event) == (2, 1)  # the counter was not decremented by the stale copy


def test_delegate_cannot_cancel_after_start_or_someone_elses(app):
    event = make_event()
    owner = make_delegate()
    registration = services.register_delegate(owner, event, event.ticket_types[0])
    with pytest.raises(RegistrationError, match="your own"):
        services.cancel_registration(registration, make_user())
    with pytest.raises(RegistrationError, match="started"):
        services.cancel_registration(registration, owner, now=event.starts_at)
    assert registration.status == S.CONFIRMED
    services.cancel_registration(registration, organiser(), now=event.starts_at)
    assert registration.status == S.CANCELLED


def test_refund_frees_the_seat(app, outbox):
    event = make_event(capacity=1, price_pence=2000, requires_benchmark=False)
    tt = event.ticket_types[0]
    registration = services.register_delegate(make_delegate(), event, tt)
    services.mark_paid(registration, None, amount_pence=2000, provider="stripe")
    waiting = services.register_delegate(make_delegate(), event, tt, join_waitlist=True)
    services.refund_registration(registration, None)
    assert registration.status == S.REFUNDED
    assert waiting.status == S.PENDING_PAYMENT  # promoted; they still have to pay
    assert _counts(event) == (1, 1)
    assert "refunded" in _kinds(registration)


def test_ending_a_registration_frees_its_workshop_seats(app):
    event = make_event()
    workshop = make_session(event, capacity=1)
    user = make_delegate()
    registration = services.register_delegate(user, event, event.ticket_types[0])
    services.book_session(user, workshop)
    other = make_delegate()
    services.register_delegate(other, event, event.ticket_types[0])
    waiting = services.book_session(other, workshop)
    assert waiting.status == services.SESSION_WAITLISTED
    services.cancel_registration(registration, user)
    db.session.expire_all()
    assert waiting.status == services.BOOKED
    assert db.session.get(AgendaSession, workshop.id).seats_taken == 1


def test_organiser_confirms_by_hand_and_admits_from_waitlist(app):
    event = make_event(capacity=1, price_pence=500)
    tt = event.ticket_types[0]
    boss = organiser()
    pending = services.register_delegate(make_delegate(benchmark=False), event, tt)
    services.confirm_registration(pending, boss)
    assert pending.status == S.CONFIRMED and pending.ticket_secret
    waiting = services.register_delegate(make_delegate(), event, tt, join_waitlist=True)
    assert services.admit_from_waitlist(waiting, boss) is False  # no free seat
    with pytest.raises(EventFullError):
        services.confirm_registration(waiting, boss)
    assert waiting.status == S.WAITLISTED
    db.session.get(Event, event.id).capacity = 2
    assert services.admit_from_waitlist(waiting, boss) is True
    assert waiting.status == S.PENDING_PAYMENT
    assert _counts(event) == (2, 2)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"status": EventStatus.DRAFT}, "not open"),
        ({"status": EventStatus.CANCELLED}, "cancelled"),
        ({"registration_closes_at": "past"}, "closed"),
        ({"registration_opens_at": "future"}, "not opened yet"),
        ({"starts_at": "past"}, "already started"),
    ],
)
def test_closed_events_refuse_registration_and_write_nothing(app, change, message):
    event = make_event()
    for key, value in change.items():
        if value == "past":
            value = utcnow() - timedelta(minutes=1)
        elif value == "future":
            value = utcnow() + timedelta(days=1)
        setattr(event, key, value)
    with pytest.raises(RegistrationError, match=message):
        services.register_delegate(make_delegate(), event, event.ticket_types[0])
    assert _counts(event) == (0, 0)
    assert db.session.execute(select(func.count(Registration.id))).scalar_one() == 0


def test_ticket_type_of_another_event_hidden_or_off_sale_is_refused(app):
    event, other = make_event(), make_event()
    user = make_delegate()
    with pytest.raises(RegistrationError, match="not for this event"):
        services.register_delegate(user, event, other.ticket_types[0])
    tt = event.ticket_types[0]
    tt.hidden = True
    with pytest.raises(RegistrationError, match="not on sale"):
        services.register_delegate(user, event, tt)
    tt.hidden, tt.sales_end = False, utcnow() - timedelta(hours=1)
    with pytest.raises(RegistrationError, match="no longer on sale"):
        services.register_delegate(user, event, tt)
    assert _counts(event) == (0, 0)


def test_registering_twice_is_refused(app):
    event = make_event()
    user = make_delegate()
    services.register_delegate(user, event, event.ticket_types[0])
    with pytest.raises(RegistrationError, match="already registered"):
        services.register_delegate(user, event, event.ticket_types[0], join_waitlist=True)
    assert _counts(event) == (1, 1)


def test_registering_again_after_cancelling_is_allowed(app):
    event = make_event()
    user = make_delegate()
    first = services.register_delegate(user, event, event.ticket_types[0])
    services.cancel_registration(first, user)
    second = services.register_delegate(user, event, event.ticket_types[0])
    assert second.status == S.CONFIRMED and second.ticket_secret != first.ticket_secret
    assert _counts(event) == (1, 1)


def test_rolled_back_work_sends_no_email(app, outbox):
    event = make_event()
    services.register_delegate(make_delegate(), event, event.ticket_types[0])
    db.session.rollback()
    db.session.commit()
    assert outbox == []


def test_expire_holds_releases_reminds_and_promotes_idempotently(app, outbox):
    event = make_event(capacity=2, starts_in=timedelta(days=30))
    tt = event.ticket_types[0]
    start = utcnow()
    old = services.register_delegate(make_delegate(benchmark=False), event, tt, now=start)
    later = start + timedelta(days=3)
    recent = services.register_delegate(make_delegate(benchmark=False), event, tt, now=later)
    waiting = services.register_delegate(make_delegate(), event, tt, join_waitlist=True)
    db.session.commit()
    outbox.clear()
    # Day 6: the first hold is within 48 hours of expiry: one reminder, nothing released.
    day6 = start + timedelta(days=6)
    assert str(reminders.expire_holds(day6)).startswith("released 0 expired holds, sent 1")
    assert reminders.expire_holds(day6).reminded == 0  # not twice
    db.session.commit()
    assert [m["To"] for m in outbox] == [old.user.email]
    # Day 7: the first hold lapses; the seat goes to the waiting list.
    day7 = start + timedelta(days=7, minutes=1)
    summary = reminders.expire_holds(day7)
    assert (summary.released, summary.promoted) == (1, 0)  # promoted inside the release
    db.session.commit()
    assert old.status == S.CANCELLED and old.cancelled_by_id is None
    assert waiting.status == S.CONFIRMED
    assert recent.status == S.PENDING_BENCHMARK
    again = reminders.expire_holds(day7)
    assert (again.released, again.reminded, again.promoted) == (0, 0, 0)
    assert _counts(event) == (2, 2)


def test_expire_holds_confirms_a_pending_registration_whose_benchmark_exists(app):
    event = make_event()
    user = make_delegate(benchmark=False)
    registration = services.register_delegate(user, event, event.ticket_types[0])
    make_benchmark(user.organisation)
    assert reminders.expire_holds().confirmed == 1
    assert registration.status == S.CONFIRMED


def test_expire_holds_fills_seats_freed_by_a_capacity_increase(app):
    event = make_event(capacity=1)
    tt = event.ticket_types[0]
    services.register_delegate(make_delegate(), event, tt)
    waiting = services.register_delegate(make_delegate(), event, tt, join_waitlist=True)
    db.session.get(Event, event.id).capacity = 2
    assert reminders.expire_holds().promoted == 1
    assert waiting.status == S.CONFIRMED


# --- workshop bookings -----------------------------------------------------------------------


def _confirmed(event):
    user = make_delegate()
    services.register_delegate(user, event, event.ticket_types[0])
    return user


def test_booking_needs_a_confirmed_registration(app):
    event = make_event()
    workshop = make_session(event, capacity=5)
    with pytest.raises(RegistrationError, match="confirmed place"):
        services.book_session(make_delegate(), workshop)
    pending = make_delegate(benchmark=False)
    services.register_delegate(pending, event, event.ticket_types[0])
    with pytest.raises(RegistrationError, match="confirmed place"):
        services.book_session(pending, workshop)
    assert db.session.get(AgendaSession, workshop.id).seats_taken == 0


def test_overlapping_sessions_cannot_both_be_booked(app):
    event = make_event()
    a = make_session(event, start_offset=timedelta(hours=1), minutes=60, capacity=5, title="A")
    b = make_session(event, start_offset=timedelta(hours=1, minutes=30), capacity=5)
    c = make_session(event, start_offset=timedelta(hours=2), capacity=5)  # starts as A ends
    user = _confirmed(event)
    services.book_session(user, a)
    with pytest.raises(RegistrationError, match="overlaps with “A”"):
        services.book_session(user, b)
    assert services.book_session(user, c).status == services.BOOKED
    with pytest.raises(RegistrationError, match="already have a seat"):
        services.book_session(user, c)


def test_session_waitlist_is_promoted_when_a_seat_is_given_up(app, outbox):
    event = make_event()
    workshop = make_session(event, capacity=1)
    first, second = _confirmed(event), _confirmed(event)
    services.book_session(first, workshop)
    with pytest.raises(EventFullError):
        services.book_session(second, workshop, join_waitlist=False)
    waiting = services.book_session(second, workshop)
    assert services.session_waitlist_position(waiting) == 1
    db.session.commit()
    outbox.clear()
    services.cancel_booking(first, workshop)
    db.session.commit()
    assert waiting.status == services.BOOKED
    assert db.session.get(AgendaSession, workshop.id).seats_taken == 1
    assert [m["To"] for m in outbox] == [second.email]
    assert workshop.title in outbox[0]["Subject"]


def test_unbookable_sessions_are_refused(app):
    event = make_event()
    user = _confirmed(event)
    with pytest.raises(RegistrationError, match="cannot be booked"):
        services.book_session(user, make_session(event))  # no capacity
    with pytest.raises(RegistrationError, match="cannot be booked"):
        services.book_session(user, make_session(event, capacity=3, publish=False))
    with pytest.raises(RegistrationError, match="no booking"):
        services.cancel_booking(user, make_session(event, capacity=3))
