"""`flask expire-holds` and the demo registrations."""

from datetime import timedelta

from sqlalchemy import func, select

from app.auth.models import User
from app.events.models import Event
from app.extensions import db
from app.registration import services
from app.registration.models import Registration, SessionBooking
from app.timeutil import utcnow
from tests.factories import make_event
from tests.factories_registration import make_delegate


def test_expire_holds_command_releases_lapsed_holds_once(app, runner):
    event = make_event(capacity=1)
    tt = event.ticket_types[0]
    stale = services.register_delegate(
        make_delegate(benchmark=False), event, tt, now=utcnow() - timedelta(days=8)
    )
    waiting = services.register_delegate(make_delegate(), event, tt, join_waitlist=True)
    db.session.commit()
    result = runner.invoke(args=["expire-holds"])
    assert result.exit_code == 0, result.output
    assert result.output == (
        "Released 1 expired holds, sent 0 reminders, promoted 0 from waiting lists, confirmed 0, "
        "sent 0 event reminders.\n"
    )
    db.session.expire_all()
    assert stale.status == services.S.CANCELLED
    assert waiting.status == services.S.CONFIRMED
    again = runner.invoke(args=["expire-holds"])
    assert again.output.startswith("Released 0 expired holds, sent 0 reminders")
    assert db.session.get(Event, event.id).seats_taken == 1


def test_expire_holds_rejects_a_nonsense_interval(app, runner):
    result = runner.invoke(args=["expire-holds", "--loop", "--interval", "0"])
    assert result.exit_code == 2
    assert "Invalid value for '--interval'" in result.output


def test_demo_delegate_has_a_confirmed_conference_ticket_and_counters_add_up(app):
    from app.demo import seed_demo

    seed_demo()
    db.session.commit()
    delegate = db.session.execute(
        select(User).where(User.email == "delegate@example.com")
    ).scalar_one()
    conference = db.session.execute(
        select(Event).where(Event.slug == "productivity-journey")
    ).scalar_one()
    registration = services.live_registration(delegate.id, conference.id)
    assert registration.status == services.S.CONFIRMED
    assert registration.ticket_secret.startswith("JRN1-")
    statuses = set(db.session.execute(select(Registration.status).distinct()).scalars())
    assert statuses == {
        "confirmed", "pending_benchmark", "pending_payment", "waitlisted", "awaiting_host"
    }  # fmt: skip
    for event in db.session.execute(select(Event)).scalars():
        held = db.session.execute(
            select(func.count()).where(
                Registration.event_id == event.id, Registration.holds_seat.is_(True)
            )
        ).scalar_one()
        assert event.seats_taken == held
    assert db.session.execute(select(func.count(SessionBooking.id))).scalar_one() == 4
