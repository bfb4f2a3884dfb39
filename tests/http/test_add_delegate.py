"""Organisers register people on their behalf: speakers, guests, bookings by phone."""

from datetime import timedelta

from sqlalchemy import func, select

from app.auth.models import Role, User
from app.events.models import Event, TicketType
from app.extensions import db
from app.registration.models import EmailLog, Registration, RegistrationLog
from tests.factories import make_event, make_user
from tests.factories_checkin import make_registration
from tests.factories_registration import make_delegate


def _count(model) -> int:
    return db.session.execute(select(func.count()).select_from(model)).scalar_one()


def _event_with_hidden_type(**kw) -> tuple[Event, TicketType]:
    event = make_event(**kw)
    guest = TicketType(name="Speaker", price_pence=0, hidden=True)
    event.ticket_types.append(guest)
    db.session.flush()
    return event, guest


def _url(event) -> str:
    return f"/organiser/events/{event.id}/registrations/new"


def test_an_existing_delegate_gets_a_complimentary_hidden_ticket_at_once(client, login, outbox):
    organiser = login(make_user(Role.ORGANISER, name="Olive Organiser"))
    event, guest = _event_with_hidden_type(price_pence=9500)
    delegate = make_user(name="Sam Speaker", email="sam@example.com")  # no business, no benchmark
    db.session.commit()
    page = client.get(_url(event)).get_data(as_text=True)
    assert "Speaker · Free (hidden)" in page and "Delegate · £95.00" in page

    response = client.post(
        _url(event), data={"email": "SAM@example.com ", "ticket_type": guest.id,
                           "complimentary": "y"},
    )  # fmt: skip
    assert response.status_code == 303
    db.session.expire_all()
    registration = db.session.execute(select(Registration)).scalar_one()
    assert (registration.user_id, registration.status) == (delegate.id, "confirmed")
    assert registration.ticket_secret and registration.amount_due_pence == 0
    assert db.session.get(Event, event.id).seats_taken == 1
    assert db.session.get(TicketType, guest.id).seats_taken == 1
    log = db.session.execute(
        select(RegistrationLog).where(RegistrationLog.action == "registered")
    ).scalar_one()
    assert log.actor_id == organiser.id and "complimentary" in log.detail
    assert [m["Subject"] for m in outbox] == [f"Your ticket for {event.title}"]
    assert outbox[0]["To"] == "sam@example.com"


def test_without_complimentary_the_usual_gates_apply(client, login, outbox):
    login(make_user(Role.ORGANISER))
    event = make_event(price_pence=4000)
    delegate = make_delegate()
    db.session.commit()
    response = client.post(
        _url(event), data={"email": delegate.email, "ticket_type": event.ticket_types[0].id}
    )
    assert response.status_code == 303
    registration = db.session.execute(select(Registration)).scalar_one()
    assert registration.status == "pending_payment"
    assert registration.amount_due_pence == 4000 and registration.ticket_secret is None


def test_a_new_email_gets_an_account_and_is_told_how_to_sign_in(client, login, outbox):
    login(make_user(Role.ORGANISER))
    event = make_event(title="Lean day")  # needs the benchmark
    db.session.commit()
    response = client.post(
        _url(event),
        data={"email": "new.person@example.com", "name": "Nia New",
              "organisation": "Fenland Fabrication Ltd", "ticket_type": event.ticket_types[0].id},
    )  # fmt: skip
    assert response.status_code == 303
    user = db.session.execute(
        select(User).where(User.email == "new.person@example.com")
    ).scalar_one()
    assert user.name == "Nia New" and user.organisation.name == "Fenland Fabrication Ltd"
    registration = db.session.execute(select(Registration)).scalar_one()
    assert registration.status == "pending_benchmark"
    subjects = sorted(m["Subject"] for m in outbox)
    assert subjects == [
        "One step left: complete the benchmark for Lean day",
        "You are registered for Lean day: your Productivity Journey account",
    ]
    invitation = next(m for m in outbox if "account" in m["Subject"])
    assert "/auth/reset" in invitation.get_body(("plain",)).get_content()
    kinds = set(db.session.execute(select(EmailLog.kind)).scalars())
    assert "account_invitation" in kinds
    # The page the email points to sends a working link to the new address.
    outbox.clear()
    client.post("/auth/logout")
    client.post("/auth/reset", data={"email": "new.person@example.com"})
    assert [m["To"] for m in outbox] == ["new.person@example.com"]


def test_a_new_email_needs_a_name_and_nothing_is_written(client, login, outbox):
    login(make_user(Role.ORGANISER))
    event = make_event()
    db.session.commit()
    users = _count(User)
    response = client.post(
        _url(event), data={"email": "nobody@example.com", "ticket_type": event.ticket_types[0].id}
    )
    assert response.status_code == 422
    assert "Give their name" in response.get_data(as_text=True)
    assert (_count(User), _count(Registration), outbox) == (users, 0, [])


def test_a_full_event_refuses_and_writes_nothing_not_even_the_new_account(client, login, outbox):
    login(make_user(Role.ORGANISER))
    event = make_event(capacity=1)
    make_registration(event)
    event.seats_taken = 1
    db.session.commit()
    users = _count(User)
    response = client.post(
        _url(event),
        data={"email": "late@example.com", "name": "Lou Late",
              "ticket_type": event.ticket_types[0].id, "complimentary": "y"},
    )  # fmt: skip
    assert response.status_code == 409
    assert "no free seat" in response.get_data(as_text=True)
    assert (_count(User), _count(Registration), outbox) == (users, 1, [])
    db.session.expire_all()
    assert db.session.get(Event, event.id).seats_taken == 1


def test_someone_already_registered_is_refused(client, login, outbox):
    login(make_user(Role.ORGANISER))
    event = make_event()
    existing = make_registration(event)
    db.session.commit()
    response = client.post(
        _url(event), data={"email": existing.user.email, "ticket_type": event.ticket_types[0].id}
    )
    assert response.status_code == 422
    assert "is already registered" in response.get_data(as_text=True)
    assert _count(Registration) == 1 and outbox == []


def test_bad_input_is_refused(client, login, outbox):
    login(make_user(Role.ORGANISER))
    event = make_event()
    other = make_event()
    over = make_event(starts_in=timedelta(days=-3))
    delegate = make_user()
    db.session.commit()
    # Another event's ticket type is not a choice here.
    response = client.post(
        _url(event), data={"email": delegate.email, "ticket_type": other.ticket_types[0].id}
    )
    assert response.status_code == 422
    bad_email = {"email": "not an email", "name": "X", "ticket_type": event.ticket_types[0].id}
    response = client.post(_url(event), data=bad_email)
    assert response.status_code == 422
    response = client.post(
        _url(over), data={"email": delegate.email, "ticket_type": over.ticket_types[0].id}
    )
    assert response.status_code == 422 and "This event is over." in response.text
    assert client.get("/organiser/events/99999/registrations/new").status_code == 404
    assert _count(Registration) == 0 and outbox == []


def test_only_organisers_add_delegates(client, login):
    event = make_event()
    login(make_user())
    db.session.commit()
    assert client.get(_url(event)).status_code == 403
    response = client.post(
        _url(event), data={"email": "x@example.com", "name": "X",
                           "ticket_type": event.ticket_types[0].id},
    )  # fmt: skip
    assert response.status_code == 403
    assert _count(Registration) == 0
