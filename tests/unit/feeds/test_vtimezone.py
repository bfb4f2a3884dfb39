"""VTIMEZONE by yearly rules: what Outlook reads (RRULE, never RDATE), and independent parsers
(icalendar, vobject, ics, recurring_ical_events) placing summer and winter times correctly."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
import ics
import pytest
import recurring_ical_events
import vobject

from app.feeds.ical import CalendarSession, build_calendar
from app.feeds.vtimezone import vtimezone

LONDON_2027 = (
    b"BEGIN:VTIMEZONE\r\nTZID:Europe/London\r\n"
    b"BEGIN:DAYLIGHT\r\nDTSTART:19700329T010000\r\nRRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\n"
    b"TZNAME:BST\r\nTZOFFSETFROM:+0000\r\nTZOFFSETTO:+0100\r\nEND:DAYLIGHT\r\n"
    b"BEGIN:STANDARD\r\nDTSTART:19701025T020000\r\nRRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\n"
    b"TZNAME:GMT\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0000\r\nEND:STANDARD\r\n"
    b"END:VTIMEZONE\r\n"
)


def _session(uid: str, starts_at: datetime, tz: str = "Europe/London") -> CalendarSession:
    return CalendarSession(
        uid=uid, title=uid, abstract="", starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=1), timezone=tz, cancelled=False, sequence=0,
        location="", url="https://journey.example/", event_title="Conference",
        published_at=datetime(2027, 1, 1),
    )  # fmt: skip


# 08:00Z in July is 09:00 BST; 09:00Z in December is 09:00 GMT.
SUMMER, WINTER = datetime(2027, 7, 6, 8), datetime(2027, 12, 1, 9)


def _feed() -> bytes:
    return build_calendar(
        "Feed", sessions=[_session("summer@x", SUMMER), _session("winter@x", WINTER)]
    )


def _renamed(body: bytes) -> bytes:
    """The same feed under a TZID no parser knows, so it must read our VTIMEZONE's rules."""
    return body.replace(b"TZID:Europe/London", b"TZID:Custom/London").replace(
        b"TZID=Europe/London", b"TZID=Custom/London"
    )


def test_london_is_one_daylight_and_one_standard_rule():
    assert vtimezone("Europe/London", 2027).to_ical() == LONDON_2027
    body = _feed()
    assert body.count(b"BEGIN:VTIMEZONE") == 1
    assert LONDON_2027 in body
    assert b"RDATE" not in body


@pytest.mark.parametrize(
    ("tzid", "rules"),
    [
        ("America/New_York", [b"BYMONTH=3;BYDAY=2SU", b"BYMONTH=11;BYDAY=1SU"]),
        ("Australia/Sydney", [b"BYMONTH=4;BYDAY=1SU", b"BYMONTH=10;BYDAY=1SU"]),
    ],
)
def test_other_zones_get_their_own_rules(tzid, rules):
    body = vtimezone(tzid, 2027).to_ical()
    assert [
        line.split(b":", 1)[1] for line in body.split(b"\r\n") if line.startswith(b"RRULE")
    ] == [b"FREQ=YEARLY;" + rule for rule in rules]


def test_a_zone_without_summer_time_has_one_standard_and_no_rule():
    body = vtimezone("Asia/Tokyo", 2027).to_ical()
    assert body.count(b"BEGIN:STANDARD") == 1
    assert b"DAYLIGHT" not in body and b"RRULE" not in body
    assert b"TZOFFSETTO:+0900\r\n" in body


def test_rules_agree_with_zoneinfo_hour_by_hour_across_years():
    """icalendar turns our VTIMEZONE into a tzinfo; it must match zoneinfo at every hour
    around each change from 2027 to 2031, including the missing and the repeated hour."""
    tz = icalendar.Calendar.from_ical(_renamed(_feed())).walk("VTIMEZONE")[0].to_tz()
    zone = ZoneInfo("Europe/London")
    for year in range(2027, 2032):
        for month in (3, 10):
            start = datetime(year, month, 24, tzinfo=UTC)
            for hour in range(24 * 8):
                at = start + timedelta(hours=hour)
                assert at.astimezone(tz).utcoffset() == at.astimezone(zone).utcoffset(), at


def test_vobject_reads_bst_and_gmt_from_the_rules():
    parsed = vobject.readOne(_renamed(_feed()).decode())
    starts = {e.uid.value: e.dtstart.value for e in parsed.vevent_list}
    assert starts["summer@x"].astimezone(UTC).replace(tzinfo=None) == SUMMER
    assert starts["summer@x"].utcoffset() == timedelta(hours=1)
    assert starts["winter@x"].astimezone(UTC).replace(tzinfo=None) == WINTER
    assert starts["winter@x"].utcoffset() == timedelta(0)


def test_recurring_ical_events_expands_a_bst_and_a_gmt_day():
    cal = icalendar.Calendar.from_ical(_renamed(_feed()))
    [summer] = recurring_ical_events.of(cal).at((2027, 7, 6))
    [winter] = recurring_ical_events.of(cal).at((2027, 12, 1))
    assert str(summer["uid"]) == "summer@x"
    assert summer["dtstart"].dt.isoformat() == "2027-07-06T09:00:00+01:00"
    assert str(winter["uid"]) == "winter@x"
    assert winter["dtstart"].dt.isoformat() == "2027-12-01T09:00:00+00:00"


def test_ics_library_accepts_the_feed():
    # ics resolves TZIDs by name, so this checks it parses our VTIMEZONE without complaint.
    parsed = ics.Calendar(_feed().decode())
    starts = {e.uid: e.begin for e in parsed.events}
    assert starts["summer@x"].isoformat() == "2027-07-06T09:00:00+01:00"
    assert starts["winter@x"].isoformat() == "2027-12-01T09:00:00+00:00"
