"""The agenda builder through HTTP: forms without JavaScript, drag-and-drop JSON, publishing."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.events.models import AgendaSession
from app.extensions import db
from tests.clock import next_summer_day, next_winter_day
from tests.factories import make_event, make_session, make_speaker, make_user, organiser
from tests.factories_agenda import make_booking


def _count() -> int:
    return db.session.execute(select(func.count(AgendaSession.id))).scalar_one()


def _form(event, **kw):
    day = event.starts_at.date().isoformat()  # winter test events: UTC == London time
    data = {
        "title": "Value stream mapping",
        "kind": "workshop",
        "day": day,
        "starts": "10:00",
        "ends": "11:00",
        "room_id": str(event.venue.rooms[0].id),
        "track": "Lean",
        "capacity": "20",
        "pillars": ["lean", "quality"],
        "abstract": "Bring a problem.",
    }
    for n in range(6):
        data[f"speakers-{n}"] = "0"
    data.update(kw)
    return data


def _winter_event(**kw):
    """An event on a GMT day, so the form's London times equal the stored UTC times."""
    return make_event(starts_at=next_winter_day(), **kw)


def test_builder_needs_an_organiser(client, login):
    event = make_event()
    delegate = make_user()
    db.session.commit()
    assert client.get(f"/organiser/events/{event.id}/agenda").status_code == 302
    login(delegate)
    assert client.get(f"/organiser/events/{event.id}/agenda").status_code == 403
    assert client.post(f"/organiser/events/{event.id}/agenda/publish").status_code == 403


def test_builder_shows_the_grid_and_unpublished_changes(client, login):
    event = make_event()
    make_session(event, title="Published talk")
    changed = make_session(event, start_offset=timedelta(hours=2), title="Moved talk")
    changed.room_id = event.venue.rooms[1].id
    make_session(event, start_offset=timedelta(hours=4), title="Brand new", publish=False)
    user = organiser()
    db.session.commit()
    login(user)
    html = client.get(f"/organiser/events/{event.id}/agenda").get_data(as_text=True)
    assert "Publish 2 changes" in html
    assert "room Room 1 → Room 2" in html
    assert "Brand new</a>" in html and ": new session" in html
    assert 'aria-label="Add a session in Room 1 at 09:00"' in html
    assert html.count('class="builder-session') == 3


def test_builder_refuses_a_day_outside_the_event(client, login):
    event = make_event()
    login(organiser())
    db.session.commit()
    assert client.get(f"/organiser/events/{event.id}/agenda?day=1999-01-01").status_code == 404
    assert client.get(f"/organiser/events/{event.id}/agenda?day=nonsense").status_code == 400


def test_add_a_session_with_the_form(client, login):
    event = _winter_event()
    ann, bob = make_speaker("Ann"), make_speaker("Bob")
    login(organiser())
    db.session.commit()
    response = client.post(
        f"/organiser/events/{event.id}/agenda/sessions/new",
        data=_form(event, **{"speakers-0": str(bob.id), "speakers-2": str(ann.id)}),
    )
    assert response.status_code == 302
    session = db.session.execute(select(AgendaSession)).scalar_one()
    assert session.title == "Value stream mapping"
    assert (session.starts_at.hour, session.ends_at.hour) == (10, 11)
    assert [s.name for s in session.speakers] == ["Bob", "Ann"]
    assert session.pillars == ["lean", "quality"] and session.capacity == 20
    assert session.published_at is None  # draft until published


@pytest.mark.parametrize(
    ("day", "utc_hours"),
    [
        (lambda: next_winter_day(), (10, 11)),  # GMT
        (lambda: next_summer_day(), (9, 10)),  # BST: 10:00 in London is 09:00 UTC
    ],
    ids=["winter", "summer"],
)
def test_form_times_are_london_times_in_either_season(client, login, day, utc_hours):
    event = make_event(starts_at=day())
    login(organiser())
    db.session.commit()
    response = client.post(f"/organiser/events/{event.id}/agenda/sessions/new", data=_form(event))
    assert response.status_code == 302
    session = db.session.execute(select(AgendaSession)).scalar_one()
    assert (session.starts_at.hour, session.ends_at.hour) == utc_hours


def test_room_clash_on_the_form_is_refused_with_its_name(client, login):
    event = _winter_event()
    make_session(event, start_offset=timedelta(hours=2), minutes=60, title="Keynote")  # 10:00
    login(organiser())
    db.session.commit()
    before = _count()
    response = client.post(
        f"/organiser/events/{event.id}/agenda/sessions/new",
        data=_form(event, starts="10:30", ends="11:30"),
    )
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Not saved: Room 1 is already booked at that time: “Keynote”" in html
    assert _count() == before


def test_end_before_start_on_the_form_is_refused(client, login):
    event = _winter_event()
    login(organiser())
    db.session.commit()
    response = client.post(
        f"/organiser/events/{event.id}/agenda/sessions/new",
        data=_form(event, starts="11:00", ends="10:00"),
    )
    assert response.status_code == 400
    assert "must end after it starts" in response.get_data(as_text=True)
    assert _count() == 0


def test_garbage_in_the_form_is_a_400(client, login):
    event = _winter_event()
    login(organiser())
    db.session.commit()
    for bad in (
        {"day": "31/02/2026"},
        {"starts": "25:99"},
        {"kind": "party"},
        {"room_id": "abc"},
        {"capacity": "-3"},
        {"pillars": ["nope"]},
        {"speakers-0": "999999"},
        {"title": ""},
    ):
        response = client.post(
            f"/organiser/events/{event.id}/agenda/sessions/new", data=_form(event, **bad)
        )
        assert response.status_code == 400, bad
    assert _count() == 0


def test_editing_a_session_of_another_event_is_404(client, login):
    event, other = make_event(), make_event()
    foreign = make_session(other, title="Not yours")
    login(organiser())
    db.session.commit()
    base = f"/organiser/events/{event.id}/agenda/sessions/{foreign.id}"
    assert client.get(base).status_code == 404
    assert client.post(base, data=_form(event, title="Hijack")).status_code == 404
    assert (
        client.post(f"{base}/move", json={"day": "2030-01-01", "start": "10:00"}).status_code == 404
    )
    assert client.post(f"{base}/cancel").status_code == 404
    db.session.expire_all()
    assert db.session.get(AgendaSession, foreign.id).title == "Not yours"


def test_drag_and_drop_move_answers_json(client, login):
    event = _winter_event()
    rooms = event.venue.rooms
    make_session(event, start_offset=timedelta(hours=3), room=rooms[1], title="Busy room")
    session = make_session(event, start_offset=timedelta(hours=1), minutes=45, room=rooms[0])
    login(organiser())
    db.session.commit()
    url = f"/organiser/events/{event.id}/agenda/sessions/{session.id}/move"
    day = event.starts_at.date().isoformat()
    ok = client.post(url, json={"day": day, "start": "09:30", "room_id": rooms[1].id})
    assert ok.status_code == 200
    assert ok.get_json()["session"] == {
        "id": session.id,
        "title": session.title,
        "starts": "09:30",
        "ends": "10:15",
        "day": day,
        "room_id": rooms[1].id,
        "state": "changed",
    }
    clash = client.post(url, json={"day": day, "start": "11:00", "room_id": rooms[1].id})
    assert clash.status_code == 409
    assert clash.get_json()["message"].startswith(
        "Room 2 is already booked at that time: “Busy room”"
    )
    db.session.expire_all()
    moved = db.session.get(AgendaSession, session.id)
    assert (moved.starts_at.hour, moved.starts_at.minute, moved.room_id) == (9, 30, rooms[1].id)
    for bad in (
        {"day": "x", "start": "10:00"},
        {"day": day, "start": "9am"},
        {"day": day, "start": "10:00", "room_id": "abc"},
        [],
    ):
        assert client.post(url, json=bad).status_code == 400


def test_resize_answers_json(client, login):
    event = _winter_event()
    session = make_session(event, start_offset=timedelta(hours=1), minutes=45)  # 09:00
    login(organiser())
    db.session.commit()
    url = f"/organiser/events/{event.id}/agenda/sessions/{session.id}/resize"
    assert client.post(url, json={"end": "10:30"}).get_json()["session"]["ends"] == "10:30"
    refused = client.post(url, json={"end": "08:30"})
    assert (
        refused.status_code == 409 and "must end after it starts" in refused.get_json()["message"]
    )
    assert client.post(url, json={"end": "late"}).status_code == 400


def test_publish_makes_the_draft_public_and_emails_booked_delegates(client, login, outbox):
    event = _winter_event(slug="pub-forum")
    session = make_session(event, start_offset=timedelta(hours=1), capacity=10, title="Lab")
    booking = make_booking(session)
    session.starts_at += timedelta(hours=1)
    session.ends_at += timedelta(hours=1)
    make_session(event, start_offset=timedelta(hours=5), title="Fresh", publish=False)
    login(organiser())
    db.session.commit()
    assert "Fresh" not in client.get("/events/pub-forum/agenda").get_data(as_text=True)
    page = client.get(f"/organiser/events/{event.id}/agenda").get_data(as_text=True)
    assert "Publishing will email <strong>1</strong> delegate booked" in page
    response = client.post(f"/organiser/events/{event.id}/agenda/publish", follow_redirects=True)
    assert (
        "Agenda published: 2 session(s) updated. Version 1."
        " 1 delegate(s) with bookings were emailed." in response.get_data(as_text=True)
    )
    assert [m["To"] for m in outbox] == [booking.user.email]
    assert "Fresh" in client.get("/events/pub-forum/agenda").get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(AgendaSession, session.id).sequence == 1
    again = client.post(f"/organiser/events/{event.id}/agenda/publish", follow_redirects=True)
    assert "Nothing to publish" in again.get_data(as_text=True)


def test_cancel_a_published_session_keeps_it_and_a_draft_one_is_deleted(client, login):
    event = make_event()
    published = make_session(event)
    draft = make_session(event, start_offset=timedelta(hours=3), publish=False)
    login(organiser())
    db.session.commit()
    draft_id = draft.id
    client.post(
        f"/organiser/events/{event.id}/agenda/sessions/{published.id}/cancel",
        data={"confirm": "yes"},
    )
    client.post(
        f"/organiser/events/{event.id}/agenda/sessions/{draft_id}/cancel", data={"confirm": "yes"}
    )
    db.session.expire_all()
    assert db.session.get(AgendaSession, published.id).status == "cancelled"
    assert db.session.get(AgendaSession, draft_id) is None
    client.post(f"/organiser/events/{event.id}/agenda/sessions/{published.id}/restore")
    db.session.expire_all()
    assert db.session.get(AgendaSession, published.id).status == "scheduled"
