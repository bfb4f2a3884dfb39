"""The whole-event calendar (ticket email attachment) and the add-to-calendar links."""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import icalendar
import vobject
from flask import render_template_string

from app.feeds.ical import event_ticket_calendar
from app.feeds.links import (
    calendar_links,
    google_subscribe_url,
    outlook_subscribe_url,
    webcal_url,
)
from tests.factories import make_event

BASE = "https://journey.example"


def _vevents(body: bytes) -> list[icalendar.Event]:
    return list(icalendar.Calendar.from_ical(body).walk("VEVENT"))


def _event(app, starts: datetime, ends: datetime, **kw):
    event = make_event(**kw)
    event.starts_at, event.ends_at = starts, ends
    return event


def test_one_day_event_is_one_entry_in_london_time(app):
    # 15 Sep 2027 09:00–17:00 BST is 08:00Z–16:00Z.
    event = _event(app, datetime(2027, 9, 15, 8), datetime(2027, 9, 15, 16), title="Journey 2027")
    body = event_ticket_calendar(event, BASE)

    (vevent,) = _vevents(body)
    assert b"DTSTART;TZID=Europe/London:20270915T090000\r\n" in body
    assert b"DTEND;TZID=Europe/London:20270915T170000\r\n" in body
    assert vevent.start.astimezone().utctimetuple()[:5] == (2027, 9, 15, 8, 0)
    assert str(vevent["uid"]) == event.calendar_uid
    assert str(vevent["summary"]) == "Journey 2027"
    assert str(vevent["status"]) == "CONFIRMED"
    assert str(vevent["url"]) == f"{BASE}/events/{event.slug}"
    assert str(vevent["location"]) == f"{event.venue.name}, 1 Factory Lane, Norwich, NR1 1AA"
    assert b"METHOD:PUBLISH\r\n" in body
    assert b"BEGIN:VTIMEZONE\r\nTZID:Europe/London\r\n" in body


def test_multi_day_event_is_one_entry_per_day(app):
    # Three days, 09:00–17:00 London, across the end of British Summer Time (31 Oct 2027).
    event = _event(app, datetime(2027, 10, 30, 8), datetime(2027, 11, 1, 17))
    body = event_ticket_calendar(event, BASE)

    vevents = _vevents(body)
    assert [(v.start.isoformat(), v.end.isoformat()) for v in vevents] == [
        ("2027-10-30T09:00:00+01:00", "2027-10-30T17:00:00+01:00"),
        ("2027-10-31T09:00:00+00:00", "2027-10-31T17:00:00+00:00"),
        ("2027-11-01T09:00:00+00:00", "2027-11-01T17:00:00+00:00"),
    ]
    local, _, host = event.calendar_uid.partition("@")
    assert host == "localhost"  # TestConfig.BASE_URL's host
    assert [str(v["uid"]) for v in vevents] == [
        event.calendar_uid,
        f"{local}-day-2@localhost",
        f"{local}-day-3@localhost",
    ]
    assert str(vevents[1]["summary"]) == f"{event.title} (day 2 of 3)"
    # An independent parser reads the same times.
    parsed = vobject.readOne(body.decode())
    starts = sorted(v.dtstart.value.isoformat() for v in parsed.vevent_list)
    assert starts == ["2027-10-30T09:00:00+01:00", "2027-10-31T09:00:00+00:00",
                      "2027-11-01T09:00:00+00:00"]  # fmt: skip


def test_evening_past_midnight_stays_one_entry(app):
    event = _event(app, datetime(2027, 1, 10, 19), datetime(2027, 1, 11, 1))
    (vevent,) = _vevents(event_ticket_calendar(event, BASE))
    assert vevent.end - vevent.start == timedelta(hours=6)


def test_midnight_to_midnight_event_is_whole_days(app):
    event = _event(app, datetime(2027, 1, 10, 0), datetime(2027, 1, 12, 0))
    body = event_ticket_calendar(event, BASE)
    assert body.count(b"DTSTART;VALUE=DATE:") == 2
    vevents = _vevents(body)
    assert [(str(v.start), str(v.end)) for v in vevents] == [
        ("2027-01-10", "2027-01-11"),
        ("2027-01-11", "2027-01-12"),
    ]


def test_cancelled_event_says_so(app):
    event = make_event(status="cancelled")
    (vevent,) = _vevents(event_ticket_calendar(event, BASE))
    assert str(vevent["status"]) == "CANCELLED"
    assert str(vevent["summary"]).startswith("Cancelled: ")


def test_calendar_links_are_encoded():
    links = calendar_links(
        "Lean & flow: 5S?",
        datetime(2027, 9, 15, 8, 30),
        datetime(2027, 9, 15, 9, 15),
        "Room 1, Venue #2",
        "Line one\nLine two",
    )
    google = urlsplit(links["google"])
    assert f"{google.scheme}://{google.netloc}{google.path}" == (
        "https://calendar.google.com/calendar/render"
    )
    assert parse_qs(google.query) == {
        "action": ["TEMPLATE"],
        "text": ["Lean & flow: 5S?"],
        "dates": ["20270915T083000Z/20270915T091500Z"],
        "details": ["Line one\nLine two"],
        "location": ["Room 1, Venue #2"],
    }
    assert "&" not in google.query.split("text=")[1].split("&")[0]
    outlook = urlsplit(links["outlook"])
    assert parse_qs(outlook.query) == {
        "path": ["/calendar/action/compose"],
        "rru": ["addevent"],
        "subject": ["Lean & flow: 5S?"],
        "startdt": ["2027-09-15T08:30:00Z"],
        "enddt": ["2027-09-15T09:15:00Z"],
        "body": ["Line one\nLine two"],
        "location": ["Room 1, Venue #2"],
    }


def test_subscribe_links():
    url = "https://journey.example/calendar/abc.ics"
    assert webcal_url(url) == "webcal://journey.example/calendar/abc.ics"
    assert google_subscribe_url(url) == (
        "https://calendar.google.com/calendar/r?cid=webcal%3A%2F%2Fjourney.example%2Fcalendar%2Fabc.ics"
    )
    assert parse_qs(urlsplit(outlook_subscribe_url(url, "My events")).query) == {
        "url": [url],
        "name": ["My events"],
    }


def test_add_to_calendar_macro_renders_three_links(app):
    with app.test_request_context():
        html = render_template_string(
            '{% from "macros/calendar.html" import add_to_calendar %}'
            "{{ add_to_calendar(title, starts, ends, 'Room <1>', 'x', '/e/s/1.ics') }}",
            title='Talk "A" & B',
            starts=datetime(2027, 1, 5, 10),
            ends=datetime(2027, 1, 5, 11),
        )
    assert 'href="/e/s/1.ics" download' in html
    assert (
        "https://calendar.google.com/calendar/render?action=TEMPLATE&amp;text=Talk%20%22A" in html
    )
    assert "dates=20270105T100000Z%2F20270105T110000Z" in html
    assert "https://outlook.live.com/calendar/0/deeplink/compose?path=" in html
    assert "startdt=2027-01-05T10%3A00%3A00Z" in html
    assert "Room <1>" not in html
