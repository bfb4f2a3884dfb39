"""Machine formats sit under one Export menu; people get My calendar on the agenda and on
My tickets."""

from datetime import timedelta

from app.extensions import db
from tests.factories import make_event, make_session
from tests.factories_registration import make_delegate


def _agenda_event():
    event = make_event(title="Lean day")
    make_session(event, title="Kanban clinic")
    event.agenda_published_at = event.starts_at - timedelta(days=5)
    return event


def test_machine_formats_are_in_the_export_menu(client):
    event = _agenda_event()
    db.session.commit()
    html = client.get(f"/events/{event.slug}/agenda").text
    menu = html.split('<details class="export-menu">', 1)[1].split("</details>", 1)[0]
    assert f'href="/events/{event.slug}/agenda.json">JSON</a>' in menu
    assert f'href="/events/{event.slug}/schedule.xml">Schedule XML</a>' in menu
    outside = html.replace(menu, "")
    assert "agenda.json" not in outside and "schedule.xml" not in outside
    assert "My calendar" not in html  # signed out: nothing personal


def test_my_calendar_is_offered_on_the_agenda_and_my_tickets(client, login):
    event = _agenda_event()
    user = make_delegate()
    db.session.commit()
    login(user)
    assert 'href="/me/calendar">My calendar</a>' in client.get(f"/events/{event.slug}/agenda").text
    assert 'href="/me/calendar">My calendar' in client.get("/me/tickets").text
