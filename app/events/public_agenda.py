"""The public agenda as delegates see it: published sessions by day, laid out on the grid."""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select

from app import pagecache
from app.auth.models import User
from app.events.models import (
    AgendaSession,
    Event,
    Room,
    SessionKind,
    SessionStar,
    Speaker,
)
from app.events.published import PublishedSession, published_sessions
from app.extensions import db
from app.pillars import PILLARS
from app.timeutil import to_local

SLOT_MINUTES = 5  # the grid's row height


# --- the public agenda ----------------------------------------------------------------------


@dataclass
class AgendaItem:
    session: PublishedSession
    room: RoomRef | None
    speakers: list[SpeakerRef]
    starts_local: datetime
    ends_local: datetime
    starred: bool = False
    booking: str | None = None  # "booked" | "waitlisted"
    row: int = 1
    rows: int = 1
    col: int = 2
    cols: int = 1


@dataclass
class AgendaDay:
    day: date
    items: list[AgendaItem]
    columns: list[str]  # room names, in venue order
    rows: int
    times: list[tuple[int, str]]  # (grid row, "09:30")


@dataclass
class PublicAgenda:
    days: list[AgendaDay]
    tracks: list[str]
    pillars: list[str]
    total: int  # sessions before filtering
    speakers: dict[int, SpeakerRef]


@dataclass(frozen=True)
class RoomRef:
    """A room as the public agenda shows it: plain values, safe to keep between requests."""

    id: int
    name: str
    capacity: int | None
    position: int


@dataclass(frozen=True)
class SpeakerRef:
    id: int
    slug: str
    name: str
    job_title: str
    organisation: str
    photo_etag: str | None


def _published_parts(
    event: Event, version: str | None
) -> tuple[list[PublishedSession], dict[int, RoomRef], dict[int, SpeakerRef]]:
    """The published sessions with their rooms and speakers (3 queries), kept per agenda
    version when one is given: every visitor of that version shares them."""
    kept = pagecache.local("agenda_parts", 64)
    key = (event.id, version)
    if version is not None and (parts := kept.get(key)) is not None:
        return parts
    sessions = published_sessions(event.id)
    room_ids = {s.room_id for s in sessions if s.room_id is not None}
    rooms = {
        r.id: RoomRef(r.id, r.name, r.capacity, r.position)
        for r in db.session.execute(
            select(Room.id, Room.name, Room.capacity, Room.position).where(Room.id.in_(room_ids))
        )
    } if room_ids else {}  # fmt: skip
    speaker_ids = {i for s in sessions for i in s.speaker_ids}
    speakers = {
        r.id: SpeakerRef(r.id, r.slug, r.name, r.job_title, r.organisation, r.photo_etag)
        for r in db.session.execute(
            select(Speaker.id, Speaker.slug, Speaker.name, Speaker.job_title,
                   Speaker.organisation, Speaker.photo_etag).where(Speaker.id.in_(speaker_ids))
        )
    } if speaker_ids else {}  # fmt: skip
    parts = (sessions, rooms, speakers)
    if version is not None:
        kept.set(key, parts)
    return parts


def public_agenda(
    event: Event,
    user: User | None = None,
    track: str = "",
    pillar: str = "",
    mine: bool = False,
    version: str | None = None,
) -> PublicAgenda:
    """The published agenda, grouped by day and laid out on a grid of rooms × 5-minute rows.
    A fixed number of queries whatever its size; none for the sessions when `version` (from
    pagecache.public_version) names one already loaded."""
    sessions, rooms, speakers = _published_parts(event, version)
    starred: set[int] = set()
    booked: dict[int, str] = {}
    if user is not None and sessions:
        # The delegate's own marks on this event's sessions: a few rows, found by the user.
        of_event = select(AgendaSession.id).where(AgendaSession.event_id == event.id)
        starred = set(
            db.session.execute(
                select(SessionStar.session_id).where(
                    SessionStar.user_id == user.id, SessionStar.session_id.in_(of_event)
                )
            ).scalars()
        )
        from app.registration.models import SessionBooking

        booked = dict(
            db.session.execute(
                select(SessionBooking.session_id, SessionBooking.status).where(
                    SessionBooking.user_id == user.id,
                    SessionBooking.session_id.in_(of_event),
                    SessionBooking.status.in_(("booked", "waitlisted")),
                )
            ).all()
        )
    tracks = sorted({s.track for s in sessions if s.track})
    pillars = [p for p in PILLARS if any(p in s.pillars for s in sessions)]

    def keep(s: PublishedSession) -> bool:
        if mine:
            return s.id in starred or s.id in booked
        if s.kind == SessionKind.BREAK:
            return True  # breaks frame every filtered view
        return (not track or s.track == track) and (not pillar or pillar in s.pillars)

    tz = event.timezone
    by_day: dict[date, list[AgendaItem]] = defaultdict(list)
    for s in sessions:
        if not keep(s):
            continue
        start, end = to_local(s.starts_at, tz), to_local(s.ends_at, tz)
        by_day[start.date()].append(
            AgendaItem(
                session=s,
                room=rooms.get(s.room_id) if s.room_id else None,
                speakers=[speakers[i] for i in s.speaker_ids if i in speakers],
                starts_local=start,
                ends_local=end,
                starred=s.id in starred,
                booking=booked.get(s.id),
            )
        )
    if mine or track or pillar:
        # A day of nothing but breaks says nothing about the filter.
        by_day = {
            d: items
            for d, items in by_day.items()
            if any(i.session.kind != SessionKind.BREAK for i in items)
        }
    days = [_lay_out(d, by_day[d]) for d in sorted(by_day)]
    return PublicAgenda(
        days=days, tracks=tracks, pillars=pillars, total=len(sessions), speakers=speakers
    )


def _lay_out(day: date, items: list[AgendaItem]) -> AgendaDay:
    """Grid placement: column 1 holds times; each room of the day gets a column; a session
    without a room spans every room, unless something else runs then (it gets its own column)."""
    used = sorted({i.room for i in items if i.room}, key=lambda r: (r.position, r.id))
    col_of = {room.id: n + 2 for n, room in enumerate(used)}
    columns = [room.name for room in used]
    roomless = [i for i in items if i.room is None]
    clashing = [
        i
        for i in roomless
        if any(
            o is not i and o.starts_local < i.ends_local and o.ends_local > i.starts_local
            for o in items
        )
    ]
    if clashing:
        columns.append("Elsewhere")
    first = min(i.starts_local for i in items)
    origin = first.replace(minute=first.minute - first.minute % 30, second=0, microsecond=0)
    slot = timedelta(minutes=SLOT_MINUTES)
    for i in items:
        i.row = int((i.starts_local - origin) / slot) + 1
        i.rows = max(1, math.ceil((i.ends_local - i.starts_local) / slot))
        if i.room is not None:
            i.col, i.cols = col_of[i.room.id], 1
        elif i in clashing:
            i.col, i.cols = len(columns) + 1, 1
        else:
            i.col, i.cols = 2, max(1, len(columns))
    rows = max(i.row + i.rows - 1 for i in items)
    per_half_hour = 30 // SLOT_MINUTES
    times = [(r, f"{origin + (r - 1) * slot:%H:%M}") for r in range(1, rows + 1, per_half_hour)]
    items.sort(key=lambda i: (i.starts_local, i.col, i.session.id))
    return AgendaDay(day=day, items=items, columns=columns or ["All rooms"], rows=rows, times=times)
