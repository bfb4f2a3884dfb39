"""Sending a colleague instead: the place passes whole to someone from the same business."""

from datetime import timedelta

from sqlalchemy import func, select

from app.auth.models import User
from app.events.models import Event
from app.extensions import db
from app.registration.models import Registration, RegistrationLog, SessionBooking
from app.timeutil import utcnow
from tests.factories import make_event, make_organisation, make_session, make_user
from tests.factories_checkin import make_booking, make_registration
from tests.factories_registration import make_delegate


def _url(registration) -> str:
    return f"/me/registrations/{registration.id}/transfer"


def _fresh(model, row_id):
    db.session.expire_all()
    return db.session.get(model, row_id)


def test_a_confirmed_place_passes_whole_and_the_old_ticket_stops_working(client, login, outbox):
    owner = login(make_delegate(name="Olu Owner"))
    colleague = make_user(name="Cleo Colleague", email="cleo@example.com",
                          organisation=owner.organisation)  # fmt: skip
    event = make_event(title="Lean day", price_pence=3000)
    workshop = make_session(event, title="Kanban clinic", capacity=10)
    registration = make_registration(event, user=owner, amount_due_pence=3000,
                                     amount_paid_pence=3000)  # fmt: skip
    booking = make_booking(workshop, registration)
    old_secret = registration.ticket_secret
    event.seats_taken = 1
    db.session.commit()
    page = client.get(_url(registration)).text
    assert "Pass on my place" in page and owner.organisation.name in page
    assert "Send a colleague instead" in client.get("/me/tickets").text

    response = client.post(_url(registration), data={"email": " Cleo@Example.com "})
    assert response.status_code == 303
    registration = _fresh(Registration, registration.id)
    assert (registration.user_id, registration.active_user_id) == (colleague.id, colleague.id)
    assert registration.status == "confirmed" and registration.amount_paid_pence == 3000
    assert registration.ticket_secret and registration.ticket_secret != old_secret
    assert db.session.get(Event, event.id).seats_taken == 1  # nobody else's chances changed
    booking = db.session.get(SessionBooking, booking.id)
    assert (booking.user_id, booking.status) == (colleague.id, "booked")
    log = db.session.execute(
        select(RegistrationLog).where(RegistrationLog.action == "transferred")
    ).scalar_one()
    assert log.actor_id == owner.id and log.detail == "from Olu Owner to Cleo Colleague"

    by_to = {m["To"]: m for m in outbox}
    assert set(by_to) == {"cleo@example.com", owner.email}
    arrival = by_to["cleo@example.com"]
    assert arrival["Subject"] == "Your ticket for Lean day"
    text = arrival.get_body(("plain",)).get_content()
    assert "Olu Owner has passed their place at Lean day to you." in text
    assert registration.ticket_secret in text and old_secret not in text
    notice = by_to[owner.email].get_body(("plain",)).get_content()
    assert "now Cleo Colleague's" in notice and "no longer admits anyone" in notice

    # The old QR code is gone; the owner no longer sees the place.
    assert client.get(f"/tickets/{old_secret}/qr.png").status_code == 404
    assert "Lean day" not in client.get("/me/tickets").text
    assert client.get(_url(registration)).status_code == 404
    login(colleague)
    assert registration.ticket_secret in client.get("/me/tickets").text


def test_a_colleague_without_an_account_gets_one_in_the_same_business(client, login, outbox):
    owner = login(make_delegate())
    event = make_event(title="Lean day")
    registration = make_registration(event, user=owner, status="pending_benchmark")
    db.session.commit()
    response = client.post(_url(registration), data={"email": "newbie@example.com"})
    assert response.status_code == 422
    assert "Give your colleague" in response.text and "no account yet" in response.text
    response = client.post(
        _url(registration), data={"email": "newbie@example.com", "name": "Nat Newbie"}
    )
    assert response.status_code == 303
    user = db.session.execute(select(User).where(User.email == "newbie@example.com")).scalar()
    assert user.name == "Nat Newbie" and user.organisation_id == owner.organisation_id
    registration = _fresh(Registration, registration.id)
    assert registration.user_id == user.id and registration.status == "pending_benchmark"
    subjects = sorted(m["Subject"] for m in outbox if m["To"] == "newbie@example.com")
    assert subjects == [
        "One step left: complete the benchmark for Lean day",
        "You are registered for Lean day: your Productivity Journey account",
    ]


def test_only_a_colleague_can_take_the_place_and_refusals_change_nothing(client, login, outbox):
    owner = login(make_delegate())
    event = make_event()
    registration = make_registration(event, user=owner)
    stranger = make_user(name="Sid Stranger", organisation=make_organisation("Other Ltd"))
    busy = make_user(name="Bea Busy", organisation=owner.organisation)
    make_registration(event, user=busy)
    secret = registration.ticket_secret
    db.session.commit()
    users = db.session.execute(select(func.count()).select_from(User)).scalar_one()

    for data, message in [
        ({"email": stranger.email}, "That address does not belong to a colleague at"),
        ({"email": busy.email}, "Bea Busy is already registered"),
        ({"email": owner.email}, "That is your own email address."),
        ({"email": "not an email"}, "Invalid email address."),
        ({}, "This field is required."),
    ]:
        response = client.post(_url(registration), data=data)
        assert response.status_code == 422, data
        assert message in response.text, data
        assert "Sid Stranger" not in response.text, data
    registration = _fresh(Registration, registration.id)
    assert (registration.user_id, registration.ticket_secret) == (owner.id, secret)
    assert db.session.execute(select(func.count()).select_from(User)).scalar_one() == users
    assert outbox == []


def test_nobody_passes_on_a_place_that_is_not_theirs_or_has_gone(client, login, outbox):
    owner = make_delegate()
    event = make_event()
    registration = make_registration(event, user=owner)
    cancelled = make_registration(make_event(), user=owner, status="cancelled")
    started = make_registration(make_event(starts_in=timedelta(days=-1), hours=48), user=owner)
    colleague = make_user(organisation=owner.organisation)
    intruder = login(make_delegate(organisation=owner.organisation))
    db.session.commit()
    data = {"email": colleague.email}
    assert client.post(_url(registration), data=data).status_code == 404  # not the intruder's
    login(owner)
    response = client.post(_url(cancelled), data=data)
    assert response.status_code == 422 and "no place to pass on" in response.text
    response = client.post(_url(started), data=data)
    assert response.status_code == 422 and "The event has started" in response.text
    assert client.post("/me/registrations/99999/transfer", data=data).status_code == 404
    assert _fresh(Registration, registration.id).user_id == owner.id
    intruders_places = select(Registration).where(Registration.user_id == intruder.id)
    assert db.session.execute(intruders_places).first() is None and outbox == []


def test_a_waiting_list_place_keeps_its_position(client, login, outbox):
    owner = login(make_delegate())
    event = make_event(capacity=1)
    make_registration(event)
    first = make_registration(event, user=owner, status="waitlisted", waitlisted_at=utcnow())
    colleague = make_user(organisation=owner.organisation)
    db.session.commit()
    assert client.post(_url(first), data={"email": colleague.email}).status_code == 303
    registration = _fresh(Registration, first.id)
    assert registration.user_id == colleague.id and registration.status == "waitlisted"
    arrival = next(m for m in outbox if m["To"] == colleague.email)
    assert arrival["Subject"].startswith("You are on the waiting list")
    assert "number 1 in line" in arrival.get_body(("plain",)).get_content()
