"""Events, where they happen, what is on, and who speaks."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from urllib.parse import urlsplit

from flask import current_app, has_app_context
from sqlalchemy import JSON, DateTime, ForeignKey, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models_base import created_at_column, updated_at_column
from app.timeutil import LONDON


class EventKind(enum.StrEnum):
    CONFERENCE = "conference"
    WORKSHOP = "workshop"
    SITE_VISIT = "site_visit"


class EventStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    CANCELLED = "cancelled"


class SessionKind(enum.StrEnum):
    KEYNOTE = "keynote"
    TALK = "talk"
    PANEL = "panel"
    WORKSHOP = "workshop"
    BREAK = "break"
    VISIT = "visit"


class SessionStatus(enum.StrEnum):
    SCHEDULED = "scheduled"
    CANCELLED = "cancelled"


# Calendar UIDs made before they carried the site's host end in this; they never change.
LEGACY_UID_DOMAIN = "journey"


def new_calendar_uid(prefix: str = "") -> str:
    """A calendar UID for a new entry: random, at the host of BASE_URL, so that a staging
    site and production never produce the same UID. Stored, so that it never changes."""
    host = ""
    if has_app_context():
        host = urlsplit(current_app.config.get("BASE_URL") or "").hostname or ""
    return f"{prefix}{uuid.uuid4().hex}@{host or LEGACY_UID_DOMAIN}"


class Venue(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(Text, default="")
    postcode: Mapped[str | None] = mapped_column(String(10))
    created_at: Mapped[datetime] = created_at_column()

    rooms: Mapped[list[Room]] = relationship(
        back_populates="venue", order_by="Room.position, Room.id", cascade="all, delete-orphan"
    )

    @property
    def full_address(self) -> str:
        parts = [self.name, self.address.replace("\n", ", ") if self.address else "", self.postcode]
        return ", ".join(p for p in parts if p)


class Room(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    venue_id: Mapped[int] = mapped_column(ForeignKey("venue.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    capacity: Mapped[int | None]
    position: Mapped[int] = mapped_column(default=0)

    venue: Mapped[Venue] = relationship(back_populates="rooms")

    __table_args__ = (UniqueConstraint("venue_id", "name"),)


class Event(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20), default=EventKind.CONFERENCE)
    summary: Mapped[str] = mapped_column(String(300), default="")
    description: Mapped[str] = mapped_column(Text, default="")  # Markdown, sanitised on display
    venue_id: Mapped[int | None] = mapped_column(ForeignKey("venue.id"), index=True)
    starts_at: Mapped[datetime] = mapped_column(DateTime)  # UTC
    ends_at: Mapped[datetime] = mapped_column(DateTime)  # UTC
    timezone: Mapped[str] = mapped_column(String(40), default=LONDON)
    status: Mapped[str] = mapped_column(String(20), default=EventStatus.DRAFT, index=True)
    capacity: Mapped[int | None]
    # Seats held or taken; changed only by a conditional UPDATE (DESIGN.md rule 1).
    seats_taken: Mapped[int] = mapped_column(default=0)
    registration_opens_at: Mapped[datetime | None] = mapped_column(DateTime)
    registration_closes_at: Mapped[datetime | None] = mapped_column(DateTime)
    requires_benchmark: Mapped[bool] = mapped_column(default=True)
    # Delegates may change their answers to registration questions until then (None: until
    # the event starts).
    answers_editable_until: Mapped[datetime | None] = mapped_column(DateTime)
    host_organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    pillars: Mapped[list[str]] = mapped_column(JSON, default=list)
    # When the public agenda was last published (None: never).
    agenda_published_at: Mapped[datetime | None] = mapped_column(DateTime)
    # Calendar SEQUENCE of the event's own entries: up by one when a published event moves,
    # changes venue or is cancelled, so calendars holding the emailed .ics take the change.
    sequence: Mapped[int] = mapped_column(default=0)
    # UID of the event's own calendar entry (day 2 onwards add "-day-N" before the "@").
    # Always set; nullable only so that adding it never rebuilds the table on SQLite.
    calendar_uid: Mapped[str | None] = mapped_column(
        String(255), index=True, unique=True, default=lambda: new_calendar_uid("event-")
    )
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()

    venue: Mapped[Venue | None] = relationship()
    host_organisation = relationship("Organisation")
    ticket_types: Mapped[list[TicketType]] = relationship(
        back_populates="event", order_by="TicketType.position, TicketType.id"
    )
    sessions: Mapped[list[AgendaSession]] = relationship(
        back_populates="event", order_by="AgendaSession.starts_at, AgendaSession.id"
    )

    @property
    def is_public(self) -> bool:
        return self.status in (EventStatus.PUBLISHED, EventStatus.CANCELLED)

    @property
    def seats_left(self) -> int | None:
        return None if self.capacity is None else max(0, self.capacity - self.seats_taken)

    def __repr__(self) -> str:
        return f"<Event {self.slug}>"


class TicketType(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    price_pence: Mapped[int] = mapped_column(default=0)
    currency: Mapped[str] = mapped_column(String(3), default="GBP")
    capacity: Mapped[int | None]
    seats_taken: Mapped[int] = mapped_column(default=0)
    sales_start: Mapped[datetime | None] = mapped_column(DateTime)
    sales_end: Mapped[datetime | None] = mapped_column(DateTime)
    hidden: Mapped[bool] = mapped_column(default=False)
    position: Mapped[int] = mapped_column(default=0)

    event: Mapped[Event] = relationship(back_populates="ticket_types")

    @property
    def is_free(self) -> bool:
        return self.price_pence == 0

    @property
    def seats_left(self) -> int | None:
        return None if self.capacity is None else max(0, self.capacity - self.seats_taken)


class Speaker(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    job_title: Mapped[str] = mapped_column(String(120), default="")
    organisation: Mapped[str] = mapped_column(String(200), default="")
    bio: Mapped[str] = mapped_column(Text, default="")  # Markdown, sanitised on display
    # Re-encoded JPEG; deferred so that lists of speakers never load the images.
    photo: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    photo_etag: Mapped[str | None] = mapped_column(String(64))
    links: Mapped[list[dict]] = mapped_column(JSON, default=list)  # [{"label", "url"}]
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), unique=True)
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()

    user = relationship("User")
    session_links: Mapped[list[SessionSpeaker]] = relationship(back_populates="speaker")


class AgendaSession(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id"), index=True)
    # Stable id of the session for schedule apps (their guid) and agenda.json.
    uid: Mapped[str] = mapped_column(String(64), unique=True, default=lambda: uuid.uuid4().hex)
    # Calendar UID: fixed for the life of the session, whatever else changes. Always set;
    # nullable only so that adding it never rebuilds the table on SQLite.
    calendar_uid: Mapped[str | None] = mapped_column(
        String(255), index=True, unique=True, default=new_calendar_uid
    )
    title: Mapped[str] = mapped_column(String(200))
    abstract: Mapped[str] = mapped_column(Text, default="")
    kind: Mapped[str] = mapped_column(String(20), default=SessionKind.TALK)
    starts_at: Mapped[datetime] = mapped_column(DateTime, index=True)  # UTC
    ends_at: Mapped[datetime] = mapped_column(DateTime)  # UTC
    room_id: Mapped[int | None] = mapped_column(ForeignKey("room.id"), index=True)
    track: Mapped[str] = mapped_column(String(80), default="")
    capacity: Mapped[int | None]  # set for bookable workshops
    seats_taken: Mapped[int] = mapped_column(default=0)
    pillars: Mapped[list[str]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(20), default=SessionStatus.SCHEDULED)
    # Bumped when time, room or status changes on publish (iCalendar SEQUENCE).
    sequence: Mapped[int] = mapped_column(default=0)
    # The public copy: what delegates see until the organiser publishes the draft above.
    published: Mapped[dict | None] = mapped_column(JSON)
    published_at: Mapped[datetime | None] = mapped_column(DateTime)
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()

    event: Mapped[Event] = relationship(back_populates="sessions")
    room: Mapped[Room | None] = relationship()
    speaker_links: Mapped[list[SessionSpeaker]] = relationship(
        back_populates="session", order_by="SessionSpeaker.position", cascade="all, delete-orphan"
    )

    @property
    def speakers(self) -> list[Speaker]:
        return [link.speaker for link in self.speaker_links]

    @property
    def is_bookable(self) -> bool:
        return self.capacity is not None

    @property
    def seats_left(self) -> int | None:
        return None if self.capacity is None else max(0, self.capacity - self.seats_taken)


class SessionSpeaker(db.Model):
    session_id: Mapped[int] = mapped_column(ForeignKey("agenda_session.id"), primary_key=True)
    speaker_id: Mapped[int] = mapped_column(ForeignKey("speaker.id"), primary_key=True)
    position: Mapped[int] = mapped_column(default=0)

    session: Mapped[AgendaSession] = relationship(back_populates="speaker_links")
    speaker: Mapped[Speaker] = relationship(back_populates="session_links")


class SessionStar(db.Model):
    """A session a delegate has put in "my agenda" (and their personal calendar feed)."""

    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("agenda_session.id"), primary_key=True)
    created_at: Mapped[datetime] = created_at_column()


class AgendaVersion(db.Model):
    """One publish of an event's agenda and what it changed: the public change log."""

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id"), index=True)
    number: Mapped[int]  # 1 for the first publish, then 2, 3 …
    published_at: Mapped[datetime] = mapped_column(DateTime)  # UTC
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    # [{"session_id", "title", "change": new|moved|cancelled|restored|updated, "notes": [...]}]
    changes: Mapped[list[dict]] = mapped_column(JSON, default=list)

    published_by = relationship("User")

    __table_args__ = (UniqueConstraint("event_id", "number"),)

    def changes_of(self, kind: str) -> list[dict]:
        return [c for c in self.changes if c["change"] == kind]
