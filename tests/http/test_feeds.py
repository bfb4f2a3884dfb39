"""Calendar feeds: the event feed, one session, the personal feed and its settings page."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import icalendar
import pytest
import vobject
from sqlalchemy import update

from app.auth.models import User
from app.events.models import AgendaSession, Event, EventKind, SessionStar
from app.events.published import SCHEDULE_FIELDS, snapshot
from app.extensions import db
from app.registration.models import Registration, SessionBooking
from app.timeutil import utcnow
from tests.conftest import csrf_token_from
from tests.factories import (
    make_event,
    make_organisation,
    make_session,
    make_speaker,
    make_user,
    organiser,
)

BASE = "http://localhost"  # TestConfig.BASE_URL


# ---- helpers -------------------------------------------------------------------------------


def _event_at(starts: datetime, hours: int = 8, **kw):
    """A published event starting at `starts` (naive UTC)."""
    event = make_event(**kw)
    event.starts_at, event.ends_at = starts, starts + timedelta(hours=hours)
    db.session.flush()
    return event


def _session_at(event, starts: datetime, minutes: int = 45, **kw) -> AgendaSession:
    return make_session(event, start_offset=starts - event.starts_at, minutes=minutes, **kw)


def _register(user: User, event, status: str = "confirmed") -> Registration:
    live = status not in ("cancelled", "refunded")
    registration = Registration(
        event_id=event.id,
        user_id=user.id,
        ticket_type_id=event.ticket_types[0].id,
        status=status,
        active_user_id=user.id if live else None,
    )
    db.session.add(registration)
    db.session.flush()
    return registration


def _book(user: User, session: AgendaSession, registration: Registration, status="booked"):
    booking = SessionBooking(
        session_id=session.id,
        user_id=user.id,
        registration_id=registration.id,
        status=status,
        active_user_id=user.id if status != "cancelled" else None,
    )
    db.session.add(booking)
    db.session.flush()
    return booking


def _star(user: User, session: AgendaSession) -> None:
    db.session.add(SessionStar(user_id=user.id, session_id=session.id))
    db.session.flush()


def _with_token(user: User, token: str | None = None) -> str:
    user.calendar_token = token or f"tok-{user.id}-{'x' * 40}"
    db.session.flush()
    return user.calendar_token


def _vevents(body: bytes) -> list[icalendar.Event]:
    return list(icalendar.Calendar.from_ical(body).walk("VEVENT"))


def _by_uid(body: bytes) -> dict[str, icalendar.Event]:
    return {str(v["uid"]): v for v in _vevents(body)}


def _both_parsers(body: bytes) -> tuple[icalendar.Calendar, vobject.base.Component]:
    """Every feed must be read by icalendar and by an independent parser (vobject)."""
    return icalendar.Calendar.from_ical(body), vobject.readOne(body.decode("utf-8"))


def _unfolded(body: bytes) -> str:
    return body.decode("utf-8").replace("\r\n ", "").replace("\r\n\t", "")


def _publish(event) -> None:
    """Publish the agenda as organisers do (SEQUENCE goes up when time, room or status moves)."""
    try:
        from app.events.agenda_publishing import publish_agenda
    except ImportError:  # the agenda's publishing is not there yet: do what it does
        for session in event.sessions:
            snap = snapshot(session)
            if any(session.published.get(f) != snap[f] for f in SCHEDULE_FIELDS):
                session.sequence += 1
            session.published, session.published_at = snap, utcnow()
        event.agenda_published_at = utcnow()
        db.session.flush()
        return
    publish_agenda(organiser(), event)


# ---- the event feed: every required property ---------------------------------------------


def test_event_feed_has_every_required_property(app, client):
    # 14 Jul 2027: British Summer Time.
    event = _event_at(datetime(2027, 7, 14, 8), title="Productivity Journey 2027", pillars=["lean"])
    speaker = make_speaker(
        "Ada Lovelace", job_title="Chief Engineer", organisation="Analytical Ltd"
    )
    other = make_speaker("Grace Hopper")
    talk = _session_at(
        event,
        datetime(2027, 7, 14, 9),  # 10:00 London
        title="Flow, not batches; a lean story",
        abstract="How one line\nhalved its lead time.",
        track="Operations",
        pillars=["lean", "digital"],
        speakers=[speaker, other],
    )
    db.session.commit()

    response = client.get(f"/events/{event.slug}/calendar.ics")

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert response.headers["Content-Disposition"] == f"attachment; filename={event.slug}.ics"
    assert re.fullmatch(r'"[0-9a-f]{32}"', response.headers["ETag"])
    assert response.headers["Last-Modified"].endswith(" GMT")
    assert response.headers["Cache-Control"] == "public, no-cache"
    body = response.data
    cal, vcal = _both_parsers(body)

    # The calendar itself.
    assert str(cal["prodid"]) == "-//Productivity Journey//Journey events//EN"
    assert str(cal["version"]) == "2.0"
    assert str(cal["calscale"]) == "GREGORIAN"
    assert str(cal["method"]) == "PUBLISH"
    assert b"\r\nX-WR-CALNAME:Productivity Journey 2027\r\n" in body
    assert b"\r\nX-WR-TIMEZONE:Europe/London\r\n" in body
    (tz,) = cal.walk("VTIMEZONE")
    assert str(tz["tzid"]) == "Europe/London"
    assert {c.name for c in tz.subcomponents} == {"STANDARD", "DAYLIGHT"}
    assert body.index(b"BEGIN:VTIMEZONE") < body.index(b"BEGIN:VEVENT")
    assert vcal.x_wr_calname.value == "Productivity Journey 2027"

    # The session.
    (vevent,) = _vevents(body)
    assert str(vevent["uid"]) == talk.calendar_uid
    assert vevent["dtstamp"].to_ical() == talk.published_at.strftime("%Y%m%dT%H%M%SZ").encode()
    assert b"\r\nDTSTART;TZID=Europe/London:20270714T100000\r\n" in body
    assert b"\r\nDTEND;TZID=Europe/London:20270714T104500\r\n" in body
    assert str(vevent["summary"]) == "Flow, not batches; a lean story"
    assert b"\r\nSUMMARY:Flow\\, not batches\\; a lean story\r\n" in body
    url = f"{BASE}/events/{event.slug}/agenda#s-{talk.id}"
    assert str(vevent["description"]) == (
        "How one line\nhalved its lead time.\n\n"
        "Speakers: Ada Lovelace (Chief Engineer, Analytical Ltd); Grace Hopper\n\n"
        f"Productivity Journey 2027\n{url}"
    )
    assert "DESCRIPTION:How one line\\nhalved its lead time.\\n\\nSpeakers:" in _unfolded(body)
    assert (
        str(vevent["location"]) == f"Room 1, {event.venue.name}, 1 Factory Lane, Norwich, NR1 1AA"
    )
    assert str(vevent["url"]) == url
    assert vevent["sequence"] == 0
    assert str(vevent["status"]) == "CONFIRMED"
    assert vevent["last-modified"].dt.replace(tzinfo=None) == talk.published_at.replace(
        microsecond=0
    )
    assert vevent.categories == ["Operations", "Lean operations & flow", "Data & digital systems"]

    # vobject reads the same entry.
    (vv,) = vcal.vevent_list
    assert vv.uid.value == talk.calendar_uid
    assert vv.summary.value == "Flow, not batches; a lean story"
    assert vv.dtstart.value.isoformat() == "2027-07-14T10:00:00+01:00"
    assert vv.status.value == "CONFIRMED"


def test_lines_end_in_crlf_fold_at_75_octets_and_escape_text(app, client):
    event = _event_at(datetime(2027, 3, 2, 9))
    _session_at(
        event,
        datetime(2027, 3, 2, 10),
        title="Qualität, Kaizen; und Über-Effizienz — " * 4,
        abstract="Zeile eins\nZeile zwei, mit Komma; Semikolon und \\ Backslash. " + "ü€" * 60,
    )
    db.session.commit()

    body = client.get(f"/events/{event.slug}/calendar.ics").data

    assert body.endswith(b"END:VCALENDAR\r\n")
    lines = body.split(b"\r\n")[:-1]
    assert b"\n" not in b"".join(lines) and b"\r" not in b"".join(lines)
    assert max(len(line) for line in lines) <= 75
    assert any(len(line) >= 73 for line in lines)  # long lines really were folded
    for line in lines:
        line.decode("utf-8")  # a fold never splits a character
    text = _unfolded(body)
    assert "SUMMARY:Qualität\\, Kaizen\\; und Über-Effizienz — " in text
    assert "Zeile eins\\nZeile zwei\\, mit Komma\\; Semikolon und \\\\ Backslash." in text
    (vevent,) = _vevents(body)
    assert str(vevent["summary"]) == "Qualität, Kaizen; und Über-Effizienz — " * 4
    _both_parsers(body)


@pytest.mark.parametrize(
    ("utc_start", "local_line", "utc_z"),
    [
        # 10:00 London in summer is 09:00Z; in winter 10:00Z.
        (datetime(2027, 7, 14, 9), b"DTSTART;TZID=Europe/London:20270714T100000", "09:00"),
        (datetime(2027, 1, 13, 10), b"DTSTART;TZID=Europe/London:20270113T100000", "10:00"),
    ],
)
def test_london_times_in_summer_and_winter(app, client, utc_start, local_line, utc_z):
    event = _event_at(utc_start.replace(hour=7))
    _session_at(event, utc_start)
    db.session.commit()

    body = client.get(f"/events/{event.slug}/calendar.ics").data

    assert b"\r\n" + local_line + b"\r\n" in body
    (vevent,) = _vevents(body)
    assert f"{vevent.start.astimezone(UTC):%H:%M}" == utc_z
    (vv,) = vobject.readOne(body.decode()).vevent_list
    assert vv.dtstart.value.utcoffset() == (
        timedelta(hours=1) if utc_start.month == 7 else timedelta(0)
    )
    assert f"{(vv.dtstart.value - vv.dtstart.value.utcoffset()):%H:%M}" == utc_z


def test_feed_shows_only_published_copy(app, client):
    event = _event_at(datetime(2027, 5, 4, 8))
    shown = _session_at(event, datetime(2027, 5, 4, 9), title="Published title")
    _session_at(event, datetime(2027, 5, 4, 10), title="Still a draft", publish=False)
    shown.title = "Edited but not yet published"
    db.session.commit()

    body = client.get(f"/events/{event.slug}/calendar.ics").data

    assert [str(v["summary"]) for v in _vevents(body)] == ["Published title"]


def test_uid_stays_and_sequence_goes_up_when_a_session_moves(app, client):
    event = _event_at(datetime(2027, 5, 4, 8))
    talk = _session_at(event, datetime(2027, 5, 4, 9), title="Lean basics")
    db.session.commit()
    uid = talk.calendar_uid
    first = _by_uid(client.get(f"/events/{event.slug}/calendar.ics").data)[uid]
    assert first["sequence"] == 0

    # A title edit, published: same UID, same SEQUENCE, new title.
    talk.title = "Lean basics for SMEs"
    _publish(event)
    db.session.commit()
    edited = _by_uid(client.get(f"/events/{event.slug}/calendar.ics").data)[uid]
    assert str(edited["summary"]) == "Lean basics for SMEs"
    assert edited["sequence"] == 0

    # A move, published: same UID, SEQUENCE up, new time.
    talk.starts_at += timedelta(hours=2)
    talk.ends_at += timedelta(hours=2)
    _publish(event)
    db.session.commit()
    moved = _by_uid(client.get(f"/events/{event.slug}/calendar.ics").data)[uid]
    assert moved["sequence"] == 1
    assert moved.start.isoformat() == "2027-05-04T12:00:00+01:00"


def test_cancelled_session_stays_in_feed_as_cancelled(app, client):
    event = _event_at(datetime(2027, 5, 4, 8))
    talk = _session_at(event, datetime(2027, 5, 4, 9), title="Robots")
    keep = _session_at(event, datetime(2027, 5, 4, 10), title="Cobots")
    db.session.commit()
    talk.status = "cancelled"
    _publish(event)
    db.session.commit()

    body = client.get(f"/events/{event.slug}/calendar.ics").data

    events = _by_uid(body)
    cancelled = events[talk.calendar_uid]
    assert str(cancelled["status"]) == "CANCELLED"
    assert str(cancelled["summary"]) == "Cancelled: Robots"
    assert cancelled["sequence"] == 1
    assert str(events[keep.calendar_uid]["status"]) == "CONFIRMED"
    assert body.count(b"\r\nSTATUS:CANCELLED\r\n") == 1
    (vv,) = [v for v in vobject.readOne(body.decode()).vevent_list if v.status.value == "CANCELLED"]
    assert vv.uid.value == talk.calendar_uid


def test_cancelled_event_cancels_every_session(app, client):
    event = _event_at(datetime(2027, 5, 4, 8), status="cancelled")
    _session_at(event, datetime(2027, 5, 4, 9))
    db.session.commit()

    body = client.get(f"/events/{event.slug}/calendar.ics").data

    assert [str(v["status"]) for v in _vevents(body)] == ["CANCELLED"]


def test_event_without_an_agenda_shows_itself_one_entry_per_day(app, client):
    # Two days, 09:00–17:00 London each day: never a single block across the night.
    event = _event_at(datetime(2027, 6, 1, 8), hours=24 + 8)
    db.session.commit()

    body = client.get(f"/events/{event.slug}/calendar.ics").data

    _both_parsers(body)
    spans = [(v.start.isoformat(), v.end.isoformat()) for v in _vevents(body)]
    assert spans == [
        ("2027-06-01T09:00:00+01:00", "2027-06-01T17:00:00+01:00"),
        ("2027-06-02T09:00:00+01:00", "2027-06-02T17:00:00+01:00"),
    ]


def test_site_visit_carries_the_hosts_address(app, client):
    host = make_organisation("Wymondham Precision Ltd", address="Chestnut Drive\nWymondham")
    host.postcode = "NR18 0AA"
    visit = _event_at(datetime(2027, 5, 4, 9), kind=EventKind.SITE_VISIT, host_organisation=host)
    visit.venue = None
    db.session.commit()

    body = client.get(f"/events/{visit.slug}/calendar.ics").data

    (vevent,) = _vevents(body)
    assert str(vevent["location"]) == "Wymondham Precision Ltd, Chestnut Drive, Wymondham, NR18 0AA"


# ---- one session --------------------------------------------------------------------------


def test_one_session(app, client):
    event = _event_at(datetime(2027, 5, 4, 8))
    talk = _session_at(event, datetime(2027, 5, 4, 9), title="Digital twins")
    _session_at(event, datetime(2027, 5, 4, 10), title="Another")
    db.session.commit()

    response = client.get(f"/events/{event.slug}/sessions/{talk.id}.ics")

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert response.headers["Content-Disposition"] == (
        f"attachment; filename={event.slug}-session-{talk.id}.ics"
    )
    cal, vcal = _both_parsers(response.data)
    assert [str(v["uid"]) for v in cal.walk("VEVENT")] == [talk.calendar_uid]
    assert [v.summary.value for v in vcal.vevent_list] == ["Digital twins"]
    assert b"X-WR-CALNAME:Digital twins\r\n" in response.data
    assert len(cal.walk("VTIMEZONE")) == 1


# ---- caching ------------------------------------------------------------------------------


def test_not_modified_by_etag_or_date_until_the_agenda_changes(app, client):
    event = _event_at(datetime(2027, 5, 4, 8))
    talk = _session_at(event, datetime(2027, 5, 4, 9))
    db.session.commit()
    url = f"/events/{event.slug}/calendar.ics"
    first = client.get(url)
    etag, last_modified = first.headers["ETag"], first.headers["Last-Modified"]

    again = client.get(url)
    assert again.data == first.data and again.headers["ETag"] == etag

    by_etag = client.get(url, headers={"If-None-Match": etag})
    assert by_etag.status_code == 304
    assert by_etag.data == b""
    assert by_etag.headers["ETag"] == etag

    by_date = client.get(url, headers={"If-Modified-Since": last_modified})
    assert by_date.status_code == 304

    assert client.get(url, headers={"If-None-Match": '"other"'}).status_code == 200
    old = "Mon, 01 Jan 2024 00:00:00 GMT"
    assert client.get(url, headers={"If-Modified-Since": old}).status_code == 200

    # Publishing a change gives a new ETag: the old one no longer matches.
    talk.starts_at += timedelta(minutes=30)
    talk.ends_at += timedelta(minutes=30)
    _publish(event)
    db.session.commit()
    changed = client.get(url, headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["ETag"] != etag


def test_a_new_registration_does_not_change_the_event_feed(app, client):
    event = _event_at(datetime(2027, 5, 4, 8))
    _session_at(event, datetime(2027, 5, 4, 9))
    db.session.commit()
    url = f"/events/{event.slug}/calendar.ics"
    etag = client.get(url).headers["ETag"]
    before = db.session.get(Event, event.id).updated_at

    # Taking a seat is a conditional UPDATE, which also moves the event's updated_at.
    db.session.execute(
        update(Event).where(Event.id == event.id).values(seats_taken=Event.seats_taken + 1)
    )
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Event, event.id).updated_at > before

    assert client.get(url, headers={"If-None-Match": etag}).status_code == 304


def test_session_feed_answers_304(app, client):
    event = _event_at(datetime(2027, 5, 4, 8))
    talk = _session_at(event, datetime(2027, 5, 4, 9))
    db.session.commit()
    url = f"/events/{event.slug}/sessions/{talk.id}.ics"
    etag = client.get(url).headers["ETag"]
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 304


# ---- bad input ----------------------------------------------------------------------------


def test_unknown_or_hidden_things_are_404(app, client):
    event = _event_at(datetime(2027, 5, 4, 8))
    other = _event_at(datetime(2027, 5, 5, 8))
    draft = _event_at(datetime(2027, 5, 6, 8), status="draft")
    mine = _session_at(event, datetime(2027, 5, 4, 9))
    theirs = _session_at(other, datetime(2027, 5, 5, 9))
    unpublished = _session_at(event, datetime(2027, 5, 4, 10), publish=False)
    _session_at(draft, datetime(2027, 5, 6, 9))
    db.session.commit()

    assert client.get(f"/events/{event.slug}/sessions/{mine.id}.ics").status_code == 200
    for url in (
        "/events/no-such-event/calendar.ics",
        f"/events/{draft.slug}/calendar.ics",
        f"/events/{event.slug}/sessions/{theirs.id}.ics",
        f"/events/{event.slug}/sessions/{unpublished.id}.ics",
        f"/events/{event.slug}/sessions/999999.ics",
        f"/events/{event.slug}/sessions/abc.ics",
        f"/events/{draft.slug}/sessions/{mine.id}.ics",
        "/calendar/no-such-token.ics",
        "/calendar/" + "x" * 300 + ".ics",
    ):
        response = client.get(url)
        assert response.status_code == 404, url
        assert not response.headers["Content-Type"].startswith("text/calendar"), url


def test_session_of_another_event_404_shows_a_message(app, client):
    event = _event_at(datetime(2027, 5, 4, 8))
    other = _event_at(datetime(2027, 5, 5, 8))
    theirs = _session_at(other, datetime(2027, 5, 5, 9))
    db.session.commit()
    response = client.get(f"/events/{event.slug}/sessions/{theirs.id}.ics")
    assert response.status_code == 404
    assert b"This event has no published session with that number." in response.data


# ---- the personal feed --------------------------------------------------------------------


def _personal_setup():
    me, someone = make_user(name="Me Myself"), make_user(name="Someone Else")
    conference = _event_at(datetime(2027, 9, 15, 8), title="Conference")
    workshop = _event_at(datetime(2027, 10, 5, 8), title="Workshop day")
    pending = _event_at(datetime(2027, 10, 6, 8), title="Pending benchmark")
    cancelled = _event_at(datetime(2027, 10, 7, 8), title="Cancelled place")
    theirs = _event_at(datetime(2027, 10, 8, 8), title="Their event")
    reg = _register(me, conference)
    _register(me, pending, "pending_benchmark")
    _register(me, cancelled, "cancelled")
    their_reg = _register(someone, theirs)
    _register(someone, conference)

    booked = _session_at(conference, datetime(2027, 9, 15, 9), title="Booked workshop")
    starred = _session_at(workshop, datetime(2027, 10, 5, 9), title="Starred talk")
    dropped = _session_at(conference, datetime(2027, 9, 15, 10), title="Dropped booking")
    unpublished = _session_at(conference, datetime(2027, 9, 15, 11), publish=False)
    not_mine = _session_at(theirs, datetime(2027, 10, 8, 9), title="Their session")
    _book(me, booked, reg)
    _book(me, dropped, reg, status="cancelled")
    _star(me, starred)
    _star(me, unpublished)
    _book(someone, not_mine, their_reg)
    _star(someone, booked)
    token = _with_token(me)
    _with_token(someone)
    return locals()


def test_personal_feed_has_my_events_and_sessions_and_nothing_else(app, client):
    s = _personal_setup()
    db.session.commit()

    response = client.get(f"/calendar/{s['token']}.ics")

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert response.headers["Cache-Control"] == "private, no-cache"
    cal, vcal = _both_parsers(response.data)
    assert str(cal["x-wr-calname"]) == "My Productivity Journey"
    assert sorted(str(v["summary"]) for v in cal.walk("VEVENT")) == [
        "Booked workshop",
        "Conference",
        "Starred talk",
    ]
    assert sorted(v.uid.value for v in vcal.vevent_list) == sorted(
        [
            s["conference"].calendar_uid,
            s["booked"].calendar_uid,
            s["starred"].calendar_uid,
        ]
    )
    body = response.data.decode()
    for word in ("Me Myself", "Someone Else", s["me"].email, "Their", "Pending", "Dropped"):
        assert word not in body


def test_personal_feed_answers_304_and_changes_with_a_new_star(app, client):
    s = _personal_setup()
    db.session.commit()
    url = f"/calendar/{s['token']}.ics"
    etag = client.get(url).headers["ETag"]
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 304

    extra = _session_at(s["conference"], datetime(2027, 9, 15, 12), title="Late addition")
    _star(s["me"], extra)
    db.session.commit()
    response = client.get(url, headers={"If-None-Match": etag})
    assert response.status_code == 200
    assert "Late addition" in [str(v["summary"]) for v in _vevents(response.data)]


def test_personal_feed_of_a_multi_day_event_has_one_entry_per_day(app, client):
    me = make_user()
    event = _event_at(datetime(2027, 9, 15, 8), hours=48 + 8, title="Three days")
    _register(me, event)
    token = _with_token(me)
    db.session.commit()

    body = client.get(f"/calendar/{token}.ics").data

    _both_parsers(body)
    assert [(v.start.isoformat(), v.end.isoformat()) for v in _vevents(body)] == [
        ("2027-09-15T09:00:00+01:00", "2027-09-15T17:00:00+01:00"),
        ("2027-09-16T09:00:00+01:00", "2027-09-16T17:00:00+01:00"),
        ("2027-09-17T09:00:00+01:00", "2027-09-17T17:00:00+01:00"),
    ]


def test_empty_personal_feed_is_still_a_valid_calendar(app, client):
    token = _with_token(make_user())
    db.session.commit()
    response = client.get(f"/calendar/{token}.ics")
    assert response.status_code == 200
    cal, _ = _both_parsers(response.data)
    assert cal.walk("VEVENT") == []


def test_reset_and_revoked_tokens_are_404(app, client, login):
    me = make_user()
    old = _with_token(me)
    db.session.commit()
    login(me)

    assert client.post("/me/calendar/reset").status_code == 302
    db.session.expire_all()
    new = db.session.get(User, me.id).calendar_token
    assert new and new != old and len(new) == 43
    assert client.get(f"/calendar/{old}.ics").status_code == 404
    assert client.get(f"/calendar/{new}.ics").status_code == 200

    assert client.post("/me/calendar/revoke").status_code == 302
    db.session.expire_all()
    assert db.session.get(User, me.id).calendar_token is None
    response = client.get(f"/calendar/{new}.ics")
    assert response.status_code == 404
    assert b"This calendar link is not valid" in response.data


def test_inactive_users_feed_is_404(app, client):
    me = make_user(active=False)
    token = _with_token(me)
    db.session.commit()
    assert client.get(f"/calendar/{token}.ics").status_code == 404


# ---- the settings page --------------------------------------------------------------------


def test_calendar_page_needs_sign_in(app, client):
    response = client.get("/me/calendar")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]
    assert client.post("/me/calendar/reset").status_code == 302
    assert client.post("/me/calendar/revoke").status_code == 302


def test_calendar_page_offers_create_then_the_subscribe_links(app, client, login):
    me = make_user()
    db.session.commit()
    login(me)

    page = client.get("/me/calendar")
    assert page.status_code == 200
    assert b"Create my calendar link" in page.data
    assert b"webcal://" not in page.data

    created = client.post("/me/calendar/reset", follow_redirects=True)
    db.session.expire_all()
    token = db.session.get(User, me.id).calendar_token
    html = created.data.decode()
    assert "Your calendar link is ready." in html
    assert f'value="http://localhost/calendar/{token}.ics"' in html
    assert f'href="webcal://localhost/calendar/{token}.ics"' in html
    assert (
        "https://calendar.google.com/calendar/r?cid=webcal%3A%2F%2Flocalhost%2Fcalendar%2F"
        f"{token}.ics" in html
    )
    assert (
        "https://outlook.live.com/calendar/0/addfromweb?url=http%3A%2F%2Flocalhost%2Fcalendar%2F"
        f"{token}.ics&amp;name=My%20Productivity%20Journey" in html
    )
    assert "0 events" in html and "0 sessions" in html
    assert created.headers["Cache-Control"] == "private, no-store"


@pytest.mark.config(WTF_CSRF_ENABLED=True)
def test_token_buttons_need_the_csrf_token(app, client, login):
    me = make_user()
    token = _with_token(me)
    db.session.commit()
    login(me)

    assert client.post("/me/calendar/reset").status_code == 400
    assert client.post("/me/calendar/revoke").status_code == 400
    db.session.expire_all()
    assert db.session.get(User, me.id).calendar_token == token

    csrf = csrf_token_from(client.get("/me/calendar").data.decode())
    assert client.post("/me/calendar/revoke", data={"csrf_token": csrf}).status_code == 302
    db.session.expire_all()
    assert db.session.get(User, me.id).calendar_token is None


# ---- queries ------------------------------------------------------------------------------


def _conference_with(n: int):
    event = _event_at(datetime(2027, 9, 15, 8))
    speakers = [make_speaker() for _ in range(10)]
    for i in range(n):
        _session_at(
            event,
            datetime(2027, 9, 15, 8) + timedelta(minutes=5 * i),
            minutes=30,
            room=event.venue.rooms[i % 2],
            speakers=[speakers[i % 10], speakers[(i + 1) % 10]],
            pillars=["lean"],
        )
    return event


def test_event_feed_of_300_sessions_in_a_fixed_number_of_queries(
    app, client, count_queries, page_clock
):
    small, big = _conference_with(3).slug, _conference_with(300).slug
    db.session.commit()

    with count_queries() as few:
        assert client.get(f"/events/{small}/calendar.ics").status_code == 200
    with count_queries() as many:
        response = client.get(f"/events/{big}/calendar.ics")
    assert response.status_code == 200
    assert len(_vevents(response.data)) == 300
    # public version, event, published sessions, rooms, speakers; the version is read once
    # within the staleness bound (app/pagecache.py), so the second feed does without it
    assert (len(few), len(many)) == (5, 4), many
    # Calendar apps polling again: the feed of this public version is kept, so a 304 and a
    # full download alike cost no query, no ORM object and no feed work.
    etag = response.headers["ETag"]
    with count_queries() as again:
        repeat = client.get(f"/events/{big}/calendar.ics", headers={"If-None-Match": etag})
    assert repeat.status_code == 304
    assert len(again) == 0
    with count_queries() as download:
        assert client.get(f"/events/{big}/calendar.ics").data == response.data
    assert len(download) == 0


def test_personal_feed_in_a_fixed_number_of_queries(app, client, count_queries):
    me = make_user()
    small, big = _conference_with(2), _conference_with(60)
    for event in (small, big):
        registration = _register(me, event)
        for session in db.session.query(AgendaSession).filter_by(event_id=event.id):
            _star(me, session) if session.id % 2 else _book(me, session, registration)
    token = _with_token(me)
    db.session.commit()

    with count_queries() as queries:
        response = client.get(f"/calendar/{token}.ics")
    assert len(_vevents(response.data)) == 62 + 2
    # user, registrations, chosen session ids, sessions, events, rooms, speakers
    assert len(queries) == 7


# ---- speakers and the standards' edge cases ------------------------------------------------


def test_speaker_feed_holds_the_published_sessions_they_speak_at(client):
    me = make_user()
    profile = make_speaker("Ann Speaker", user_id=me.id)
    other = make_speaker("Bob Other")
    event = _event_at(datetime(2027, 9, 15, 8))
    mine = _session_at(event, datetime(2027, 9, 15, 9), title="My talk", speakers=[profile])
    _session_at(event, datetime(2027, 9, 15, 10), title="Not mine", speakers=[other])
    # Added to the draft only: not on the published agenda, so not in the feed yet.
    later = _session_at(event, datetime(2027, 9, 15, 11), title="Draft only", speakers=[other])
    later.speaker_links.clear()
    db.session.flush()
    from app.events.models import SessionSpeaker

    db.session.add(SessionSpeaker(session_id=later.id, speaker_id=profile.id, position=0))
    draft_event = make_event(status="draft")
    _session_at(draft_event, draft_event.starts_at, title="Unpublished event", speakers=[profile])
    token = _with_token(me)
    db.session.commit()

    body = client.get(f"/calendar/{token}.ics").data
    assert [str(v["summary"]) for v in _vevents(body)] == ["My talk"]
    assert [str(v["uid"]) for v in _vevents(body)] == [mine.calendar_uid]


def test_event_feed_timezone_is_rule_based_for_outlook(client):
    event = _event_at(datetime(2027, 7, 6, 8))
    _session_at(event, datetime(2027, 7, 6, 9), title="Summer")
    _session_at(event, datetime(2027, 7, 6, 9) + timedelta(days=150), title="Winter")
    db.session.commit()
    body = client.get(f"/events/{event.slug}/calendar.ics").data
    cal = icalendar.Calendar.from_ical(body)
    [tz] = cal.walk("VTIMEZONE")
    assert [c.name for c in tz.subcomponents] == ["DAYLIGHT", "STANDARD"]
    assert [(c["rrule"]["BYMONTH"], c["rrule"]["BYDAY"]) for c in tz.subcomponents] == [
        ([3], ["-1SU"]),
        ([10], ["-1SU"]),
    ]
    assert b"RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\n" in body
    assert b"RDATE" not in body
