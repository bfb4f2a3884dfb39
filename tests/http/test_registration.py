"""Registering through the site, and the bad requests that must write nothing."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.auth.models import Organisation
from app.events.models import EventStatus
from app.extensions import db
from app.registration import services
from app.registration.models import Registration, SessionBooking
from app.templating import format_local
from app.timeutil import utcnow
from tests.conftest import csrf_token_from
from tests.factories import make_event, make_session, make_user
from tests.factories_registration import make_delegate

S = services.S


def _registrations() -> int:
    return db.session.execute(select(func.count(Registration.id))).scalar_one()


def _url(event) -> str:
    return f"/events/{event.slug}/register"


def test_anonymous_visitor_sees_tickets_and_is_asked_to_sign_in_or_sign_up(client, app):
    event = make_event(price_pence=0)
    db.session.commit()
    response = client.get(_url(event))
    assert response.status_code == 200
    assert f"/auth/signup?next=/events/{event.slug}/register" in response.text
    assert f"/auth/login?next=/events/{event.slug}/register" in response.text
    response = client.post(_url(event), data={"ticket_type": event.ticket_types[0].id})
    assert response.status_code == 302
    assert response.location.startswith("/auth/login?next=")
    assert _registrations() == 0


def test_confirmed_registration_goes_to_my_tickets(client, login, outbox):
    event = make_event()
    user = login(make_delegate())
    db.session.commit()
    response = client.post(_url(event), data={"ticket_type": event.ticket_types[0].id})
    assert response.status_code == 302
    assert response.location == "/me/tickets"
    registration = db.session.execute(select(Registration)).scalar_one()
    assert (registration.user_id, registration.status) == (user.id, S.CONFIRMED)
    assert [m["Subject"] for m in outbox] == [f"Your ticket for {event.title}"]
    page = client.get("/me/tickets").text
    assert f"/tickets/{registration.ticket_secret}/qr.png" in page
    assert "You are registered for" in page


def test_registration_waiting_for_the_benchmark_goes_to_the_benchmark(client, login, outbox):
    event = make_event()
    login(make_delegate(benchmark=False))
    db.session.commit()
    response = client.post(_url(event), data={"ticket_type": event.ticket_types[0].id})
    assert response.location == "/benchmark?next=/me/tickets"
    assert db.session.execute(select(Registration.status)).scalar_one() == S.PENDING_BENCHMARK
    page = client.get("/me/tickets").text
    assert "qr.png" not in page
    assert "Complete the benchmark" in page
    assert outbox[0]["Subject"].startswith("One step left")


@pytest.mark.config(INVOICE_PAYMENT_DETAILS="Sort code 11-22-33, account 12345678.")
def test_paid_ticket_without_stripe_is_pay_by_invoice(client, login):
    event = make_event(price_pence=4500)
    login(make_delegate())
    db.session.commit()
    assert "by invoice" in client.get(_url(event)).text
    response = client.post(_url(event), data={"ticket_type": event.ticket_types[0].id})
    registration = db.session.execute(select(Registration)).scalar_one()
    # The payment page says how, by when and with which reference; no flash repeats it.
    assert response.location == f"/payments/registrations/{registration.id}"
    page = client.get(response.location).text
    deadline = format_local(registration.hold_expires_at, "%a %-d %b %Y, %H:%M")
    assert f"held until <strong>{deadline}</strong>" in page
    assert f"reference <strong>JRN-{registration.id:06d}</strong>" in page
    assert 'class="alert' not in page  # one message: the page itself
    assert "<p>Sort code 11-22-33, account 12345678.</p>" in page
    tickets = client.get("/me/tickets").text
    assert f"reference <strong>JRN-{registration.id:06d}</strong>" in tickets
    assert f'href="/payments/registrations/{registration.id}">Payment status' in tickets
    assert "qr.png" not in tickets


def test_delegate_without_a_business_names_it_while_registering(client, login):
    event = make_event()
    user = login(make_user())
    db.session.commit()
    page = client.get(_url(event)).text
    assert 'name="organisation"' in page
    response = client.post(
        _url(event),
        data={"ticket_type": event.ticket_types[0].id, "organisation": "Fen Gears Ltd"},
    )
    assert response.status_code == 302
    db.session.expire_all()
    org = db.session.execute(select(Organisation)).scalar_one()
    assert org.name == "Fen Gears Ltd"
    assert db.session.get(type(user), user.id).organisation_id == org.id


def test_full_event_offers_the_waiting_list_then_shows_the_position(client, login):
    event = make_event(capacity=1)
    services.register_delegate(make_delegate(), event, event.ticket_types[0])
    login(make_delegate())
    db.session.commit()
    data = {"ticket_type": event.ticket_types[0].id}
    # The page says it is sold out, and its one button joins the waiting list.
    page = client.get(_url(event)).text
    assert "Sold out." in page
    assert '<input type="hidden" name="join_waitlist" value="y">' in page
    assert ">Join the waiting list</button>" in page and ">Register</button>" not in page
    assert _registrations() == 1
    response = client.post(_url(event), data={**data, "join_waitlist": "y"})
    registration = db.session.execute(
        select(Registration).where(Registration.status == S.WAITLISTED)
    ).scalar_one()
    assert response.location == f"/me/tickets#registration-{registration.id}"
    page = client.get("/me/tickets").text
    assert "is full: you are number" not in page  # the card says it, no flash repeats it
    assert "You are number <strong>1</strong> on the waiting list" in page


def test_a_seat_taken_while_choosing_turns_the_form_into_the_waiting_list(client, login):
    event = make_event(capacity=1)
    login(make_delegate())
    db.session.commit()
    data = {"ticket_type": event.ticket_types[0].id}
    services.register_delegate(make_delegate(), event, event.ticket_types[0])
    db.session.commit()
    response = client.post(_url(event), data=data)
    assert response.status_code == 409
    assert "You can join the waiting list" in response.text
    assert '<input type="hidden" name="join_waitlist" value="y">' in response.text
    assert _registrations() == 1


def _writes(statements: list[str]) -> list[str]:
    return [
        s for s in statements if s.lstrip().split()[0].upper() in {"INSERT", "UPDATE", "DELETE"}
    ]


def test_a_sold_out_event_is_refused_before_anything_is_written(client, login, count_queries):
    event = make_event(capacity=1)
    services.register_delegate(make_delegate(), event, event.ticket_types[0])
    login(make_delegate())
    db.session.commit()
    data = {"ticket_type": event.ticket_types[0].id}
    db.session.expunge_all()  # the request starts with nothing loaded, as in production
    with count_queries() as statements:
        response = client.post(_url(event), data=data)
    assert response.status_code == 409
    assert f"{event.title} is full. You can join the waiting list." in response.text
    assert ">Join the waiting list</button>" in response.text
    # Most of a sold-out rush comes this way: no seat UPDATE waiting on the event's row, no
    # rollback, no reloads: the event (with its tickets), the person, any live registration
    # and the questions, each read once.
    assert _writes(statements) == []
    assert len(statements) <= 4, statements
    db.session.expire_all()
    assert event.seats_taken == 1 and _registrations() == 1


def test_the_last_seat_taken_meanwhile_rolls_back_what_was_written(client, login, monkeypatch):
    from app.outbox.models import OutboxMessage

    event = make_event(capacity=1)
    services.register_delegate(make_delegate(), event, event.ticket_types[0])
    login(make_delegate())
    db.session.commit()
    outbox_before = db.session.execute(select(func.count(OutboxMessage.id))).scalar_one()
    # As if this request had read the counters just before someone else took the last seat:
    # the registration, its log and its email are written, then the seat is refused.
    monkeypatch.setattr(services, "sold_out_as_read", lambda event, ticket_type: False)
    response = client.post(_url(event), data={"ticket_type": event.ticket_types[0].id})
    assert response.status_code == 409
    assert "is full. You can join the waiting list." in response.text
    assert '<input type="hidden" name="join_waitlist" value="y">' in response.text
    db.session.expire_all()
    assert event.seats_taken == 1 and _registrations() == 1
    assert db.session.execute(select(func.count(OutboxMessage.id))).scalar_one() == outbox_before


@pytest.mark.config(JOURNEY_INLINE_WORKER=False)  # as in production: workers send the email
def test_registering_takes_a_fixed_number_of_statements(client, login, count_queries):
    event = make_event()
    login(make_delegate())
    db.session.commit()
    data = {"ticket_type": event.ticket_types[0].id}
    db.session.expunge_all()  # the request starts with nothing loaded, as in production
    with count_queries() as statements:
        response = client.post(_url(event), data=data)
    assert response.location == "/me/tickets"
    # Read the event, the person, any live registration, the questions; take the seat; write
    # the registration, its log, its email; check the benchmark. Nothing is read back after
    # COMMIT (the redirect uses values taken before it).
    # (The active webhook endpoints are kept a few seconds per process: this first request
    # reads them, later ones do not.)
    statements = [s for s in statements if "FROM webhook_endpoint" not in s]
    assert len(statements) <= 13, statements
    assert _writes(statements[-1:]), "a statement after the last write: a reload after COMMIT?"
    registration = db.session.execute(select(Registration)).scalar_one()
    assert registration.status == S.CONFIRMED and registration.ticket_secret


def test_registering_twice_is_refused_with_a_message(client, login):
    event = make_event()
    login(make_delegate())
    db.session.commit()
    data = {"ticket_type": event.ticket_types[0].id}
    client.post(_url(event), data=data)
    response = client.post(_url(event), data=data)
    assert response.status_code == 409
    assert "You are already registered" in response.text
    assert _registrations() == 1


@pytest.mark.parametrize(
    ("change", "status", "message"),
    [
        ({"status": EventStatus.CANCELLED}, 400, "This event has been cancelled."),
        ({"registration_closes_at": -1}, 400, "Registration for this event has closed."),
        ({"registration_opens_at": 1}, 400, "Registration for this event has not opened yet."),
    ],
)
def test_closed_registration_is_refused_and_writes_nothing(client, login, change, status, message):
    event = make_event()
    for key, value in change.items():
        setattr(event, key, utcnow() + timedelta(days=value) if isinstance(value, int) else value)
    login(make_delegate())
    db.session.commit()
    assert message in client.get(_url(event)).text
    response = client.post(_url(event), data={"ticket_type": event.ticket_types[0].id})
    assert response.status_code == status
    assert message in response.text
    assert _registrations() == 0


def test_draft_and_unknown_events_are_not_found(client, login):
    event = make_event(status=EventStatus.DRAFT)
    login(make_delegate())
    db.session.commit()
    assert client.get(_url(event)).status_code == 404
    assert client.post(_url(event), data={"ticket_type": event.ticket_types[0].id}).status_code == (
        404
    )
    assert client.get("/events/no-such-event/register").status_code == 404
    assert _registrations() == 0


def test_ticket_type_of_another_event_or_nonsense_is_refused(client, login):
    event, other = make_event(), make_event()
    login(make_delegate())
    db.session.commit()
    response = client.post(_url(event), data={"ticket_type": other.ticket_types[0].id})
    assert response.status_code == 400
    assert "That ticket type is not on sale for this event." in response.text
    assert client.post(_url(event), data={"ticket_type": "abc"}).status_code == 422
    assert client.post(_url(event), data={}).status_code == 422
    assert _registrations() == 0


@pytest.mark.config(WTF_CSRF_ENABLED=True)
def test_register_needs_the_csrf_token(client, login):
    event = make_event()
    login(make_delegate())
    db.session.commit()
    response = client.post(_url(event), data={"ticket_type": event.ticket_types[0].id})
    assert response.status_code == 400
    assert _registrations() == 0
    token = csrf_token_from(client.get(_url(event)).text)
    response = client.post(
        _url(event), data={"ticket_type": event.ticket_types[0].id, "csrf_token": token}
    )
    assert response.status_code == 302
    assert _registrations() == 1


def test_delegate_cancels_their_place_and_the_next_in_line_gets_it(client, login, outbox):
    event = make_event(capacity=1)
    user = make_delegate()
    registration = services.register_delegate(user, event, event.ticket_types[0])
    waiting = services.register_delegate(
        make_delegate(), event, event.ticket_types[0], join_waitlist=True
    )
    login(user)
    db.session.commit()
    outbox.clear()
    response = client.post(f"/me/registrations/{registration.id}/cancel")
    assert response.status_code == 303
    db.session.expire_all()
    assert registration.status == S.CANCELLED
    assert waiting.status == S.CONFIRMED
    assert len(outbox) == 3


def test_nobody_cancels_someone_elses_registration(client, login):
    event = make_event()
    registration = services.register_delegate(make_delegate(), event, event.ticket_types[0])
    login(make_delegate())
    db.session.commit()
    assert client.post(f"/me/registrations/{registration.id}/cancel").status_code == 404
    assert client.post("/me/registrations/999999/cancel").status_code == 404
    db.session.expire_all()
    assert registration.status == S.CONFIRMED


@pytest.mark.config(WTF_CSRF_ENABLED=True)
def test_cancel_without_csrf_token_is_refused(client, login):
    event = make_event()
    user = make_delegate()
    registration = services.register_delegate(user, event, event.ticket_types[0])
    login(user)
    db.session.commit()
    assert client.post(f"/me/registrations/{registration.id}/cancel").status_code == 400
    db.session.expire_all()
    assert registration.status == S.CONFIRMED


def test_my_tickets_uses_a_fixed_number_of_queries(client, login, count_queries):
    user = make_delegate()
    login(user)

    def add_tickets():
        confirmed = make_event()
        services.register_delegate(user, confirmed, confirmed.ticket_types[0])
        services.book_session(user, make_session(confirmed, capacity=2))
        full = make_event(capacity=1)
        services.register_delegate(make_delegate(), full, full.ticket_types[0])
        services.register_delegate(user, full, full.ticket_types[0], join_waitlist=True)
        db.session.commit()

    add_tickets()
    with count_queries() as few:
        assert client.get("/me/tickets").text.count("ticket-card") == 2
    for _ in range(4):
        add_tickets()
    with count_queries() as many:
        page = client.get("/me/tickets")
    assert page.text.count("ticket-card") == 10
    assert page.text.count("qr.png") == 5
    assert len(many) == len(few)


def test_account_page_shows_business_and_benchmark_status(client, login):
    user = login(make_delegate())
    db.session.commit()
    page = client.get("/me").text
    assert user.organisation.name in page
    assert "Valid" in page and 'href="/benchmark"' in page
    newcomer = make_delegate(benchmark=False)
    db.session.commit()
    login(newcomer)
    assert "Not done yet" in client.get("/me").text


def test_ticket_calendar_download(client, login):
    event = make_event()
    user = make_delegate()
    registration = services.register_delegate(user, event, event.ticket_types[0])
    login(user)
    db.session.commit()
    response = client.get(f"/me/registrations/{registration.id}/event.ics")
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    assert b"BEGIN:VEVENT" in response.data and event.title.encode() in response.data
    login(make_user())
    db.session.commit()
    assert client.get(f"/me/registrations/{registration.id}/event.ics").status_code == 404


# --- workshop bookings from the agenda ---------------------------------------------------------


def test_book_and_unbook_a_workshop_from_the_agenda(client, login):
    event = make_event()
    workshop = make_session(event, capacity=2)
    user = make_delegate()
    services.register_delegate(user, event, event.ticket_types[0])
    login(user)
    db.session.commit()
    url = f"/events/{event.slug}/sessions/{workshop.id}"
    response = client.post(f"{url}/book", data={"next": f"/events/{event.slug}/agenda#s"})
    assert response.status_code == 303
    assert response.location == f"/events/{event.slug}/agenda#s"
    booking = db.session.execute(select(SessionBooking)).scalar_one()
    assert booking.status == "booked"
    # An outside address in `next` is ignored.
    response = client.post(f"{url}/unbook", data={"next": "https://evil.example/"})
    assert response.location == f"/events/{event.slug}/agenda"
    db.session.expire_all()
    assert booking.status == "cancelled"
    assert db.session.get(type(workshop), workshop.id).seats_taken == 0


def test_booking_without_a_confirmed_place_is_refused(client, login):
    event = make_event()
    workshop = make_session(event, capacity=2)
    login(make_delegate())
    db.session.commit()
    response = client.post(
        f"/events/{event.slug}/sessions/{workshop.id}/book", follow_redirects=True
    )
    assert "Only delegates with a confirmed place" in response.text
    assert db.session.execute(select(func.count(SessionBooking.id))).scalar_one() == 0


def test_booking_a_session_of_another_event_is_not_found(client, login):
    event, other = make_event(), make_event()
    workshop = make_session(other, capacity=2)
    login(make_delegate())
    db.session.commit()
    assert client.post(f"/events/{event.slug}/sessions/{workshop.id}/book").status_code == 404
    assert client.post(f"/events/{event.slug}/sessions/{workshop.id}/unbook").status_code == 404
