"""Agenda builder: deleting asks first; keyboard users skip empty slots; short sessions keep
their title on hover and focus; a drop outside the event's hours is refused, saying why."""

import re
from datetime import timedelta

from app.events.models import AgendaSession
from app.extensions import db
from tests.clock import next_winter_day
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


def _where(session_id: int) -> tuple:
    db.session.expire_all()
    s = db.session.get(AgendaSession, session_id)
    return s.starts_at, s.ends_at, s.room_id


def test_a_drop_outside_the_event_hours_is_refused_and_changes_nothing(client, login):
    event = make_event(starts_at=next_winter_day(), hours=8)  # 08:00–16:00, London = UTC
    rooms = event.venue.rooms
    session = make_session(event, start_offset=timedelta(hours=1), minutes=60, room=rooms[0])
    login(organiser())
    db.session.commit()
    base = f"/organiser/events/{event.id}/agenda/sessions/{session.id}"
    day = event.starts_at.date().isoformat()
    before = _where(session.id)
    refusals = [
        ("move", {"day": day, "start": "07:00", "room_id": rooms[1].id}, "07:00–08:00"),
        ("move", {"day": day, "start": "15:30", "room_id": rooms[0].id}, "15:30–16:30"),
        ("resize", {"end": "16:15"}, "09:00–16:15"),
    ]
    for action, body, times in refusals:
        refused = client.post(f"{base}/{action}", json=body)
        assert refused.status_code == 409, action
        assert refused.get_json()["message"] == (
            f"{times} is outside the event's hours on {event.starts_at:%a %-d %b} (08:00–16:00)."
        )
        assert _where(session.id) == before
    # Without the script, the form's message names what was refused.
    moved = client.post(f"{base}/move", data={"day": day, "start": "07:00", "room_id": "0"})
    page = client.get(moved.location).text
    assert f"“{session.title}” was not moved: 07:00–08:00 is outside the event" in page
    resized = client.post(f"{base}/resize", data={"end": "17:00"})
    page = client.get(resized.location).text
    assert f"“{session.title}” was not lengthened or shortened: 09:00–17:00" in page
    assert _where(session.id) == before
    # Right up to the edges is inside.
    assert client.post(f"{base}/move", json={"day": day, "start": "15:00"}).status_code == 200
    assert client.post(f"{base}/resize", json={"end": "16:00"}).status_code == 200
    assert client.post(f"{base}/move", json={"day": day, "start": "08:00"}).status_code == 200
    starts, ends, _ = _where(session.id)
    assert (starts, ends) == (event.starts_at, event.starts_at + timedelta(hours=1))


def test_the_evening_of_a_two_day_event_is_inside_its_hours(client, login):
    event = make_event(starts_at=next_winter_day(), hours=32)  # day 1 08:00 to day 2 16:00
    session = make_session(event, start_offset=timedelta(hours=1))
    login(organiser())
    db.session.commit()
    url = f"/organiser/events/{event.id}/agenda/sessions/{session.id}/move"
    day = event.starts_at.date().isoformat()
    assert client.post(url, json={"day": day, "start": "20:00"}).status_code == 200
    second = (event.starts_at + timedelta(days=1)).date().isoformat()
    late = client.post(url, json={"day": second, "start": "16:00"})
    assert late.status_code == 409 and "(00:00–16:00)" in late.get_json()["message"]
    assert _where(session.id)[0] == event.starts_at + timedelta(hours=12)


def test_a_session_placed_outside_the_hours_on_purpose_can_be_dragged_there(client, login):
    """A dinner after the close, put there through its form, can be moved and lengthened in
    the evening; a session inside the hours still cannot be dragged into it."""
    event = make_event(starts_at=next_winter_day(), hours=8)  # 08:00–16:00, London = UTC
    dinner = make_session(event, title="Dinner", start_offset=timedelta(hours=11), minutes=120)
    talk = make_session(event, title="Talk", start_offset=timedelta(hours=1), minutes=60)
    login(organiser())
    db.session.commit()
    base = f"/organiser/events/{event.id}/agenda/sessions"
    day = event.starts_at.date().isoformat()
    moved = client.post(f"{base}/{dinner.id}/move", json={"day": day, "start": "19:30"})
    assert moved.status_code == 200
    assert client.post(f"{base}/{dinner.id}/resize", json={"end": "22:30"}).status_code == 200
    starts, ends, _ = _where(dinner.id)
    assert (starts, ends) == (
        event.starts_at + timedelta(hours=11, minutes=30),
        event.starts_at + timedelta(hours=14, minutes=30),
    )
    # Still bounded by the event's dates: not onto a day the event does not have.
    next_day = (event.starts_at + timedelta(days=1)).date().isoformat()
    away = client.post(f"{base}/{dinner.id}/move", json={"day": next_day, "start": "19:30"})
    assert away.status_code in (400, 409, 422) and _where(dinner.id)[0] == starts
    # Brought inside the hours, it is an ordinary session again.
    assert (
        client.post(f"{base}/{dinner.id}/move", json={"day": day, "start": "13:00"}).status_code
        == 200
    )
    back_out = client.post(f"{base}/{dinner.id}/move", json={"day": day, "start": "19:30"})
    assert (
        back_out.status_code == 409
        and "outside the event's hours" in back_out.get_json()["message"]
    )
    refused = client.post(f"{base}/{talk.id}/move", json={"day": day, "start": "18:00"})
    assert refused.status_code == 409 and _where(talk.id)[0] == event.starts_at + timedelta(hours=1)
