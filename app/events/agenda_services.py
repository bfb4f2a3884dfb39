"""The agenda: sessions placed in rooms and time, checked for clashes, published to delegates.

Organisers edit AgendaSession rows (the draft). `publish_agenda` copies the draft into the
public snapshot (app/events/published.py); delegates and calendars only ever see that copy.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from app import mail, pagecache
from app.auth.models import User
from app.converters import MAX_ID
from app.events.agenda_hours import outside_hours
from app.events.models import (
    AgendaSession,
    AgendaVersion,
    Event,
    Room,
    SessionKind,
    SessionSpeaker,
    SessionStar,
    SessionStatus,
    Speaker,
)
from app.events.published import SCHEDULE_FIELDS, PublishedSession, published_sessions, snapshot
from app.extensions import db
from app.pillars import PILLARS
from app.timeutil import to_local, utcnow

KIND_LABELS = {
    SessionKind.KEYNOTE: "Keynote",
    SessionKind.TALK: "Talk",
    SessionKind.PANEL: "Panel",
    SessionKind.WORKSHOP: "Workshop",
    SessionKind.BREAK: "Break",
    SessionKind.VISIT: "Visit",
}
MAX_SPEAKERS = 6
SLOT_MINUTES = 5  # the public grid's row height


class AgendaError(ValueError):
    """A change to the agenda that breaks a rule; the message names the problem."""


@dataclass
class SessionData:
    title: str
    kind: str
    starts_at: datetime  # naive UTC
    ends_at: datetime  # naive UTC
    room_id: int | None
    track: str = ""
    abstract: str = ""
    capacity: int | None = None
    pillars: list[str] = field(default_factory=list)
    speaker_ids: list[int] = field(default_factory=list)

    @classmethod
    def of(cls, session: AgendaSession) -> SessionData:
        return cls(
            title=session.title,
            kind=session.kind,
            starts_at=session.starts_at,
            ends_at=session.ends_at,
            room_id=session.room_id,
            track=session.track,
            abstract=session.abstract,
            capacity=session.capacity,
            pillars=list(session.pillars or []),
            speaker_ids=[link.speaker_id for link in session.speaker_links],
        )


def span(starts: datetime, ends: datetime, tz: str) -> str:
    """'Tue 15 Sep 10:00–10:45' in the event's time zone."""
    s, e = to_local(starts, tz), to_local(ends, tz)
    return f"{s:%a %-d %b %H:%M}–{e:%H:%M}"


# --- checks ---------------------------------------------------------------------------------


def check_session(
    event: Event, data: SessionData, session: AgendaSession | None = None, status: str = ""
) -> None:
    """Raise AgendaError naming the first rule the session would break. Reads, never writes."""
    tz = event.timezone
    status = status or (session.status if session else SessionStatus.SCHEDULED)
    if not data.title.strip():
        raise AgendaError("Give the session a title.")
    if len(data.title) > 200:
        raise AgendaError("The title is too long (200 characters at most).")
    if data.kind not in set(SessionKind):
        raise AgendaError("Choose a kind of session.")
    unknown = [p for p in data.pillars if p not in PILLARS]
    if unknown:
        raise AgendaError(f"Unknown theme: {unknown[0]}.")
    if data.ends_at <= data.starts_at:
        raise AgendaError(
            f"The session must end after it starts (it ends at "
            f"{to_local(data.ends_at, tz):%H:%M}, starts at {to_local(data.starts_at, tz):%H:%M})."
        )
    first, last = to_local(event.starts_at, tz).date(), to_local(event.ends_at, tz).date()
    if to_local(data.starts_at, tz).date() < first or to_local(data.ends_at, tz).date() > last:
        days = f"{first:%a %-d %b %Y}" + ("" if first == last else f" to {last:%a %-d %b %Y}")
        raise AgendaError(f"The session is outside the event's dates ({days}).")
    if data.capacity is not None and data.capacity < 1:
        raise AgendaError("Capacity must be at least 1, or empty for a session without booking.")
    taken = session.seats_taken if session is not None else 0
    if taken and (data.capacity is None or data.capacity < taken):
        raise AgendaError(f"{taken} seats are already booked; capacity cannot go below that.")
    if len(data.speaker_ids) != len(set(data.speaker_ids)):
        raise AgendaError("The same speaker is listed twice.")
    if len(data.speaker_ids) > MAX_SPEAKERS:
        raise AgendaError(f"A session can have at most {MAX_SPEAKERS} speakers.")
    room = None
    if data.room_id is not None:
        room = db.session.get(Room, data.room_id) if 0 < data.room_id <= MAX_ID else None
        if room is None or room.venue_id != event.venue_id:
            raise AgendaError("Choose one of the rooms at the event's venue.")
    speakers = {}
    if any(not 0 < speaker_id <= MAX_ID for speaker_id in data.speaker_ids):
        raise AgendaError("One of the speakers no longer exists.")
    if data.speaker_ids:
        speakers = {
            s.id: s
            for s in db.session.execute(
                select(Speaker).where(Speaker.id.in_(data.speaker_ids))
            ).scalars()
        }
        if len(speakers) != len(data.speaker_ids):
            raise AgendaError("One of the speakers no longer exists.")
    if status == SessionStatus.CANCELLED:
        return  # a cancelled session occupies no room and no speaker
    own_id = session.id if session is not None and session.id is not None else -1
    overlapping = (
        AgendaSession.status != SessionStatus.CANCELLED,
        AgendaSession.id != own_id,
        AgendaSession.starts_at < data.ends_at,
        AgendaSession.ends_at > data.starts_at,
    )
    if room is not None:
        # Rooms belong to the venue, so another event there can hold the room too.
        other = db.session.execute(
            select(AgendaSession)
            .where(AgendaSession.room_id == room.id, *overlapping)
            .options(joinedload(AgendaSession.event))
            .order_by(AgendaSession.starts_at)
            .limit(1)
        ).scalar_one_or_none()
        if other is not None:
            where = "" if other.event_id == event.id else f" of {other.event.title}"
            raise AgendaError(
                f"{room.name} is already booked at that time: “{other.title}”{where}, "
                f"{span(other.starts_at, other.ends_at, tz)}."
            )
    if speakers:
        clash = db.session.execute(
            select(SessionSpeaker.speaker_id, AgendaSession)
            .join(AgendaSession, SessionSpeaker.session_id == AgendaSession.id)
            .where(SessionSpeaker.speaker_id.in_(list(speakers)), *overlapping)
            .options(joinedload(AgendaSession.room))
            .order_by(AgendaSession.starts_at)
            .limit(1)
        ).first()
        if clash is not None:
            speaker_id, other = clash
            where = f" in {other.room.name}" if other.room else ""
            raise AgendaError(
                f"{speakers[speaker_id].name} is already speaking at that time: "
                f"“{other.title}”, {span(other.starts_at, other.ends_at, tz)}{where}."
            )


# --- editing the draft ----------------------------------------------------------------------


def _apply(session: AgendaSession, data: SessionData) -> None:
    session.title = data.title.strip()
    session.kind = data.kind
    session.starts_at, session.ends_at = data.starts_at, data.ends_at
    session.room_id = data.room_id
    session.track = data.track.strip()
    session.abstract = data.abstract.strip()
    session.capacity = data.capacity
    session.pillars = list(data.pillars)
    current = [link.speaker_id for link in session.speaker_links]
    if current != list(data.speaker_ids):
        if session.speaker_links:
            session.speaker_links.clear()
            db.session.flush()  # the old links go before the new ones (same primary keys)
        session.speaker_links.extend(
            SessionSpeaker(speaker_id=sid, position=i) for i, sid in enumerate(data.speaker_ids)
        )


def create_session(actor: User, event: Event, data: SessionData) -> AgendaSession:
    check_session(event, data)
    session = AgendaSession(event=event, status=SessionStatus.SCHEDULED)
    _apply(session, data)
    db.session.add(session)
    db.session.flush()
    return session


def update_session(actor: User, session: AgendaSession, data: SessionData) -> AgendaSession:
    check_session(session.event, data, session)
    _apply(session, data)
    db.session.flush()
    return session


def move_session(
    actor: User, session: AgendaSession, starts_at: datetime, room_id: int | None
) -> AgendaSession:
    """Drag and drop: a new start and room, the same length, inside the event's hours."""
    data = SessionData.of(session)
    data.ends_at = starts_at + (session.ends_at - session.starts_at)
    data.starts_at, data.room_id = starts_at, room_id
    _check_within_hours(session.event, data)
    return update_session(actor, session, data)


def resize_session(actor: User, session: AgendaSession, ends_at: datetime) -> AgendaSession:
    """Drag the lower edge: a new end, inside the event's hours."""
    data = SessionData.of(session)
    data.ends_at = ends_at
    if ends_at > data.starts_at:  # a backwards end gets the clearer "must end after it starts"
        _check_within_hours(session.event, data)
    return update_session(actor, session, data)


def _check_within_hours(event: Event, data: SessionData) -> None:
    reason = outside_hours(event, data.starts_at, data.ends_at)
    if reason is not None:
        raise AgendaError(reason)


def cancel_session(actor: User, session: AgendaSession) -> AgendaSession | None:
    """A session delegates have seen is cancelled (it stays visible as cancelled once
    published); one that was never published is simply removed. Returns None if removed."""
    if session.published_at is None:
        db.session.delete(session)
        db.session.flush()
        return None
    session.status = SessionStatus.CANCELLED
    db.session.flush()
    return session


def restore_session(actor: User, session: AgendaSession) -> AgendaSession:
    check_session(session.event, SessionData.of(session), session, SessionStatus.SCHEDULED)
    session.status = SessionStatus.SCHEDULED
    db.session.flush()
    return session


def draft_state(session: AgendaSession) -> str | None:
    """None when the public copy matches the draft; otherwise what publishing would do."""
    if session.published_at is None or not session.published:
        return "new"
    if session.published == snapshot(session):
        return None
    if session.status == SessionStatus.CANCELLED and session.published.get("status") != "cancelled":
        return "cancelled"
    return "changed"


def describe_changes(session: AgendaSession, rooms: dict[int, Room], tz: str) -> list[str]:
    """What changed since the last publish, in words the organiser can check."""
    before, now = session.published or {}, snapshot(session)
    if not before:
        return ["new session"]
    notes = []
    if (before["starts_at"], before["ends_at"]) != (now["starts_at"], now["ends_at"]):
        old = span(
            datetime.fromisoformat(before["starts_at"]),
            datetime.fromisoformat(before["ends_at"]),
            tz,
        )
        notes.append(f"time {old} → {span(session.starts_at, session.ends_at, tz)}")
    if before.get("room_id") != now["room_id"]:
        notes.append(
            f"room {_room_name(rooms, before.get('room_id'))} → {_room_name(rooms, now['room_id'])}"
        )
    if before.get("status") != now["status"]:
        notes.append("cancelled" if now["status"] == "cancelled" else "back on")
    for key, label in (("title", "title"), ("speaker_ids", "speakers"), ("capacity", "capacity")):
        if before.get(key) != now[key]:
            notes.append(label)
    if any(before.get(k) != now[k] for k in ("abstract", "kind", "track", "pillars")):
        notes.append("details")
    return notes


def _room_name(rooms: dict[int, Room], room_id: int | None) -> str:
    if room_id is None:
        return "no room"
    room = rooms.get(room_id)
    return room.name if room else "another room"


# --- publishing -----------------------------------------------------------------------------


@dataclass
class PublishResult:
    published: int = 0
    rescheduled: list[AgendaSession] = field(default_factory=list)
    notified: int = 0
    speakers_notified: int = 0
    version: AgendaVersion | None = None


def publish_agenda(actor: User, event: Event, now: datetime | None = None) -> PublishResult:
    """Make the draft public and record what changed as a new agenda version. Sessions whose
    time, room or status changed get a new calendar SEQUENCE, and the delegates booked on them
    and their speakers are emailed once each with every change."""
    now = now or utcnow()
    sessions = (
        db.session.execute(
            select(AgendaSession)
            .where(AgendaSession.event_id == event.id)
            .options(selectinload(AgendaSession.speaker_links))
            .order_by(AgendaSession.starts_at, AgendaSession.id)
        )
        .scalars()
        .all()
    )
    rooms = _rooms_of(sessions)
    result = PublishResult()
    previous: dict[int, dict] = {}
    changes: list[dict] = []
    for session in sessions:
        snap = snapshot(session)
        before = session.published if session.published_at is not None else None
        if before == snap:
            continue
        if before is None and session.status == SessionStatus.CANCELLED:
            continue  # never public: nothing to announce
        changes.append(
            {
                "session_id": session.id,
                "title": session.title,
                "change": _change_kind(before, snap),
                "notes": describe_changes(session, rooms, event.timezone),
            }
        )
        if before is not None and any(before.get(f) != snap[f] for f in SCHEDULE_FIELDS):
            session.sequence += 1
            result.rescheduled.append(session)
            previous[session.id] = before
        session.published = snap
        session.published_at = now
        result.published += 1
    if result.published or event.agenda_published_at is None:
        event.agenda_published_at = now
    if changes:
        result.version = _record_version(event, actor, changes, now)
    db.session.flush()
    if result.rescheduled:
        result.notified = _notify_booked_delegates(event, result.rescheduled, previous, rooms)
        result.speakers_notified = _notify_speakers(event, result.rescheduled, previous, rooms)
    return result


def _change_kind(before: dict | None, now: dict) -> str:
    if before is None:
        return "new"
    if before.get("status") != now["status"]:
        return "cancelled" if now["status"] == SessionStatus.CANCELLED else "restored"
    if any(before.get(f) != now[f] for f in SCHEDULE_FIELDS):
        return "moved"
    return "updated"


def latest_version_number(event: Event) -> int:
    """How many times the agenda has been published with changes (0: never)."""
    return (
        db.session.execute(
            select(func.max(AgendaVersion.number)).where(AgendaVersion.event_id == event.id)
        ).scalar_one()
        or 0
    )


def _record_version(event: Event, actor: User, changes: list[dict], now: datetime):
    version = AgendaVersion(
        event_id=event.id,
        number=latest_version_number(event) + 1,
        published_at=now,
        published_by_id=actor.id if actor else None,
        changes=changes,
    )
    db.session.add(version)
    return version


def agenda_versions(event: Event) -> list[AgendaVersion]:
    """The change log, newest first (1 query)."""
    return list(
        db.session.execute(
            select(AgendaVersion)
            .where(AgendaVersion.event_id == event.id)
            .order_by(AgendaVersion.number.desc())
        ).scalars()
    )


def _rooms_of(sessions: list[AgendaSession]) -> dict[int, Room]:
    """Every room these sessions are or were in (1 query)."""
    ids = {s.room_id for s in sessions} | {(s.published or {}).get("room_id") for s in sessions}
    ids.discard(None)
    if not ids:
        return {}
    return {r.id: r for r in db.session.execute(select(Room).where(Room.id.in_(ids))).scalars()}


def _notify_booked_delegates(
    event: Event, changed: list[AgendaSession], previous: dict[int, dict], rooms: dict[int, Room]
) -> int:
    from app.registration.models import EmailLog, SessionBooking

    bookings = db.session.execute(
        select(SessionBooking)
        .where(
            SessionBooking.session_id.in_([s.id for s in changed]),
            SessionBooking.status == "booked",
        )
        .options(joinedload(SessionBooking.user))
        .order_by(SessionBooking.id)
    ).scalars()
    by_user: dict[int, list[SessionBooking]] = defaultdict(list)
    for booking in bookings:
        by_user[booking.user_id].append(booking)
    if not by_user:
        return 0
    by_id = {s.id: s for s in changed}
    tz = event.timezone
    base = current_app.config["BASE_URL"]
    link = f"{base}/events/{event.slug}/agenda"
    for user_bookings in by_user.values():
        user = user_bookings[0].user
        lines = [
            _change_line(by_id[b.session_id], previous[b.session_id], rooms, tz)
            for b in user_bookings
        ]
        text = (
            f"Hello {user.name},\n\n"
            f"The agenda of {event.title} has changed for sessions you booked:\n\n"
            + "\n".join(f"- {line}" for line in lines)
            + f"\n\nThe full agenda: {link}\n"
            "Calendars subscribed to your Journey feed update by themselves.\n"
        )
        subject = f"Agenda change: {event.title}"
        mail.send(
            mail.build_message(user.email, subject, text),
            kind="agenda_change",
            user_id=user.id,
            registration_id=user_bookings[0].registration_id,
            event_id=event.id,
        )
        db.session.add(
            EmailLog(
                registration_id=user_bookings[0].registration_id,
                to=user.email,
                subject=subject,
                kind="agenda_change",
                extra={"session_ids": [b.session_id for b in user_bookings]},
            )
        )
    db.session.flush()
    return len(by_user)


def _notify_speakers(
    event: Event, changed: list[AgendaSession], previous: dict[int, dict], rooms: dict[int, Room]
) -> int:
    """Speakers with an account hear when their own sessions move or are cancelled."""
    from app.registration.models import EmailLog

    speaker_ids = {link.speaker_id for s in changed for link in s.speaker_links}
    if not speaker_ids:
        return 0
    speakers = db.session.execute(
        select(Speaker)
        .where(Speaker.id.in_(speaker_ids), Speaker.user_id.is_not(None))
        .options(joinedload(Speaker.user))
    ).scalars()
    by_speaker = {sp.id: sp for sp in speakers}
    link = f"{current_app.config['BASE_URL']}/events/{event.slug}/agenda"
    sent = 0
    for speaker in sorted(by_speaker.values(), key=lambda sp: sp.id):
        theirs = [s for s in changed if any(k.speaker_id == speaker.id for k in s.speaker_links)]
        lines = [_change_line(s, previous[s.id], rooms, event.timezone) for s in theirs]
        lines = [line.replace(" Your booking no longer applies.", "") for line in lines]
        subject = f"Your session at {event.title} has changed"
        text = (
            f"Hello {speaker.name},\n\n"
            f"The published agenda of {event.title} has changed for your sessions:\n\n"
            + "\n".join(f"- {line}" for line in lines)
            + f"\n\nThe full agenda: {link}\n"
            "Please tell the organisers at once if you cannot make the new time.\n"
        )
        mail.send(
            mail.build_message(speaker.user.email, subject, text),
            kind="speaker_agenda_change",
            user_id=speaker.user_id,
            event_id=event.id,
        )
        db.session.add(
            EmailLog(
                to=speaker.user.email,
                subject=subject,
                kind="speaker_agenda_change",
                extra={"speaker_id": speaker.id, "session_ids": [s.id for s in theirs]},
            )
        )
        sent += 1
    db.session.flush()
    return sent


def _change_line(session: AgendaSession, before: dict, rooms: dict[int, Room], tz: str) -> str:
    if session.status == SessionStatus.CANCELLED:
        return f"“{session.title}” has been cancelled. Your booking no longer applies."
    old_when = span(
        datetime.fromisoformat(before["starts_at"]), datetime.fromisoformat(before["ends_at"]), tz
    )
    old = f"{old_when}, {_room_name(rooms, before.get('room_id'))}"
    new = f"{span(session.starts_at, session.ends_at, tz)}, {_room_name(rooms, session.room_id)}"
    if before.get("status") == SessionStatus.CANCELLED:
        return f"“{session.title}” is back on: {new}."
    return f"“{session.title}” has moved: it was {old}; it is now {new}."


# --- my agenda ------------------------------------------------------------------------------


def _published_in(event: Event, session_id: int) -> AgendaSession:
    session = db.session.get(AgendaSession, session_id)
    if session is None or session.event_id != event.id or session.published_at is None:
        raise AgendaError("That session is not on the agenda of this event.")
    return session


def star_session(user: User, event: Event, session_id: int) -> SessionStar:
    session = _published_in(event, session_id)
    star = db.session.get(SessionStar, (user.id, session.id))
    if star is None:
        star = SessionStar(user_id=user.id, session_id=session.id)
        db.session.add(star)
        db.session.flush()
    return star


def unstar_session(user: User, event: Event, session_id: int) -> None:
    session = _published_in(event, session_id)
    star = db.session.get(SessionStar, (user.id, session.id))
    if star is not None:
        db.session.delete(star)
        db.session.flush()


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
