"""The public agenda: published copy only, UK times, filters, my agenda, export, query counts."""

import json
from datetime import datetime, timedelta

from sqlalchemy import func, select

from app.events.models import Room, SessionStar
from app.extensions import db
from tests.factories import make_event, make_session, make_speaker, make_user, make_venue
from tests.factories_agenda import make_booking


def _summer_event(**kw):
    # 08:00 UTC on a July day is 09:00 in London (BST).
    event = make_event(**kw)
    event.starts_at, event.ends_at = datetime(2027, 7, 6, 8, 0), datetime(2027, 7, 6, 17, 0)
    db.session.flush()
    return event


def test_agenda_shows_the_published_copy_in_uk_time(client):
    event = _summer_event(slug="summer-forum")
    speaker = make_speaker("Ann Example", organisation="Fenwright CAD")
    session = make_session(
        event,
        start_offset=timedelta(minutes=15),
        speakers=[speaker],
        title="Lean in practice",
        track="Lean",
        pillars=["lean"],
    )
    session.title = "Draft title nobody should see"
    make_session(event, start_offset=timedelta(hours=3), publish=False, title="Unpublished talk")
    db.session.commit()
    html = client.get("/events/summer-forum/agenda").get_data(as_text=True)
    assert "Lean in practice" in html
    assert "Draft title" not in html and "Unpublished talk" not in html
    assert ">09:15</time>–<time" in html  # 08:15 UTC shown as London time
    assert "Tuesday 6 July 2027" in html
    assert "Ann Example" in html and "Fenwright CAD" in html
    assert "Room 1" in html
    assert "Lean operations &amp; flow" in html


def test_cancelled_sessions_stay_visible_as_cancelled(client):
    event = make_event(slug="with-cancel")
    make_session(event, title="Called off", status="cancelled")
    db.session.commit()
    html = client.get("/events/with-cancel/agenda").get_data(as_text=True)
    assert "Called off" in html
    assert "is-cancelled" in html and ">Cancelled</span>" in html


def test_capacity_left_is_shown_for_bookable_sessions(client):
    event = make_event(slug="bookable")
    make_session(event, title="Workshop", kind="workshop", capacity=30, seats_taken=12)
    make_session(
        event, start_offset=timedelta(hours=3), title="Full one", capacity=5, seats_taken=5
    )
    db.session.commit()
    html = client.get("/events/bookable/agenda").get_data(as_text=True)
    assert "<strong>18</strong> of 30 seats left" in html
    assert "<strong>Full</strong>" in html


def test_filters_by_track_and_theme_keep_breaks(client):
    event = make_event(slug="filtered")
    make_session(event, title="Lean talk", track="Lean", pillars=["lean"])
    make_session(
        event,
        start_offset=timedelta(hours=2),
        title="Digital talk",
        track="Digital",
        pillars=["digital"],
    )
    make_session(event, start_offset=timedelta(hours=3), title="Lunch", kind="break")
    db.session.commit()
    html = client.get("/events/filtered/agenda?track=Lean").get_data(as_text=True)
    assert "Lean talk" in html and "Digital talk" not in html and "Lunch" in html
    html = client.get("/events/filtered/agenda?pillar=digital").get_data(as_text=True)
    assert "Digital talk" in html and "Lean talk" not in html
    html = client.get("/events/filtered/agenda?pillar=nonsense&track=").get_data(as_text=True)
    assert "Digital talk" in html and "Lean talk" in html


def test_script_in_a_title_is_harmless(client):
    event = make_event(slug="scripted")
    make_session(event, title="<script>alert(1)</script>", abstract="<img src=x onerror=alert(1)>")
    db.session.commit()
    html = client.get("/events/scripted/agenda").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<img src=x" not in html


def test_draft_event_has_no_public_agenda(client):
    make_event(slug="secret", status="draft")
    db.session.commit()
    response = client.get("/events/secret/agenda")
    assert response.status_code == 404
    assert client.get("/events/secret/agenda.json").status_code == 404


def test_anonymous_agenda_answers_304_until_something_changes(client):
    event = make_event(slug="cached")
    session = make_session(event)
    db.session.commit()
    first = client.get("/events/cached/agenda")
    etag = first.headers["ETag"]
    again = client.get("/events/cached/agenda", headers={"If-None-Match": etag})
    assert again.status_code == 304
    session.seats_taken = 1  # a booking changes the seats shown
    db.session.commit()
    assert client.get("/events/cached/agenda", headers={"If-None-Match": etag}).status_code == 200


def _make_large_agenda(sessions: int, speakers: int, slug: str):
    venue = make_venue(rooms=6)
    event = make_event(slug=slug, venue=venue, hours=10)
    people = [make_speaker(f"Speaker {n}") for n in range(speakers)]
    for n in range(sessions):
        make_session(
            event,
            start_offset=timedelta(minutes=(n // 6) * 5 % 540),
            room=venue.rooms[n % 6],
            speakers=[people[n % speakers], people[(n + 1) % speakers]],
            capacity=20 if n % 4 == 0 else None,
            track=f"Track {n % 5}",
            pillars=["lean"],
        )
    return event


def _queries_for(client, count_queries, url):
    with count_queries() as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def test_agenda_and_speakers_run_a_fixed_number_of_queries(client, count_queries, login):
    _make_large_agenda(3, 2, "small")
    _make_large_agenda(300, 100, "large")
    db.session.commit()
    small = _queries_for(client, count_queries, "/events/small/agenda")
    assert small == 5  # public version, event, sessions, rooms, speakers
    large = _queries_for(client, count_queries, "/events/large/agenda")
    assert large == 4  # the same, the version being kept within the staleness bound
    assert _queries_for(client, count_queries, "/events/large/agenda") == 0  # the kept page
    html = client.get("/events/large/agenda").get_data(as_text=True)
    assert html.count('class="agenda-item') == 300
    assert _queries_for(client, count_queries, "/speakers") == 2  # sessions, their speakers
    assert _queries_for(client, count_queries, "/speakers") == 0  # the kept page
    user = make_user()
    db.session.commit()
    login(user)
    signed_small = _queries_for(client, count_queries, "/events/small/agenda")
    signed_large = _queries_for(client, count_queries, "/events/large/agenda?mine=0")
    # user, event, stars, bookings (+ the version, forgotten at the sign-in's commit, on the
    # first): the sessions, rooms and speakers of this version were loaded for the visitors'
    # page above and are shared
    assert (signed_small, signed_large) == (5, 4)


def test_star_and_unstar_build_my_agenda(client, login):
    event = make_event(slug="stars")
    chosen = make_session(event, title="Chosen one")
    make_session(event, start_offset=timedelta(hours=3), title="Other one")
    user = make_user()
    db.session.commit()
    login(user)
    response = client.post(
        f"/events/stars/agenda/sessions/{chosen.id}/star",
        data={"next": "/events/stars/agenda?track="},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == f"/events/stars/agenda?track=#s-{chosen.id}"
    client.post(f"/events/stars/agenda/sessions/{chosen.id}/star")  # twice: still one star
    stars = db.session.execute(select(SessionStar.session_id)).scalars().all()
    assert stars == [chosen.id]
    mine = client.get("/events/stars/agenda?mine=1").get_data(as_text=True)
    assert "Chosen one" in mine and "Other one" not in mine
    assert "★ In my agenda" in mine
    client.post(f"/events/stars/agenda/sessions/{chosen.id}/unstar")
    assert db.session.execute(select(func.count()).select_from(SessionStar)).scalar_one() == 0


def test_star_needs_sign_in_and_a_session_of_this_event(client, login):
    event, other = make_event(slug="mine"), make_event(slug="theirs")
    foreign = make_session(other)
    draft = make_session(event, publish=False)
    user = make_user()
    db.session.commit()
    anonymous = client.post(f"/events/mine/agenda/sessions/{draft.id}/star")
    assert anonymous.status_code == 302 and "/auth/login" in anonymous.headers["Location"]
    login(user)
    for session_id in (foreign.id, draft.id, 999999):
        response = client.post(f"/events/mine/agenda/sessions/{session_id}/star")
        assert response.status_code == 404
        assert "not on the agenda of this event" in response.get_data(as_text=True)
    assert db.session.execute(select(func.count()).select_from(SessionStar)).scalar_one() == 0


def test_unsafe_next_is_ignored(client, login):
    event = make_event(slug="safe-next")
    session = make_session(event)
    user = make_user()
    db.session.commit()
    login(user)
    response = client.post(
        f"/events/safe-next/agenda/sessions/{session.id}/star",
        data={"next": "https://evil.example/events/safe-next/agenda"},
    )
    assert response.headers["Location"] == f"/events/safe-next/agenda#s-{session.id}"


def test_booked_delegate_sees_booking_state(client, login):
    event = make_event(slug="booked")
    session = make_session(event, title="Workshop", kind="workshop", capacity=10, seats_taken=1)
    booking = make_booking(session)
    db.session.commit()
    login(booking.user)
    html = client.get("/events/booked/agenda").get_data(as_text=True)
    assert ">Booked</span>" in html
    assert f"/events/booked/sessions/{session.id}/unbook" in html


def test_json_export_follows_the_documented_schema(client):
    event = _summer_event(slug="json-forum", title="JSON Forum")
    ann = make_speaker("Ann Example", job_title="Director", slug="ann-example")
    session = make_session(
        event,
        start_offset=timedelta(minutes=15),
        speakers=[ann],
        capacity=30,
        seats_taken=4,
        track="Lean",
        pillars=["lean"],
    )
    make_session(event, start_offset=timedelta(hours=3), publish=False)
    db.session.commit()
    response = client.get("/events/json-forum/agenda.json")
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    data = json.loads(response.data)
    assert data["version"] == 1
    assert data["event"]["slug"] == "json-forum" and data["event"]["timezone"] == "Europe/London"
    assert data["event"]["starts_at"] == "2027-07-06T09:00:00+01:00"
    room = db.session.get(Room, session.room_id)
    assert data["rooms"] == [{"id": room.id, "name": "Room 1", "capacity": 50}]
    assert data["speakers"] == [
        {
            "id": ann.id,
            "slug": "ann-example",
            "name": "Ann Example",
            "job_title": "Director",
            "organisation": None,
            "url": "http://localhost/speakers/ann-example",
            "photo_url": None,
        }
    ]
    assert len(data["sessions"]) == 1
    s = data["sessions"][0]
    assert s["starts_at"] == "2027-07-06T09:15:00+01:00"
    assert s["ends_at"] == "2027-07-06T10:00:00+01:00"
    assert (s["day"], s["capacity"], s["seats_left"], s["status"]) == (
        "2027-07-06",
        30,
        26,
        "scheduled",
    )
    assert s["speaker_ids"] == [ann.id] and s["pillars"] == ["lean"] and s["track"] == "Lean"
    assert s["uid"] == session.uid and s["sequence"] == 0
    again = client.get(
        "/events/json-forum/agenda.json", headers={"If-None-Match": response.headers["ETag"]}
    )
    assert again.status_code == 304


def test_printable_agenda_lists_every_session(client):
    event = make_event(slug="printable")
    make_session(event, title="First thing")
    make_session(event, start_offset=timedelta(hours=2), title="Gone", status="cancelled")
    db.session.commit()
    html = client.get("/events/printable/agenda/print").get_data(as_text=True)
    assert "First thing" in html
    assert '<tr class="kind-talk cancelled">' in html and "(cancelled)" in html
    assert "data-print" in html  # the Print button (static/js/page-actions.js)


def test_sessions_rendered_once_are_still_each_delegates_own(client, login):
    """Signed-in pages are assembled from cached sessions: one delegate's star, booking and
    CSRF token never show on another's page, and seat counts follow every booking."""
    import re

    from tests.conftest import csrf_token_from

    event = make_event(slug="shared")
    lab = make_session(event, title="Lean lab", capacity=5)
    other = make_session(event, start_offset=timedelta(hours=3), title="Data lab", capacity=5)
    ann, bob = make_user(name="Ann"), make_user(name="Bob")
    db.session.add(SessionStar(user_id=ann.id, session_id=lab.id))
    make_booking(other, user=ann)
    other.seats_taken = 1
    db.session.commit()

    login(ann)
    mine = client.get("/events/shared/agenda?track=").get_data(as_text=True)
    assert "★ In my agenda" in mine and ">Booked<" in mine
    token = csrf_token_from(mine)
    form_tokens = set(re.findall(r'name="csrf_token" value="([^"]+)"', mine))
    assert form_tokens == {token}
    assert 'name="next" value="/events/shared/agenda?track="' in mine
    assert "__journey_" not in mine

    login(bob)
    theirs = client.get("/events/shared/agenda").get_data(as_text=True)
    assert "★ In my agenda" not in theirs and ">Booked<" not in theirs
    assert theirs.count("☆ Add to my agenda") == 2
    assert set(re.findall(r'name="csrf_token" value="([^"]+)"', theirs)) == {
        csrf_token_from(theirs)
    }

    # A seat taken in one session and freed in another: the totals match, the page does not.
    client.post("/auth/logout")

    def seats(html, session_id):
        article = html[html.index(f'id="s-{session_id}"') :].split("</article>")[0]
        return re.search(r"<strong>(\d+)</strong> of 5 seats left", article).group(1)

    before = client.get("/events/shared/agenda").get_data(as_text=True)
    assert (seats(before, lab.id), seats(before, other.id)) == ("5", "4")
    lab_row, other_row = db.session.get(type(lab), lab.id), db.session.get(type(other), other.id)
    lab_row.seats_taken, other_row.seats_taken = 1, 0
    db.session.commit()
    after = client.get("/events/shared/agenda").get_data(as_text=True)
    assert (seats(after, lab.id), seats(after, other.id)) == ("4", "5")


def test_shared_sessions_follow_speaker_edits_and_publishing(client, login):
    event = make_event(slug="fresh")
    ann = make_speaker("Ann Before")
    make_session(event, speakers=[ann], title="Flow")
    user = make_user()
    db.session.commit()
    login(user)
    assert "Ann Before" in client.get("/events/fresh/agenda").text
    ann.name = "Ann After"
    db.session.commit()
    page = client.get("/events/fresh/agenda").text
    assert "Ann After" in page and "Ann Before" not in page
    make_session(event, start_offset=timedelta(hours=2), title="Late addition")
    db.session.commit()
    assert "Late addition" in client.get("/events/fresh/agenda").text
