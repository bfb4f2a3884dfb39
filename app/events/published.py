"""The public copy of the agenda.

Organisers edit AgendaSession rows freely (the draft); delegates, the public agenda and the
calendar feeds see only what was last published, stored in `AgendaSession.published`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from app.events.models import AgendaSession
from app.extensions import db

# Fields whose change on publish bumps the session's iCalendar SEQUENCE.
SCHEDULE_FIELDS = ("starts_at", "ends_at", "room_id", "status")


@dataclass(frozen=True)
class PublishedSession:
    id: int
    event_id: int
    uid: str
    title: str
    abstract: str
    kind: str
    starts_at: datetime
    ends_at: datetime
    room_id: int | None
    track: str
    capacity: int | None
    pillars: tuple[str, ...]
    status: str
    sequence: int
    speaker_ids: tuple[int, ...]
    published_at: datetime
    # Live counter of booked seats (not part of the snapshot: bookings are not edits).
    seats_taken: int = 0
    calendar_uid: str = ""

    @property
    def is_cancelled(self) -> bool:
        return self.status == "cancelled"

    @property
    def is_bookable(self) -> bool:
        return self.capacity is not None and not self.is_cancelled

    @property
    def seats_left(self) -> int | None:
        return None if self.capacity is None else max(0, self.capacity - self.seats_taken)


def snapshot(session: AgendaSession) -> dict:
    """What publishing stores: the draft's public fields, JSON-safe."""
    return {
        "title": session.title,
        "abstract": session.abstract,
        "kind": session.kind,
        "starts_at": session.starts_at.isoformat(),
        "ends_at": session.ends_at.isoformat(),
        "room_id": session.room_id,
        "track": session.track,
        "capacity": session.capacity,
        "pillars": list(session.pillars or []),
        "status": session.status,
        "speaker_ids": [link.speaker_id for link in session.speaker_links],
    }


def from_row(session: AgendaSession) -> PublishedSession | None:
    """The public copy of one row (an AgendaSession, or a result row with the same names)."""
    data = session.published
    if not data or session.published_at is None:
        return None
    return PublishedSession(
        id=session.id,
        event_id=session.event_id,
        uid=session.uid,
        title=data["title"],
        abstract=data.get("abstract", ""),
        kind=data["kind"],
        starts_at=datetime.fromisoformat(data["starts_at"]),
        ends_at=datetime.fromisoformat(data["ends_at"]),
        room_id=data.get("room_id"),
        track=data.get("track", ""),
        capacity=data.get("capacity"),
        pillars=tuple(data.get("pillars", ())),
        status=data.get("status", "scheduled"),
        sequence=session.sequence,
        speaker_ids=tuple(data.get("speaker_ids", ())),
        published_at=session.published_at,
        seats_taken=session.seats_taken or 0,
        # Only the feeds select it; other readers of the public copy do not need it.
        calendar_uid=getattr(session, "calendar_uid", ""),
    )


def published_sessions(event_id: int) -> list[PublishedSession]:
    """Every published session of an event (cancelled ones included), in time order. 1 query."""
    # Only the columns the public copy needs: no ORM objects, no draft fields.
    rows = db.session.execute(
        select(
            AgendaSession.id,
            AgendaSession.event_id,
            AgendaSession.uid,
            AgendaSession.calendar_uid,
            AgendaSession.sequence,
            AgendaSession.published,
            AgendaSession.published_at,
            AgendaSession.seats_taken,
        ).where(AgendaSession.event_id == event_id, AgendaSession.published_at.is_not(None))
    )
    sessions = [p for p in (from_row(r) for r in rows) if p is not None]
    return sorted(sessions, key=lambda s: (s.starts_at, s.room_id or 0, s.id))
