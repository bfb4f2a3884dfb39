"""Booking a workshop answers on the card (JSON for the agenda's script; a flash for a plain
form post), and a booked seat is confirmed by email."""

from datetime import timedelta

from sqlalchemy import select

from app.extensions import db
from app.outbox.models import OutboxMessage
from app.registration import services
from tests.factories import make_event, make_session
from tests.factories_registration import make_delegate

JSON = {"Accept": "application/json"}


def _delegate_with_place(login, event):
    user = make_delegate(name="Wendy Workshop")
    services.register_delegate(user, event, event.ticket_types[0])
    db.session.commit()
    login(user)
    return user


def test_booking_answers_in_json_and_emails_a_confirmation(client, login, outbox):
    event = make_event(title="Lean day")
    workshop = make_session(event, title="Kanban clinic", capacity=1)
    _delegate_with_place(login, event)
    outbox.clear()
    url = f"/events/{event.slug}/sessions/{workshop.id}"
    response = client.post(f"{url}/book", headers=JSON)
    assert response.status_code == 200
    assert response.json == {
        "ok": True,
        "message": "Your seat in “Kanban clinic” is booked. We have emailed you.",
        "category": "success",
    }
    [mail] = outbox
    assert mail["Subject"] == "Booked: Kanban clinic"
    text = mail.get_body(("plain",)).get_content()
    assert 'Your seat in "Kanban clinic" at Lean day is booked' in text
    # No flash is left behind to repeat the answer on the next page.
    assert "is booked" not in client.get(f"/events/{event.slug}/agenda").text

    response = client.post(f"{url}/unbook", headers=JSON)
    assert response.json["message"] == "You have given up your place in “Kanban clinic”."


def test_a_clash_is_refused_in_json_and_writes_nothing(client, login, outbox):
    event = make_event()
    first = make_session(event, title="Kanban clinic", capacity=5)
    same_time = make_session(event, title="5S walk", capacity=5)
    _delegate_with_place(login, event)
    client.post(f"/events/{event.slug}/sessions/{first.id}/book", headers=JSON)
    outbox.clear()
    response = client.post(f"/events/{event.slug}/sessions/{same_time.id}/book", headers=JSON)
    assert response.status_code == 409
    assert response.json["ok"] is False and response.json["category"] == "danger"
    assert "Kanban clinic" in response.json["message"]
    assert outbox == []
    db.session.expire_all()
    assert db.session.get(type(same_time), same_time.id).seats_taken == 0


def test_a_waitlisted_booking_is_not_sent_a_booking_confirmation(client, login, outbox):
    event = make_event()
    workshop = make_session(event, title="Full clinic", capacity=1, start_offset=timedelta(hours=3))
    other = make_delegate()
    services.register_delegate(other, event, event.ticket_types[0])
    services.book_session(other, workshop)
    _delegate_with_place(login, event)
    outbox.clear()
    response = client.post(f"/events/{event.slug}/sessions/{workshop.id}/book", headers=JSON)
    assert (
        response.json["category"] == "info"
        and "number 1 on its waiting list" in (response.json["message"])
    )
    assert [m["Subject"] for m in outbox] == []


def test_the_agenda_loads_its_script_and_the_forms_work_without_it(client, login):
    event = make_event()
    event.agenda_published_at = event.starts_at - timedelta(days=10)
    workshop = make_session(event, title="Kanban clinic", capacity=5)
    _delegate_with_place(login, event)
    page = client.get(f"/events/{event.slug}/agenda").text
    assert "/static/js/agenda-actions.js" in page
    assert f'action="/events/{event.slug}/sessions/{workshop.id}/book"' in page
    response = client.post(
        f"/events/{event.slug}/sessions/{workshop.id}/book",
        data={"next": f"/events/{event.slug}/agenda#s-{workshop.id}"},
    )
    assert response.status_code == 303
    assert "is booked" in client.get(f"/events/{event.slug}/agenda").text  # the flash


def test_a_site_visit_booking_is_confirmed_by_email_through_the_outbox(client, login, outbox):
    event = make_event(title="Lean day")
    visit = make_session(event, title="Visit: Brackland cell line", capacity=8, kind="visit")
    user = _delegate_with_place(login, event)
    outbox.clear()
    response = client.post(f"/events/{event.slug}/sessions/{visit.id}/book", headers=JSON)
    assert response.status_code == 200 and response.json["ok"] is True
    [mail] = outbox
    assert mail["To"] == user.email and mail["Subject"] == "Booked: Visit: Brackland cell line"
    row = db.session.execute(select(OutboxMessage)).scalars().all()[-1]
    assert (row.kind, row.registration_id is not None, row.status) == (
        "session_confirmed", True, "sent"
    )  # fmt: skip
