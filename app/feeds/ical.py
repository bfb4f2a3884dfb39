"""iCalendar (RFC 5545) builders: plain values in, bytes out. No database, no request.

Every calendar carries PRODID, VERSION, CALSCALE, METHOD:PUBLISH, X-WR-CALNAME, X-WR-TIMEZONE
and a VTIMEZONE for each TZID it uses. Times go out as local wall-clock times with a TZID, so
calendars show 10:00 London time whether that is 09:00Z (summer) or 10:00Z (winter).

Bodies are deterministic (DTSTAMP is the last change, not "now"), so the same data always gives
the same bytes and an ETag can be computed from the inputs.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import icalendar

from app.feeds.vtimezone import vtimezone
from app.pillars import pillar_title
from app.timeutil import LONDON, to_local

if TYPE_CHECKING:
    from app.events.models import Event

PRODID = "-//Productivity Journey//Journey events//EN"
# How often subscribed calendars should fetch the feed again (a hint; clients may ignore it).
REFRESH = timedelta(hours=1)


@dataclass(frozen=True)
class CalendarEvent:
    """An event as a calendar shows it (one VEVENT per day)."""

    id: int
    slug: str
    title: str
    summary: str
    starts_at: datetime  # naive UTC
    ends_at: datetime  # naive UTC
    timezone: str
    cancelled: bool
    location: str
    url: str
    updated_at: datetime  # naive UTC
    categories: tuple[str, ...] = ()
    sequence: int = 0
    uid: str = ""  # the stored calendar UID (Event.calendar_uid)


@dataclass(frozen=True)
class CalendarSession:
    """A published session as a calendar shows it."""

    uid: str  # the stored calendar UID (AgendaSession.calendar_uid)
    title: str
    abstract: str
    starts_at: datetime  # naive UTC
    ends_at: datetime  # naive UTC
    timezone: str
    cancelled: bool
    sequence: int
    location: str
    url: str
    event_title: str
    published_at: datetime  # naive UTC
    speakers: tuple[str, ...] = ()
    categories: tuple[str, ...] = field(default=())


def event_location(event: Event) -> str:
    """The venue's full address; a site visit without a venue falls back to the host's."""
    if event.venue is not None:
        return event.venue.full_address
    host = event.host_organisation
    if host is not None:
        parts = [host.name, (host.address or "").replace("\n", ", "), host.postcode or ""]
        return ", ".join(p for p in parts if p)
    return ""


def describe_event(event: Event, base_url: str) -> CalendarEvent:
    return CalendarEvent(
        id=event.id,
        slug=event.slug,
        title=event.title,
        summary=event.summary or "",
        starts_at=event.starts_at,
        ends_at=event.ends_at,
        timezone=event.timezone or LONDON,
        cancelled=event.status == "cancelled",
        location=event_location(event),
        url=f"{base_url.rstrip('/')}/events/{event.slug}",
        updated_at=event.updated_at or event.created_at or event.starts_at,
        categories=tuple(pillar_title(p) for p in (event.pillars or [])),
        sequence=event.sequence or 0,
        uid=event.calendar_uid,
    )


def event_ticket_calendar(event: Event, base_url: str) -> bytes:
    """The whole event as a calendar to import (ticket email attachment, ticket page).

    A multi-day event becomes one entry per day, never one block across the nights.
    """
    described = describe_event(event, base_url)
    return build_calendar(event.title, described.timezone, events=[described])


def build_calendar(
    name: str,
    tz: str = LONDON,
    events: Iterable[CalendarEvent] = (),
    sessions: Iterable[CalendarSession] = (),
    description: str = "",
) -> bytes:
    events, sessions = list(events), list(sessions)
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    # Non-standard properties are not escaped unless given as vText.
    cal.add("name", icalendar.vText(name))
    cal.add("x-wr-calname", icalendar.vText(name))
    cal.add("x-wr-timezone", icalendar.vText(tz))
    if description:
        cal.add("description", icalendar.vText(description))
        cal.add("x-wr-caldesc", icalendar.vText(description))
    cal.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    cal.add("x-published-ttl", icalendar.vDuration(REFRESH))

    vevents = [v for e in events for v in event_vevents(e)]
    vevents += [session_vevent(s) for s in sessions]

    # One VTIMEZONE per TZID used, before the entries, with the rules of their first year.
    starts = [e.starts_at for e in events] + [s.starts_at for s in sessions]
    tzids = {tz} | {e.timezone for e in events} | {s.timezone for s in sessions}
    year = min(starts).year if starts else 2026
    for tzid in sorted(tzids):
        cal.add_component(vtimezone(tzid, year))
    for vevent in vevents:
        cal.add_component(vevent)
    return cal.to_ical()


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC)


def event_days(event: CalendarEvent) -> list[tuple[datetime | date, datetime | date]]:
    """(start, end) of each calendar entry for an event, in its local time zone.

    Up to 24 hours is one entry (an evening that runs past midnight stays one block). Longer
    events get one entry per day from the opening time to the closing time; if the closing
    time is not after the opening time (e.g. midnight to midnight), whole-day entries.
    """
    zone = ZoneInfo(event.timezone)
    start, end = to_local(event.starts_at, event.timezone), to_local(event.ends_at, event.timezone)
    if event.ends_at - event.starts_at <= timedelta(hours=24):
        return [(start, end)]
    first_day, last_day = start.date(), end.date()
    if end.timetz().replace(tzinfo=None) <= start.timetz().replace(tzinfo=None):
        if end.time() == time(0):
            last_day -= timedelta(days=1)
        days = (last_day - first_day).days + 1
        return [
            (first_day + timedelta(days=i), first_day + timedelta(days=i + 1)) for i in range(days)
        ]
    days = (last_day - first_day).days + 1
    entries: list[tuple[datetime | date, datetime | date]] = []
    for i in range(days):
        day = first_day + timedelta(days=i)
        day_start = start if i == 0 else datetime.combine(day, start.time(), tzinfo=zone)
        day_end = end if i == days - 1 else datetime.combine(day, end.time(), tzinfo=zone)
        entries.append((day_start, day_end))
    return entries


def day_uid(uid: str, day: int) -> str:
    """Day 1 keeps the plain UID, so an event that grows a second day keeps its first entry;
    later days add "-day-N" before the "@"."""
    if day == 1:
        return uid
    local, at, domain = uid.partition("@")
    return f"{local}-day-{day}{at}{domain}"


def event_vevents(event: CalendarEvent) -> list[icalendar.Event]:
    days = event_days(event)
    vevents = []
    for n, (start, end) in enumerate(days, start=1):
        v = icalendar.Event()
        v.add("uid", day_uid(event.uid, n))
        v.add("dtstamp", _utc(event.updated_at))
        v.add("dtstart", start)
        v.add("dtend", end)
        title = event.title if len(days) == 1 else f"{event.title} (day {n} of {len(days)})"
        v.add("summary", f"Cancelled: {title}" if event.cancelled else title)
        text = [event.summary] if event.summary else []
        if event.cancelled:
            text.insert(0, "This event has been cancelled.")
        text.append(event.url)
        v.add("description", "\n\n".join(text))
        if event.location:
            v.add("location", event.location)
        v.add("url", event.url)
        v.add("sequence", event.sequence)
        v.add("status", "CANCELLED" if event.cancelled else "CONFIRMED")
        v.add("last-modified", _utc(event.updated_at))
        if event.categories:
            v.add("categories", list(event.categories))
        vevents.append(v)
    return vevents


def session_vevent(session: CalendarSession) -> icalendar.Event:
    v = icalendar.Event()
    v.add("uid", session.uid)
    v.add("dtstamp", _utc(session.published_at))
    v.add("dtstart", to_local(session.starts_at, session.timezone))
    v.add("dtend", to_local(session.ends_at, session.timezone))
    v.add("summary", f"Cancelled: {session.title}" if session.cancelled else session.title)
    v.add("description", session_description(session))
    if session.location:
        v.add("location", session.location)
    v.add("url", session.url)
    v.add("sequence", session.sequence)
    v.add("status", "CANCELLED" if session.cancelled else "CONFIRMED")
    v.add("last-modified", _utc(session.published_at))
    if session.categories:
        v.add("categories", list(session.categories))
    return v


def session_description(session: CalendarSession) -> str:
    parts: list[str] = []
    if session.cancelled:
        parts.append("This session has been cancelled.")
    if session.abstract.strip():
        parts.append(session.abstract.strip())
    if session.speakers:
        parts.append("Speakers: " + "; ".join(session.speakers))
    parts.append(f"{session.event_title}\n{session.url}")
    return "\n\n".join(parts)


def session_categories(track: str, pillars: Sequence[str]) -> tuple[str, ...]:
    return tuple(([track] if track else []) + [pillar_title(p) for p in pillars])
