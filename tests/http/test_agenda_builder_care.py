"""Agenda builder: deleting asks first; keyboard users skip empty slots; short sessions keep
their title on hover and focus."""

import re

from app.events.models import AgendaSession
from app.extensions import db
from tests.factories import make_event, make_session, organiser


def test_deleting_a_session_needs_the_tick(client, login):
    event = make_event()
    session = make_session(event, title="Kanban clinic", publish=False)
    login(organiser())
    db.session.commit()
    url = f"/organiser/events/{event.id}/agenda/sessions/{session.id}"
    form = client.get(url).text
    assert 'name="confirm" value="yes" required' in form and "Yes, delete it" in form
    response = client.post(f"{url}/cancel")
    assert response.status_code == 302 and response.location.endswith(url)
    assert db.session.get(AgendaSession, session.id) is not None
    session_id = session.id
    client.post(f"{url}/cancel", data={"confirm": "yes"})
    db.session.expire_all()
    assert db.session.get(AgendaSession, session_id) is None


def test_the_grid_keeps_empty_slots_out_of_the_tab_order(client, login):
    event = make_event()
    make_session(event, title="Twenty-minute talk", minutes=20)
    login(organiser())
    db.session.commit()
    html = client.get(f"/organiser/events/{event.id}/agenda").text
    slots = html.count('class="builder-slot')
    assert slots > 50 and html.count('tabindex="-1" aria-label="Add a session in') == slots
    # Its title and times on hover and focus (whichever season, so read the times back).
    match = re.search(r'title="Twenty-minute talk, (\d\d):(\d\d)–(\d\d):(\d\d)"', html)
    start_h, start_m, end_h, end_m = map(int, match.groups())
    assert (end_h * 60 + end_m) - (start_h * 60 + start_m) == 20


def test_hours_outside_the_event_are_shaded(client, login):
    event = make_event(hours=4)
    login(organiser())
    db.session.commit()
    html = client.get(f"/organiser/events/{event.id}/agenda").text
    start = re.search(
        r"Hatched: outside the event(?:'|&#39;)s hours \((\d\d:\d\d)–(\d\d:\d\d)\)", html
    )
    assert start is not None
    opens, closes = start.groups()
    slots = re.findall(r'class="builder-slot( hour)?( outside)?"[^>]*data-time="(\d\d:\d\d)"', html)
    assert slots
    for _hour, outside, time in slots:
        assert bool(outside) == (time < opens or time >= closes), time
    assert any(outside for _h, outside, _t in slots) and not all(o for _h, o, _t in slots)
