"""A visitor's ticket page, confirmation email and reminder repeat what to wear and how to
arrive; other events' do not."""

from datetime import timedelta

import pytest

from app.events.models import EventKind
from app.extensions import db
from app.hosts import brief as briefs
from app.hosts.models import HostMember, VisitSettings
from app.registration import services as registrations
from app.registration.reminders import send_event_reminders
from tests.factories import make_event, make_organisation, make_user
from tests.factories_benchmark import make_submission

ARRIVAL = ("Meeting point: Gatehouse 2", "Parking: Bays 10 to 20", "Ask for: Pat at goods in")


@pytest.fixture
def approved(client, login, outbox):
    """A visit with a brief; an applicant the host has just approved through /host."""
    org = make_organisation("Loddon Laser Ltd")
    host = make_user(email="hal@loddon.example", organisation=org)
    db.session.flush()
    db.session.add(HostMember(user_id=host.id, organisation_id=org.id))
    event = make_event(kind=EventKind.SITE_VISIT, host_organisation_id=org.id,
                       title="Visit Loddon Laser", slug="visit-loddon")  # fmt: skip
    db.session.add(VisitSettings(event_id=event.id, requires_approval=True))
    db.session.flush()
    briefs.save_brief(host, event, ppe=["safety_boots", "eye_protection"], photography="none",
                      meeting_point="Gatehouse 2", parking="Bays 10 to 20",
                      ask_for="Pat at goods in")  # fmt: skip
    applicant_org = make_organisation("Cam Sensors Ltd")
    applicant = make_user(email="amy@cam.example", organisation=applicant_org)
    make_submission(applicant_org, user=applicant)
    registration = registrations.register_delegate(applicant, event, event.ticket_types[0])
    db.session.commit()
    login(host)
    outbox.clear()
    response = client.post(f"/host/visit-loddon/registrations/{registration.id}/approve")
    assert response.status_code == 302
    login(applicant)
    return event, registration


def _assert_brief(text: str) -> None:
    assert "Safety boots" in text and "Eye protection" in text
    assert "A hi-vis vest" not in text  # only what the host asked for
    assert "No photographs or video anywhere on site." in text
    for line in ARRIVAL:
        assert line in text, line
    assert "https://www.openstreetmap.org/search?query=NR1+1AA" in text


def test_the_confirmation_email_repeats_the_ppe_and_arrival(approved, outbox):
    [message] = outbox
    _assert_brief(message.get_body(("plain",)).get_content())
    html = message.get_body(("html",)).get_content()
    assert "<li>Safety boots</li>" in html and "Gatehouse 2" in html


def test_the_ticket_page_repeats_the_ppe_and_arrival(approved, client):
    page = client.get("/me/tickets").get_data(as_text=True)
    assert "Before you visit" in page
    _assert_brief(page.replace("&amp;", "&"))


def test_the_reminder_repeats_the_ppe_and_arrival(approved, outbox):
    event, registration = approved
    outbox.clear()
    assert send_event_reminders(now=event.starts_at - timedelta(hours=24)) == 1
    db.session.commit()
    [message] = [m for m in outbox if m["To"] == "amy@cam.example"]
    _assert_brief(message.get_body(("plain",)).get_content())


def test_other_events_have_no_brief(client, login, outbox):
    event = make_event(title="Lean Summit")
    org = make_organisation("Cam Sensors Ltd")
    user = make_user(organisation=org)
    make_submission(org, user=user)
    outbox.clear()
    registrations.register_delegate(user, event, event.ticket_types[0])
    db.session.commit()
    [message] = outbox
    assert "BEFORE YOU VISIT" not in message.get_body(("plain",)).get_content()
    login(user)
    assert "Before you visit" not in client.get("/me/tickets").get_data(as_text=True)
