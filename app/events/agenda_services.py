"""The agenda: sessions placed in rooms and time, checked for clashes, published to delegates.

Organisers edit AgendaSession rows (the draft). `publish_agenda` (agenda_publishing.py) copies
the draft into the public snapshot (app/events/published.py); delegates and calendars only ever
see that copy, laid out by public_agenda.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app.auth.models import User
from app.converters import MAX_ID
from app.events.agenda_hours import outside_hours
from app.events.models import (
    AgendaSession,
    Event,
    Room,
    SessionKind,
    SessionSpeaker,
    SessionStar,
    SessionStatus,
    Speaker,
)
from app.events.published import snapshot
from app.extensions import db
from app.pillars import PILLARS
from app.timeutil import to_local

KIND_LABELS = {
    SessionKind.KEYNOTE: "Keynote",
    SessionKind.TALK: "Talk",
    SessionKind.PANEL: "Panel",
    SessionKind.WORKSHOP: "Workshop",
    SessionKind.BREAK: "Break",
    SessionKind.VISIT: "Visit",
}
MAX_SPEAKERS = 6


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
    """Drag and drop: a new start and room, the same length, inside the event's hours (unless
    it was outside them already)."""
    data = SessionData.of(session)
    data.ends_at = starts_at + (session.ends_at - session.starts_at)
    data.starts_at, data.room_id = starts_at, room_id
    _check_stays_within_hours(session, data)
    return update_session(actor, session, data)


def resize_session(actor: User, session: AgendaSession, ends_at: datetime) -> AgendaSession:
    """Drag the lower edge: a new end, inside the event's hours (unless it was outside them
    already)."""
    data = SessionData.of(session)
    data.ends_at = ends_at
    if ends_at > data.starts_at:  # a backwards end gets the clearer "must end after it starts"
        _check_stays_within_hours(session, data)
    return update_session(actor, session, data)


def _check_stays_within_hours(session: AgendaSession, data: SessionData) -> None:
    """A drag may not take a session out of the event's hours: that is far more often a slip
    of the mouse than a plan. One its form already put outside them (a dinner after the
    close, an early registration desk) was placed there on purpose, and may be dragged about
    there like any other; the event's dates still bound it (check_session)."""
    event = session.event
    if outside_hours(event, session.starts_at, session.ends_at) is not None:
        return
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
            f"room {room_name(rooms, before.get('room_id'))} → {room_name(rooms, now['room_id'])}"
        )
    if before.get("status") != now["status"]:
        notes.append("cancelled" if now["status"] == "cancelled" else "back on")
    for key, label in (("title", "title"), ("speaker_ids", "speakers"), ("capacity", "capacity")):
        if before.get(key) != now[key]:
            notes.append(label)
    if any(before.get(k) != now[k] for k in ("abstract", "kind", "track", "pillars")):
        notes.append("details")
    return notes


def room_name(rooms: dict[int, Room], room_id: int | None) -> str:
    if room_id is None:
        return "no room"
    room = rooms.get(room_id)
    return room.name if room else "another room"


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
