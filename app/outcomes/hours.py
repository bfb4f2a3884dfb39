"""Support hours from check-in evidence.

A person's support time is the union of their attended intervals: the scheduled span of each
session they were checked in at; a door check-in at an event where they have no session
check-in counts the event's scheduled span less its breaks (each day's hours for an event
over several days). Overlaps count once. A business's hours are the sum over its people.
Hours are credited when an interval ends, so a business reaches the threshold on the (local)
date the interval that takes it there ends.

`attendance_rows` loads the evidence in two queries; everything else here is pure.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from app.auth.models import User
from app.checkin.models import CheckIn
from app.events.models import AgendaSession, Event, SessionKind, SessionStatus
from app.extensions import db
from app.outcomes.models import EventNetwork
from app.registration.models import Registration
from app.timeutil import to_local, to_utc

HOUR = timedelta(hours=1)


@dataclass
class Evidence:
    """One standing check-in and the hours it brings once overlaps are taken out."""

    checkin_id: int
    user_id: int
    person: str
    organisation_id: int
    event_id: int
    event_title: str
    network_id: int | None
    session_id: int | None
    session_title: str | None
    checked_in_at: datetime
    scanned_by: str
    event_span: tuple[datetime, datetime]
    session_span: tuple[datetime, datetime] | None
    spans: list[tuple[datetime, datetime]] = field(default_factory=list)  # credited, UTC
    hours: float = 0.0  # counted after overlaps
    note: str = ""


@dataclass
class BusinessHours:
    organisation_id: int
    hours: float  # exact; round only to show
    reached_on: date | None  # the date the threshold was reached, None if not (yet)
    people: int


@dataclass(frozen=True)
class Filters:
    starts_on: date | None = None
    ends_on: date | None = None
    network_id: int | None = None


def _day_start(day: date) -> datetime:
    return to_utc(datetime.combine(day, time()))


def attendance_rows(
    starts_on: date,
    ends_on: date,
    organisation_ids: list[int] | None = None,
    network_id: int | None = None,
) -> tuple[list[Evidence], dict[int, list[tuple[datetime, datetime]]]]:
    """Standing check-ins at events starting between two local dates (inclusive), by people
    of a business, and the breaks of those events. Two queries, whatever the numbers."""
    staff = db.aliased(User)
    query = (
        select(
            CheckIn.id,
            Registration.user_id,
            User.name,
            User.organisation_id,
            Event.id,
            Event.title,
            EventNetwork.network_id,
            CheckIn.session_id,
            AgendaSession.title,
            CheckIn.checked_in_at,
            staff.name,
            Event.starts_at,
            Event.ends_at,
            AgendaSession.starts_at,
            AgendaSession.ends_at,
        )
        .join(Registration, Registration.id == CheckIn.registration_id)
        .join(User, User.id == Registration.user_id)
        .join(Event, Event.id == CheckIn.event_id)
        .outerjoin(AgendaSession, AgendaSession.id == CheckIn.session_id)
        .outerjoin(EventNetwork, EventNetwork.event_id == Event.id)
        .outerjoin(staff, staff.id == CheckIn.staff_id)
        .where(
            CheckIn.undone_at.is_(None),
            User.organisation_id.is_not(None),
            Event.starts_at >= _day_start(starts_on),
            Event.starts_at < _day_start(ends_on + timedelta(days=1)),
        )
        .order_by(CheckIn.checked_in_at, CheckIn.id)
    )
    if organisation_ids is not None:
        query = query.where(User.organisation_id.in_(organisation_ids))
    if network_id is not None:
        query = query.where(EventNetwork.network_id == network_id)
    rows = [
        Evidence(
            *r[:10],
            scanned_by=r[10] or "",
            event_span=(r[11], r[12]),
            session_span=(r[13], r[14]) if r[7] is not None else None,
        )
        for r in db.session.execute(query)
    ]
    event_ids = {r.event_id for r in rows}
    breaks: dict[int, list[tuple[datetime, datetime]]] = defaultdict(list)
    if event_ids:
        for event_id, start, end in db.session.execute(
            select(AgendaSession.event_id, AgendaSession.starts_at, AgendaSession.ends_at).where(
                AgendaSession.event_id.in_(sorted(event_ids)),
                AgendaSession.kind == SessionKind.BREAK,
                AgendaSession.status == SessionStatus.SCHEDULED,
            )
        ):
            breaks[event_id].append((start, end))
    return rows, breaks


def daily_spans(span: tuple[datetime, datetime]) -> list[tuple[datetime, datetime]]:
    """An event over several days is scheduled from its start time to its end time on each
    day (UK time), not through the nights: 09:00 Monday to 17:00 Tuesday is two days of
    09:00-17:00. An event within one day, or ending earlier in the day than it starts, is
    taken whole."""
    start, end = to_local(span[0]), to_local(span[1])
    if start.date() == end.date() or end.time() <= start.time():
        return [span]
    days = (end.date() - start.date()).days
    return [
        (
            to_utc(datetime.combine(start.date() + timedelta(days=n), start.time())),
            to_utc(datetime.combine(start.date() + timedelta(days=n), end.time())),
        )
        for n in range(days + 1)
    ]


def subtract(
    span: tuple[datetime, datetime], holes: list[tuple[datetime, datetime]]
) -> list[tuple[datetime, datetime]]:
    """What is left of a span once the holes are cut out of it."""
    pieces = [span]
    for h_start, h_end in sorted(holes):
        cut = []
        for start, end in pieces:
            if h_end <= start or h_start >= end:
                cut.append((start, end))
                continue
            if start < h_start:
                cut.append((start, h_start))
            if h_end < end:
                cut.append((h_end, end))
        pieces = cut
    return pieces


def count_hours(
    rows: list[Evidence], breaks: dict[int, list[tuple[datetime, datetime]]]
) -> list[Evidence]:
    """Credit each row: a session check-in its session's span; a door check-in the event's
    span less breaks, unless the same person has a session check-in at that event. Then
    count each person's overlaps once. Returns the rows, changed in place."""
    with_sessions = {(r.user_id, r.event_id) for r in rows if r.session_id is not None}
    for r in rows:
        r.note = ""
        if r.session_span is not None:
            r.spans = [r.session_span]
        elif (r.user_id, r.event_id) in with_sessions:
            r.spans, r.note = [], "counted by its sessions"
        else:
            holes = breaks.get(r.event_id, [])
            r.spans = [p for day in daily_spans(r.event_span) for p in subtract(day, holes)]
    count_overlaps_once(rows)
    return rows


def count_overlaps_once(rows: list[Evidence]) -> None:
    """Each row's hours: the part of its spans not already covered by the same person's
    earlier-starting spans, so a person's hours are the length of the union."""
    by_person: dict[int, list[tuple[datetime, datetime, Evidence]]] = defaultdict(list)
    for r in rows:
        r.hours = 0.0
        for start, end in r.spans:
            by_person[r.user_id].append((start, end, r))
    for pieces in by_person.values():
        pieces.sort(key=lambda p: (p[0], p[1], p[2].checkin_id))
        covered = None
        for start, end, r in pieces:
            begin = start if covered is None else max(start, covered)
            if end > begin:
                r.hours += (end - begin) / HOUR
                if r.note == "" and begin > start:
                    r.note = "overlap counted once"
            elif r.note == "":
                r.note = "overlap counted once"
            covered = end if covered is None else max(covered, end)


def filter_rows(rows: list[Evidence], filters: Filters) -> list[Evidence]:
    """Rows of events that start in the period (local dates, inclusive) and belong to the
    network. Filter before `count_hours`, so overlaps are judged within what is counted."""

    def keep(r: Evidence) -> bool:
        if filters.network_id is not None and r.network_id != filters.network_id:
            return False
        day = to_local(r.event_span[0]).date()
        if filters.starts_on is not None and day < filters.starts_on:
            return False
        return filters.ends_on is None or day <= filters.ends_on

    return [r for r in rows if keep(r)]


def business_hours(rows: list[Evidence], threshold: float) -> dict[int, BusinessHours]:
    """Each business's hours and the date they reached `threshold` (rows already counted)."""
    credits: dict[int, list[tuple[datetime, float]]] = defaultdict(list)
    people: dict[int, set[int]] = defaultdict(set)
    for r in rows:
        people[r.organisation_id].add(r.user_id)
        if r.hours > 0:
            credits[r.organisation_id].append((max(end for _, end in r.spans), r.hours))
    out = {}
    for org_id, persons in people.items():
        total, reached = 0.0, None
        for end, hours in sorted(credits.get(org_id, [])):
            total += hours
            if reached is None and total >= threshold - 1e-9:
                reached = to_local(end).date()
        out[org_id] = BusinessHours(org_id, total, reached, len(persons))
    return out
