"""Booking a place for a colleague: their registration, their ticket, under the same rules."""

import pytest
from sqlalchemy import func, select

from app.auth.models import User
from app.events.models import Event
from app.extensions import db
from app.registration.models import Registration, RegistrationLog
from tests.factories import make_event, make_organisation, make_user
from tests.factories_checkin import make_registration
from tests.factories_registration import make_delegate


def _url(event) -> str:
    return f"/events/{event.slug}/register/colleague"


def _count(model) -> int:
    return db.session.execute(select(func.count()).select_from(model)).scalar_one()


def test_a_colleague_is_registered_in_their_own_name(client, login, outbox):
    booker = login(make_delegate(name="Bo Booker"))
    colleague = make_user(name="Cy Colleague", organisation=booker.organisation)
    event = make_event(title="Lean day")
    db.session.commit()
    assert "Register a colleague" in client.get(_url(event)).text
    response = client.post(
        _url(event), data={"email": colleague.email, "ticket_type": event.ticket_types[0].id}
    )
    assert response.status_code == 303
    registration = db.session.execute(select(Registration)).scalar_one()
    # The business's benchmark counts for the colleague: confirmed, with their own ticket.
    assert (registration.user_id, registration.status) == (colleague.id, "confirmed")
    assert registration.ticket_secret
    log = db.session.execute(
        select(RegistrationLog).where(RegistrationLog.action == "registered")
    ).scalar_one()
    assert log.actor_id == booker.id and "booked by Bo Booker" in log.detail
    [message] = outbox
    assert (message["To"], message["Subject"]) == (colleague.email, "Your ticket for Lean day")
    db.session.expire_all()
    assert db.session.get(Event, event.id).seats_taken == 1


def test_a_new_colleague_gets_an_account_in_the_business(client, login, outbox):
    booker = login(make_delegate())
    event = make_event(title="Lean day")
    db.session.commit()
    data = {"email": "new.hire@example.com", "ticket_type": event.ticket_types[0].id}
    response = client.post(_url(event), data=data)
    assert response.status_code == 422 and "no account yet" in response.text
    assert _count(Registration) == 0
    response = client.post(_url(event), data={**data, "name": "Nell Newhire"})
    assert response.status_code == 303
    user = db.session.execute(select(User).where(User.email == "new.hire@example.com")).scalar()
    assert user.organisation_id == booker.organisation_id
    assert sorted(m["Subject"] for m in outbox) == [
        "You are registered for Lean day: your Productivity Journey account",
        "Your ticket for Lean day",
    ]


def test_full_events_closed_registration_and_strangers_are_refused(client, login, outbox):
    booker = login(make_delegate())
    colleague = make_user(organisation=booker.organisation)
    stranger = make_user(name="Sid Stranger", organisation=make_organisation())
    busy = make_user(name="Bea Busy", organisation=booker.organisation)
    full = make_event(capacity=1)
    make_registration(full)
    full.seats_taken = 1
    open_event = make_event()
    make_registration(open_event, user=busy)
    draft = make_event(status="draft")
    db.session.commit()
    registrations = _count(Registration)

    def post(event, **data):
        data.setdefault("ticket_type", event.ticket_types[0].id)
        return client.post(_url(event), data=data)

    response = post(full, email=colleague.email)
    assert response.status_code == 409 and "is full" in response.text
    response = post(open_event, email=stranger.email)
    assert response.status_code == 422 and "does not belong to a colleague at" in response.text
    assert "Sid Stranger" not in response.text  # the owner of an address is never named
    response = post(open_event, email=busy.email)
    assert response.status_code == 422 and "Bea Busy is already registered" in response.text
    response = post(open_event, email=booker.email)
    assert response.status_code == 422 and "your own email address" in response.text
    response = post(open_event, email=colleague.email, ticket_type=full.ticket_types[0].id)
    assert response.status_code == 422  # another event's ticket type is not a choice
    assert client.get(_url(draft)).status_code == 404
    assert _count(Registration) == registrations and outbox == []

    # Full, but they asked for the waiting list: waitlisted in the colleague's name.
    response = post(full, email=colleague.email, join_waitlist="y")
    assert response.status_code == 303
    waiting = db.session.execute(
        select(Registration).where(Registration.user_id == colleague.id)
    ).scalar_one()
    assert waiting.status == "waitlisted"


def test_signing_in_is_needed(client):
    event = make_event()
    db.session.commit()
    response = client.get(_url(event))
    assert response.status_code == 302 and "/auth/login" in response.location


@pytest.mark.config(RATELIMIT_ENABLED=True)
def test_booking_for_colleagues_is_rate_limited(client, login):
    """It can create accounts and email new addresses: it must not become a way to spam."""
    login(make_delegate())
    event = make_event()
    db.session.commit()
    statuses = [
        client.post(_url(event), data={"email": f"x{n}@example.com", "ticket_type": 0}).status_code
        for n in range(21)
    ]
    assert statuses[:20] == [422] * 20 and statuses[20] == 429
