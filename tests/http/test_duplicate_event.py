"""Duplicating an event: next year's set-up from this year's, without anybody's data."""

from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from app.events.models import AgendaSession, Event, TicketType
from app.extensions import db
from app.registration.models import Registration
from app.timeutil import to_local
from tests.factories import make_event, make_session, make_speaker, make_user, organiser


@pytest.fixture
def summer():
    """A July conference (London on BST) with a dinner ticket, two sessions and a delegate."""
    event = make_event(title="Productivity Journey 2027", slug="pj-2027", capacity=200)
    event.starts_at, event.ends_at = datetime(2027, 7, 6, 8, 0), datetime(2027, 7, 6, 16, 0)
    event.registration_closes_at = datetime(2027, 7, 4, 16, 0)
    event.seats_taken = 1
    db.session.add(TicketType(event_id=event.id, name="Dinner", price_pence=4500, capacity=80,
                              position=1, seats_taken=1))  # fmt: skip
    ann = make_speaker("Ann Example")
    talk = make_session(event, start_offset=timedelta(hours=1), speakers=[ann], title="Flow",
                        capacity=30, track="Lean", pillars=["lean"])  # fmt: skip
    talk.seats_taken, talk.sequence = 12, 3
    gone = make_session(event, start_offset=timedelta(hours=3), title="Dropped talk")
    gone.status = "cancelled"
    user = make_user()
    db.session.add(Registration(event=event, user=user, ticket_type=event.ticket_types[0],
                                status="confirmed", active_user_id=user.id))  # fmt: skip
    db.session.commit()
    return event


def test_a_copy_moves_every_time_and_keeps_the_wall_clock(client, login, summer):
    login(organiser())
    db.session.commit()
    page = client.get(f"/organiser/events/{summer.id}/duplicate")
    assert page.status_code == 200 and 'value="Productivity Journey 2027 (copy)"' in page.text
    response = client.post(
        f"/organiser/events/{summer.id}/duplicate",
        data={"title": "Productivity Journey 2028", "starts_on": "2028-01-11"},
    )
    assert response.status_code == 302
    db.session.expire_all()
    copy = db.session.execute(
        select(Event).where(Event.title == "Productivity Journey 2028")
    ).scalar_one()
    assert response.headers["Location"] == f"/organiser/events/{copy.id}"
    assert copy.status == "draft" and copy.slug != summer.slug and copy.seats_taken == 0
    # 09:00 BST in July becomes 09:00 GMT in January: the same time on the programme.
    assert to_local(copy.starts_at).strftime("%Y-%m-%d %H:%M") == "2028-01-11 09:00"
    assert to_local(copy.ends_at).strftime("%H:%M") == "17:00"
    assert to_local(copy.registration_closes_at).strftime("%Y-%m-%d %H:%M") == "2028-01-09 17:00"
    assert [(t.name, t.price_pence, t.capacity, t.seats_taken) for t in copy.ticket_types] == [
        ("Delegate", 0, None, 0), ("Dinner", 4500, 80, 0)]  # fmt: skip
    sessions = (
        db.session.execute(select(AgendaSession).where(AgendaSession.event_id == copy.id))
        .scalars()
        .all()
    )
    assert [s.title for s in sessions] == ["Flow"]  # the cancelled session stays behind
    flow = sessions[0]
    original = db.session.execute(
        select(AgendaSession).where(
            AgendaSession.title == "Flow", AgendaSession.event_id == summer.id
        )
    ).scalar_one()
    assert to_local(flow.starts_at).strftime("%H:%M") == to_local(original.starts_at).strftime(
        "%H:%M"
    )
    assert (flow.capacity, flow.seats_taken, flow.sequence, flow.track, flow.pillars) == (
        30,
        0,
        0,
        "Lean",
        ["lean"],
    )
    assert flow.uid != original.uid and flow.published_at is None
    assert [link.speaker.name for link in flow.speaker_links] == ["Ann Example"]
    assert (
        db.session.execute(
            select(func.count(Registration.id)).where(Registration.event_id == copy.id)
        ).scalar_one()
        == 0
    )
    # The original is untouched.
    assert db.session.get(Event, summer.id).seats_taken == 1 and original.seats_taken == 12


@pytest.mark.parametrize(
    "data, message",
    [
        ({"title": "Copy", "starts_on": ""}, "Choose the date the copy starts."),
        ({"title": "Copy", "starts_on": "11/01/2028"}, "Not a valid date value."),
        ({"title": "Copy", "starts_on": "0001-01-01"}, "Choose a date between 2000 and 2099."),
        ({"title": "", "starts_on": "2028-01-11"}, "This field is required."),
    ],
)
def test_bad_input_makes_no_copy(client, login, summer, data, message):
    login(organiser())
    db.session.commit()
    response = client.post(f"/organiser/events/{summer.id}/duplicate", data=data)
    assert response.status_code == 422 and message in response.text
    assert db.session.execute(select(func.count(Event.id))).scalar_one() == 1


def test_only_organisers_duplicate(client, login, summer):
    url = f"/organiser/events/{summer.id}/duplicate"
    assert client.get(url).status_code == 302
    login(make_user())
    db.session.commit()
    assert client.post(url, data={"title": "X", "starts_on": "2028-01-11"}).status_code == 403
    login(organiser())
    db.session.commit()
    assert client.get("/organiser/events/999999/duplicate").status_code == 404
    assert db.session.execute(select(func.count(Event.id))).scalar_one() == 1
