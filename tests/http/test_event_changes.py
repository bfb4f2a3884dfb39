"""A published event that moves, changes venue or is cancelled: everyone with a place or on
the waiting list is emailed, ticket holders get a calendar update (same UID, higher
SEQUENCE), and the "event is soon" reminder follows the new date."""

from datetime import timedelta

import icalendar
from sqlalchemy import select

from app.events.models import Event
from app.events.services import EventBefore
from app.extensions import db
from app.registration.models import Registration
from app.registration.reminders import notify_event_change, send_event_reminders
from app.timeutil import to_local, utcnow
from tests.factories import make_event, make_user, make_venue
from tests.factories_checkin import make_registration


def _form(event: Event, **changes) -> dict:
    """The organiser's edit form as it stands for `event`, with `changes`."""

    def local(value):
        return to_local(value).strftime("%Y-%m-%dT%H:%M")

    data = {
        "title": event.title, "slug": event.slug, "kind": event.kind,
        "summary": event.summary or "", "description": event.description or "",
        "venue_id": str(event.venue_id), "starts_at": local(event.starts_at),
        "ends_at": local(event.ends_at), "capacity": str(event.capacity or ""),
        "registration_opens_at": "", "registration_closes_at": "", "requires_benchmark": "y",
        "host_organisation_id": "0", "pillars": event.pillars or [],
    }  # fmt: skip
    data.update(changes)
    return data


def _people(event):
    """One registration in each state that is told, and one that is not."""
    confirmed = make_registration(event, name="Cara Confirmed")
    pending = make_registration(event, name="Pat Pending", status="pending_benchmark")
    waiting = make_registration(event, name="Wes Waiting", status="waitlisted")
    make_registration(event, name="Cal Cancelled", status="cancelled")
    return confirmed, pending, waiting


def _calendar(message) -> icalendar.Calendar:
    [part] = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
    return icalendar.Calendar.from_ical(part.get_payload(decode=True))


def test_moving_a_published_event_emails_everyone_told_with_a_calendar_update(
    client, login, outbox
):
    login(make_user("organiser"))
    event = make_event(title="Lean day", starts_in=timedelta(days=30))
    confirmed, pending, waiting = _people(event)
    db.session.commit()
    assert "3 people registered or waiting are emailed" in client.get(
        f"/organiser/events/{event.id}/edit"
    ).get_data(as_text=True)
    old_start = event.starts_at
    new_start = to_local(old_start + timedelta(days=7)).strftime("%Y-%m-%dT%H:%M")
    new_end = to_local(old_start + timedelta(days=7, hours=3)).strftime("%Y-%m-%dT%H:%M")

    response = client.post(
        f"/organiser/events/{event.id}/edit",
        data=_form(event, starts_at=new_start, ends_at=new_end),
        follow_redirects=True,
    )
    assert "3 people were emailed the new date" in response.get_data(as_text=True)
    recipients = {m["To"] for m in outbox}
    assert recipients == {confirmed.user.email, pending.user.email, waiting.user.email}
    db.session.expire_all()
    event = db.session.get(Event, event.id)
    assert event.sequence == 1
    by_email = {m["To"]: m for m in outbox}
    message = by_email[confirmed.user.email]
    assert message["Subject"].startswith("Changed: Lean day is now on ")
    text = message.get_body(("plain",)).get_content()
    assert "Your ticket stays valid" in text and "Was: " in text
    [vevent] = _calendar(message).walk("VEVENT")
    assert vevent["SEQUENCE"] == 1
    assert vevent["UID"] == event.calendar_uid
    assert vevent.decoded("DTSTART") == to_local(event.starts_at)
    # Only ticket holders get the calendar file; the waiting list is told where it stands.
    waiting_text = by_email[waiting.user.email].get_body(("plain",)).get_content()
    assert "still on the waiting list" in waiting_text
    assert not [p for p in by_email[waiting.user.email].walk() if p.get_filename()]


def test_a_new_venue_is_a_change_too(client, login, outbox):
    login(make_user("organiser"))
    event = make_event()
    confirmed = make_registration(event)
    elsewhere = make_venue()
    elsewhere.name = "Hethel Engineering Centre"
    db.session.commit()
    client.post(f"/organiser/events/{event.id}/edit", data=_form(event, venue_id=elsewhere.id))
    [message] = outbox
    assert message["To"] == confirmed.user.email
    assert "Hethel Engineering Centre" in message.get_body(("plain",)).get_content()


def test_other_edits_and_draft_events_email_nobody(client, login, outbox):
    login(make_user("organiser"))
    event = make_event()
    make_registration(event)
    draft = make_event(status="draft")
    make_registration(draft)
    db.session.commit()
    response = client.post(
        f"/organiser/events/{event.id}/edit", data=_form(event, title="Lean day (renamed)")
    )
    assert response.status_code == 302
    later = to_local(draft.starts_at + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    later_end = to_local(draft.ends_at + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    client.post(
        f"/organiser/events/{draft.id}/edit", data=_form(draft, starts_at=later, ends_at=later_end)
    )
    assert outbox == []
    db.session.expire_all()
    assert db.session.get(Event, event.id).sequence == 0


def test_a_refused_edit_emails_nobody_and_changes_nothing(client, login, outbox):
    login(make_user("organiser"))
    event = make_event()
    make_registration(event)
    db.session.commit()
    start = event.starts_at
    before_start = to_local(start - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(
        f"/organiser/events/{event.id}/edit",
        data=_form(event, starts_at=to_local(start + timedelta(days=1)).strftime(
            "%Y-%m-%dT%H:%M"), ends_at=before_start),
    )  # fmt: skip
    assert response.status_code == 422
    assert outbox == []
    db.session.expire_all()
    assert db.session.get(Event, event.id).starts_at == start


def test_the_reminder_follows_the_new_date(app, outbox):
    event = make_event(starts_in=timedelta(days=1))
    reminded = make_registration(event, name="Rita Reminded")
    db.session.commit()
    assert send_event_reminders() == 1
    db.session.commit()
    outbox.clear()

    # Moved three weeks on: a fresh reminder goes before the new date, not now.
    before = EventBefore.of(event)
    event.starts_at += timedelta(days=21)
    event.ends_at += timedelta(days=21)
    db.session.flush()
    assert notify_event_change(event, "rescheduled", before) == 1
    db.session.commit()
    assert db.session.get(Registration, reminded.id).event_reminder_sent_at is None
    assert send_event_reminders() == 0
    assert send_event_reminders(now=event.starts_at - timedelta(hours=24)) == 1
    db.session.commit()


def test_a_move_inside_the_reminder_window_stands_in_for_the_reminder(app, outbox):
    event = make_event(starts_in=timedelta(days=10))
    registration = make_registration(event)
    db.session.commit()
    event.starts_at = utcnow() + timedelta(hours=20)
    event.ends_at = event.starts_at + timedelta(hours=6)
    db.session.flush()
    assert notify_event_change(event, "rescheduled", EventBefore.of(event)) == 1
    db.session.commit()
    assert db.session.get(Registration, registration.id).event_reminder_sent_at is not None
    assert send_event_reminders() == 0
    assert [m["Subject"][:8] for m in outbox] == ["Changed:"]


def test_cancelling_an_event_asks_first_then_emails_everyone_told(client, login, outbox):
    login(make_user("organiser"))
    event = make_event(title="Cobot clinic", starts_in=timedelta(days=1))
    confirmed, _pending, _waiting = _people(event)
    confirmed.amount_paid_pence = 4500
    db.session.commit()

    page = client.get(f"/organiser/events/{event.id}/cancel").get_data(as_text=True)
    assert "3 people" in page and "1</strong> of them paid" in page
    assert outbox == []  # asking sends nothing

    response = client.post(f"/organiser/events/{event.id}/status/cancelled", follow_redirects=True)
    assert "3 people were emailed" in response.get_data(as_text=True)
    assert len(outbox) == 3
    message = next(m for m in outbox if m["To"] == confirmed.user.email)
    assert message["Subject"] == "Cancelled: Cobot clinic"
    text = message.get_body(("plain",)).get_content()
    assert "You paid £45.00" in text and "will refund" in text
    [vevent] = _calendar(message).walk("VEVENT")
    assert (vevent["STATUS"], vevent["SEQUENCE"]) == ("CANCELLED", 1)
    # Registrations stay for organisers to refund; no reminder goes for a cancelled event.
    db.session.expire_all()
    assert db.session.get(Registration, confirmed.id).status == "confirmed"
    assert send_event_reminders() == 0
    login(confirmed.user)
    tickets = client.get("/me/tickets").get_data(as_text=True)
    assert "This event is cancelled." in tickets and "£45.00 you paid" in tickets
    assert "ticket-qr" not in tickets


def test_cancelling_a_draft_emails_nobody_and_the_page_needs_a_real_event(client, login, outbox):
    login(make_user("organiser"))
    draft = make_event(status="draft")
    make_registration(draft)
    db.session.commit()
    assert "nobody is emailed" in client.get(f"/organiser/events/{draft.id}/cancel").text
    client.post(f"/organiser/events/{draft.id}/status/cancelled")
    assert outbox == []
    assert client.get("/organiser/events/99999/cancel").status_code == 404
    assert db.session.execute(select(Event.status).where(Event.id == draft.id)).scalar_one() == (
        "cancelled"
    )
