"""A workshop's bookings for its host: booked in order, the waiting list in line, check-ins."""

from app.checkin.models import CheckIn
from app.extensions import db
from app.timeutil import utcnow
from tests.factories import make_event, make_session, make_user, organiser
from tests.factories_checkin import make_booking, make_registration


def _url(event, session, suffix="") -> str:
    return f"/organiser/events/{event.id}/agenda/sessions/{session.id}/bookings{suffix}"


def test_the_host_sees_who_booked_who_waits_and_who_came(client, login):
    login(organiser())
    event = make_event()
    workshop = make_session(event, title="Kanban clinic", capacity=2)
    people = {}
    for name, status in [("Ann Early", "booked"), ("Bob Second", "booked"),
                         ("Cat Waiting", "waitlisted"), ("Dan Gone", "cancelled")]:  # fmt: skip
        registration = make_registration(event, name=name)
        make_booking(workshop, registration, status=status)
        people[name] = registration
    db.session.add(CheckIn(event_id=event.id, registration_id=people["Ann Early"].id,
                           session_id=workshop.id, checked_in_at=utcnow()))  # fmt: skip
    db.session.commit()

    html = client.get(_url(event, workshop)).get_data(as_text=True)
    booked, waiting = html.split('<h2 class="h5">Booked</h2>', 1)[1].split("Waiting list", 1)
    assert booked.index("Ann Early") < booked.index("Bob Second")
    assert "Cat Waiting" in waiting and "Cat Waiting" not in booked
    assert "Dan Gone" not in html
    csv = client.get(_url(event, workshop, ".csv"))
    assert csv.mimetype == "text/csv"
    lines = csv.get_data(as_text=True).lstrip("\ufeff").splitlines()
    assert lines[0].startswith("status,waiting_list_position,name")
    assert [line.split(",")[:3] for line in lines[1:]] == [
        ["booked", "", "Ann Early"],
        ["booked", "", "Bob Second"],
        ["waitlisted", "1", "Cat Waiting"],
    ]
    assert lines[1].split(",")[-1] != "" and lines[2].split(",")[-1] == ""  # Ann came
    # The session's edit page links here.
    edit = client.get(f"/organiser/events/{event.id}/agenda/sessions/{workshop.id}").text
    assert _url(event, workshop) in edit


def test_bookings_are_for_organisers_and_this_events_sessions_only(client, login):
    event, other = make_event(), make_event()
    workshop = make_session(event, capacity=5)
    delegate = make_user()
    staff = organiser()
    db.session.commit()
    login(delegate)
    assert client.get(_url(event, workshop)).status_code == 403
    login(staff)
    assert client.get(_url(other, workshop)).status_code == 404
    assert (
        client.get(f"/organiser/events/{event.id}/agenda/sessions/99999/bookings").status_code
        == 404
    )
