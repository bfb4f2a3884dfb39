"""Publishing shows what is missing and refuses until the blocking items are fixed."""

from datetime import timedelta

from app.events.models import Event, TicketType
from app.events.publishing import publish_checklist
from app.extensions import db
from tests.factories import make_event, make_session, organiser


def _publish(client, event):
    return client.post(f"/organiser/events/{event.id}/status/published", follow_redirects=True)


def _status(event_id: int) -> str:
    db.session.expire_all()
    return db.session.get(Event, event_id).status


def test_an_event_without_tickets_on_sale_is_not_published(client, login):
    event = make_event(status="draft", description="")
    event.ticket_types[0].hidden = True
    login(organiser())
    db.session.commit()
    page = client.get(f"/organiser/events/{event.id}").text
    assert 'data-testid="publish-checklist"' in page
    assert "Add a ticket type that is not hidden" in page
    assert "Describe the event" in page and "(recommended)" in page
    response = _publish(client, event)
    assert "Not published yet: Add a ticket type that is not hidden" in response.text
    assert "Describe the event" not in response.text.split("Not published yet", 1)[1][:300]
    assert _status(event.id) == "draft"

    db.session.add(TicketType(event_id=event.id, name="Delegate", price_pence=0, position=1))
    db.session.commit()
    response = _publish(client, event)
    assert _status(event.id) == "published"  # a missing description only warns
    assert "is now published" in response.text
    assert 'data-testid="publish-checklist"' not in response.text


def test_sessions_outside_the_event_block_publishing(client, login):
    event = make_event(status="draft", description="A day on lean.")
    early = make_session(event, start_offset=timedelta(hours=-1), minutes=30)
    login(organiser())
    db.session.commit()
    items = {item.label: item for item in publish_checklist(event)}
    assert not items["Sessions inside the event's hours"].ok
    assert items["Tickets on sale"].ok and items["A venue"].ok and items["A description"].ok
    response = _publish(client, event)
    assert "1 session of the agenda falls outside the event" in response.text
    assert _status(event.id) == "draft"
    early.starts_at = event.starts_at
    early.ends_at = event.starts_at + timedelta(minutes=30)
    db.session.commit()
    _publish(client, event)
    assert _status(event.id) == "published"
