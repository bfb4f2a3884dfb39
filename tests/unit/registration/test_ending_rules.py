"""Ending a registration: what is recorded (when, by whom, why), what the delegate is told, the
counters the caller holds, the waiting list measured from the same moment, and the exact words
of each refusal."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.registration import services
from app.registration.models import RegistrationLog
from app.registration.services import RegistrationError
from app.timeutil import utcnow
from tests.factories import make_event, make_user, organiser
from tests.factories_registration import make_delegate

S = services.S
HOLD = timedelta(days=7)  # TestConfig's HOLD_DAYS


def _last_log(registration):
    return db.session.execute(
        select(RegistrationLog.action, RegistrationLog.actor_id, RegistrationLog.detail)
        .where(RegistrationLog.registration_id == registration.id)
        .order_by(RegistrationLog.id.desc())
        .limit(1)
    ).one()


def _body(message) -> str:
    return " ".join(message.get_body(("plain",)).get_content().split())


@pytest.fixture
def held(app):
    """A registration waiting for its benchmark (its seat held until a date) in a full event with
    one delegate waiting."""
    event = make_event(capacity=1, starts_in=timedelta(days=60), title="Lean Summit")
    tt = event.ticket_types[0]
    owner = make_delegate(benchmark=False)
    registration = services.register_delegate(owner, event, tt)
    waiting = services.register_delegate(
        make_delegate(benchmark=False), event, tt, join_waitlist=True
    )
    assert registration.status == S.PENDING_BENCHMARK and registration.hold_expires_at
    return event, tt, owner, registration, waiting


@pytest.mark.parametrize("by", ["delegate", "organiser"])
def test_cancelling_records_when_who_and_why_and_tells_the_delegate(app, held, outbox, by):
    _, _, owner, registration, _ = held
    actor = owner if by == "delegate" else organiser()
    db.session.commit()
    outbox.clear()
    when = utcnow() + timedelta(days=2)

    services.cancel_registration(registration, actor, now=when)
    db.session.commit()

    assert (
        registration.status,
        registration.cancelled_at,
        registration.cancelled_by_id,
        registration.hold_expires_at,
        registration.holds_seat,
        registration.active_user_id,
    ) == (S.CANCELLED, when, actor.id, None, False, None)
    reason = "cancelled by the delegate" if by == "delegate" else "cancelled by an organiser"
    assert _last_log(registration) == ("cancelled", actor.id, reason)
    cancelled = [m for m in outbox if m["To"] == owner.email]
    assert [m["Subject"] for m in cancelled] == ["Your registration for Lean Summit is cancelled"]
    assert f"Your registration for Lean Summit is cancelled ({reason})." in _body(cancelled[0])


def test_the_seat_freed_goes_to_the_next_in_line_with_a_hold_from_the_same_moment(app, held):
    _, _, owner, registration, waiting = held
    when = utcnow() + timedelta(days=2)

    services.cancel_registration(registration, owner, now=when)

    assert (waiting.status, waiting.holds_seat, waiting.hold_expires_at) == (
        S.PENDING_BENCHMARK,
        True,
        when + HOLD,
    )


def test_the_callers_own_objects_show_the_seat_given_back(app):
    event = make_event(capacity=3, ticket_capacity=3)
    tt = event.ticket_types[0]
    owner = make_delegate()
    registration = services.register_delegate(owner, event, tt)
    services.register_delegate(make_delegate(), event, tt)
    assert (event.seats_taken, tt.seats_taken) == (2, 2)

    services.cancel_registration(registration, owner)

    # No expire, no reload: the event and ticket type in hand show one seat fewer.
    assert registration.event is event and registration.ticket_type is tt
    assert (event.seats_taken, tt.seats_taken, event.seats_left) == (1, 1, 2)


def test_releasing_keeps_the_reason_in_the_log(app, held):
    _, _, _, registration, _ = held

    services.release_registration(registration, None, reason="hold expired")

    assert _last_log(registration) == ("cancelled", None, "hold expired")
    assert registration.cancelled_by_id is None


def test_refusals_say_exactly_why_and_change_nothing(app, held):
    event, _, owner, registration, _ = held

    with pytest.raises(RegistrationError) as other:
        services.cancel_registration(registration, make_user())
    with pytest.raises(RegistrationError) as started:
        services.cancel_registration(registration, owner, now=event.starts_at)
    assert registration.status == S.PENDING_BENCHMARK
    services.cancel_registration(registration, owner)
    with pytest.raises(RegistrationError) as again:
        services.cancel_registration(registration, owner)

    assert str(other.value) == "You can only cancel your own registration."
    assert str(started.value) == "The event has started; please speak to the organisers."
    assert str(again.value) == "This registration is already cancelled."
