"""Feed services: the personal token, ETags, and the cache of built calendars."""

from __future__ import annotations

from datetime import datetime, timedelta

from app import pagecache
from app.extensions import db
from app.feeds import services
from app.feeds.ical import CalendarSession, build_calendar, session_vevent
from tests.factories import make_event, make_session, make_user

BASE = "https://journey.example"


def test_reset_gives_a_new_unguessable_token_and_revoke_removes_it(app):
    user = make_user()
    first = services.reset_calendar_token(user)
    second = services.reset_calendar_token(user)

    assert len(first) == len(second) == 43
    assert first != second
    assert services.user_for_token(first) is None
    assert services.user_for_token(second) == user

    services.revoke_calendar_token(user)
    assert user.calendar_token is None
    assert services.user_for_token(second) is None
    assert services.user_for_token("") is None
    assert services.user_for_token("x" * 65) is None


def test_etag_follows_the_published_data_only(app):
    event = make_event()
    talk = make_session(event, title="Before")
    feed = services.event_feed(event.slug, BASE)
    assert services.event_feed(event.slug, BASE).etag == feed.etag

    talk.title = "Draft edit"  # not published: the public feed is unchanged
    db.session.commit()
    assert services.event_feed(event.slug, BASE).etag == feed.etag

    # Publishing stores the new copy and stamps it, as publish_agenda does. (The commit makes
    # this process read the public version again; others do within the staleness bound.)
    talk.published = {**talk.published, "title": "Published edit"}
    talk.published_at = talk.published_at + timedelta(seconds=1)
    db.session.commit()
    changed = services.event_feed(event.slug, BASE)
    assert changed.etag != feed.etag
    assert b"SUMMARY:Published edit\r\n" in changed.to_ical()
    assert services.event_feed(event.slug, "https://elsewhere.example").etag != changed.etag


def test_built_calendars_are_reused_by_etag(app, monkeypatch):
    event = make_event()
    make_session(event)
    feed = services.event_feed(event.slug, BASE)
    built = []
    monkeypatch.setattr(services.ical, "build_calendar", lambda *a: built.append(a) or b"X")
    pagecache.clear_all()
    assert feed.to_ical() == feed.to_ical() == b"X"
    assert len(built) == 1


def test_equal_feeds_give_equal_bytes(app):
    event = make_event()
    make_session(event)
    one = services.event_feed(event.slug, BASE)
    pagecache.clear_all()
    first = one.to_ical()
    pagecache.clear_all()
    assert services.event_feed(event.slug, BASE).to_ical() == first


def _session(**kw) -> CalendarSession:
    values = dict(
        uid="abc123",
        title="Talk",
        abstract="",
        starts_at=datetime(2027, 3, 28, 0, 30),  # the night the clocks go forward
        ends_at=datetime(2027, 3, 28, 1, 30),
        timezone="Europe/London",
        cancelled=False,
        sequence=3,
        location="",
        url=f"{BASE}/events/e/agenda#s-1",
        event_title="Event",
        published_at=datetime(2027, 1, 1, 12, 0, 0, 123456),
    )
    values.update(kw)
    return CalendarSession(**values)


def test_session_entry_across_the_clock_change():
    body = session_vevent(_session()).to_ical()
    # 00:30Z is 00:30 GMT; 01:30Z is 02:30 BST (01:00–02:00 local does not exist that night).
    assert b"DTSTART;TZID=Europe/London:20270328T003000\r\n" in body
    assert b"DTEND;TZID=Europe/London:20270328T023000\r\n" in body
    assert b"SEQUENCE:3\r\n" in body
    assert b"DTSTAMP:20270101T120000Z\r\n" in body
    assert b"LAST-MODIFIED:20270101T120000Z\r\n" in body


def test_calendar_has_one_rule_based_vtimezone_whatever_years_it_spans():
    later = _session(starts_at=datetime(2029, 7, 1, 9), ends_at=datetime(2029, 7, 1, 10))
    body = build_calendar("Two years", sessions=[_session(), later])
    assert body.count(b"BEGIN:VTIMEZONE") == 1
    assert b"RDATE" not in body
    # Yearly rules cover 2027 and 2029 alike (summer time 2029: 25 March to 28 October).
    assert b"RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\n" in body
    assert b"RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\n" in body


def test_empty_calendar_is_valid():
    body = build_calendar("Nothing yet")
    assert body.startswith(b"BEGIN:VCALENDAR\r\n") and body.endswith(b"END:VCALENDAR\r\n")
    assert b"BEGIN:VEVENT" not in body
    assert b"\r\nBEGIN:VTIMEZONE\r\nTZID:Europe/London\r\n" in body


def test_the_kept_feed_follows_the_event_venue_and_status(app):
    event = make_event()
    make_session(event)
    feed = services.event_feed(event.slug, BASE)

    # A venue has no stamp of its own: renaming it stamps its events (public_version.py).
    event.venue.name = "Renamed Hall"
    db.session.commit()
    renamed = services.event_feed(event.slug, BASE)
    assert renamed.etag != feed.etag
    assert b"Renamed Hall" in renamed.to_ical()

    event.status = "draft"  # withdrawn: no feed, even though one was kept
    db.session.commit()
    assert services.event_feed(event.slug, BASE) is None
    assert services.event_feed("no-such-event", BASE) is None
