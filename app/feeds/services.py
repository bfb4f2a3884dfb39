"""What goes into each calendar feed, loaded in a fixed number of queries, and the personal
feed's secret token.

Feeds read only the published agenda (app/events/published.py). A loader returns a `Feed` of
plain values, or None when the feed does not exist for the public (unknown, draft, revoked).
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property

from sqlalchemy import Integer, literal, select, union
from sqlalchemy.orm import joinedload

from app import pagecache
from app.auth.models import User
from app.events.models import (
    AgendaSession,
    Event,
    Room,
    SessionSpeaker,
    SessionStar,
    Speaker,
    Venue,
)
from app.events.published import PublishedSession, from_row, published_sessions
from app.extensions import db
from app.feeds import ical
from app.feeds.ical import CalendarEvent, CalendarSession
from app.registration.models import ENDED, Registration, RegistrationStatus, SessionBooking

# Bump when the builder's output changes for the same data, so cached copies are refetched.
FEED_FORMAT = 2
PERSONAL_FEED_NAME = "My Productivity Journey"
TOKEN_BYTES = 32  # 256 random bits; 43 characters in URL-safe base64
MAX_TOKEN_LENGTH = 64


@dataclass(frozen=True)
class Feed:
    name: str
    filename: str
    timezone: str
    events: tuple[CalendarEvent, ...]
    sessions: tuple[CalendarSession, ...]
    # Not part of the ETag (it is not in the body): seat counts moving the event's updated_at
    # must not make every subscriber download an unchanged calendar again.
    last_modified: datetime = field(repr=False)  # naive UTC
    description: str = ""

    @cached_property
    def etag(self) -> str:
        """Hash of everything the body is built from: equal data, equal bytes."""
        return hashlib.sha256(repr((FEED_FORMAT, self)).encode()).hexdigest()[:32]

    def to_ical(self) -> bytes:
        """The calendar's bytes. Building a big feed costs far more than loading it, and equal
        data gives equal bytes, so recent bodies are kept by ETag (per process)."""
        return pagecache.remember(pagecache.local("feed_bodies", 64), self.etag, self._build)

    def _build(self) -> bytes:
        return ical.build_calendar(
            self.name, self.timezone, self.events, self.sessions, self.description
        )


# ---- loading -------------------------------------------------------------------------------


def _public_event(slug: str) -> Event | None:
    event = db.session.execute(
        select(Event)
        .where(Event.slug == slug)
        .options(joinedload(Event.venue), joinedload(Event.host_organisation))
    ).scalar_one_or_none()
    return event if event is not None and event.is_public else None


def _rooms(room_ids: Iterable[int | None]) -> dict[int, tuple[str, str]]:
    """room id → (room name, its venue's full address). One query."""
    ids = {i for i in room_ids if i is not None}
    if not ids:
        return {}
    rows = db.session.execute(
        select(Room.id, Room.name, Venue)
        .join(Venue, Room.venue_id == Venue.id)
        .where(Room.id.in_(ids))
    )
    return {room_id: (name, venue.full_address) for room_id, name, venue in rows}


@dataclass(frozen=True)
class _SpeakerLine:
    text: str
    updated_at: datetime


def _speakers(sessions: Sequence[PublishedSession]) -> dict[int, _SpeakerLine]:
    """speaker id → "Name (job title, organisation)". One query, never the photos."""
    ids = {i for s in sessions for i in s.speaker_ids}
    if not ids:
        return {}
    rows = db.session.execute(
        select(
            Speaker.id, Speaker.name, Speaker.job_title, Speaker.organisation, Speaker.updated_at
        ).where(Speaker.id.in_(ids))
    )
    lines = {}
    for speaker_id, name, job_title, organisation, updated_at in rows:
        role = ", ".join(p for p in (job_title, organisation) if p)
        lines[speaker_id] = _SpeakerLine(f"{name} ({role})" if role else name, updated_at)
    return lines


def _session_url(base_url: str, event: Event, session_id: int) -> str:
    return f"{base_url}/events/{event.slug}/agenda#s-{session_id}"


def _calendar_sessions(
    sessions: Sequence[PublishedSession], events: dict[int, Event], base_url: str
) -> tuple[list[CalendarSession], datetime | None]:
    """Published sessions → calendar entries (2 queries: rooms, speakers)."""
    rooms = _rooms(s.room_id for s in sessions)
    speakers = _speakers(sessions)
    described = {eid: ical.describe_event(e, base_url) for eid, e in events.items()}
    entries = []
    for s in sessions:
        event = events[s.event_id]
        place = described[s.event_id].location
        if s.room_id in rooms:
            room_name, address = rooms[s.room_id]
            place = f"{room_name}, {address}" if address else room_name
        entries.append(
            CalendarSession(
                uid=s.calendar_uid,
                title=s.title,
                abstract=s.abstract,
                starts_at=s.starts_at,
                ends_at=s.ends_at,
                timezone=described[s.event_id].timezone,
                # Sessions of a cancelled event are cancelled too, so calendars drop them.
                cancelled=s.is_cancelled or described[s.event_id].cancelled,
                sequence=s.sequence,
                location=place,
                url=_session_url(base_url, event, s.id),
                event_title=event.title,
                published_at=s.published_at,
                speakers=tuple(speakers[i].text for i in s.speaker_ids if i in speakers),
                categories=ical.session_categories(s.track, s.pillars),
            )
        )
    speaker_changed = max((line.updated_at for line in speakers.values()), default=None)
    return entries, speaker_changed


def _last_modified(
    events: Iterable[Event], sessions: Iterable[PublishedSession], *extra: datetime | None
) -> datetime:
    stamps = [e.updated_at for e in events] + [e.agenda_published_at for e in events]
    stamps += [s.published_at for s in sessions] + list(extra)
    return max(s for s in stamps if s is not None)


def event_feed(slug: str, base_url: str) -> Feed | None:
    """Every published session of a public event (cancelled ones included, so that calendars
    remove them). An event with no published agenda shows as itself.

    Calendar apps poll this often, mostly for a 304: the feed is kept per public version
    (app/pagecache.py), so a repeat costs no query and no feed work within the staleness
    bound; building one costs 5."""
    key = (slug, base_url, pagecache.public_version())
    # Feed objects are immutable; kept per process.
    kept = pagecache.local("event_feeds", 256)
    feed = kept.get(key)
    if feed is None:
        event = _public_event(slug)
        if event is None:
            return None
        feed = _build_event_feed(event, base_url)
        kept.set(key, feed)
    return feed


def _build_event_feed(event: Event, base_url: str) -> Feed:
    sessions = published_sessions(event.id)
    entries, speaker_changed = _calendar_sessions(sessions, {event.id: event}, base_url)
    described = ical.describe_event(event, base_url)
    return Feed(
        name=event.title,
        filename=f"{event.slug}.ics",
        timezone=described.timezone,
        events=() if entries else (described,),
        sessions=tuple(entries),
        last_modified=_last_modified([event], sessions, speaker_changed),
        description=event.summary or "",
    )


def session_feed(slug: str, session_id: int, base_url: str) -> Feed | None:
    """One published session, only under its own public event: 4 queries, then kept per
    public version like the event's feed."""
    key = (slug, session_id, base_url, pagecache.public_version())
    kept = pagecache.local("session_feeds", 1024)
    feed = kept.get(key)
    if feed is None:
        feed = _build_session_feed(slug, session_id, base_url)
        if feed is not None:
            kept.set(key, feed)
    return feed


def _build_session_feed(slug: str, session_id: int, base_url: str) -> Feed | None:
    event = _public_event(slug)
    if event is None:
        return None
    row = db.session.execute(
        select(AgendaSession).where(
            AgendaSession.id == session_id, AgendaSession.event_id == event.id
        )
    ).scalar_one_or_none()
    published = from_row(row) if row is not None else None
    if published is None:
        return None
    entries, speaker_changed = _calendar_sessions([published], {event.id: event}, base_url)
    return Feed(
        name=published.title,
        filename=f"{event.slug}-session-{published.id}.ics",
        timezone=entries[0].timezone,
        events=(),
        sessions=tuple(entries),
        last_modified=_last_modified([], [published], event.updated_at, speaker_changed),
    )


def user_for_token(token: str) -> User | None:
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    user = db.session.execute(select(User).where(User.calendar_token == token)).scalar_one_or_none()
    return user if user is not None and user.is_active else None


def personal_feed(user: User, base_url: str) -> Feed:
    """The delegate's confirmed events, the published sessions they booked or starred, and
    those they speak at when a speaker profile is linked to their account.

    Nothing about anyone else: only public programme data selected by this user's own rows.
    7 queries, however many events and sessions.
    """
    registered_ids = set(
        db.session.execute(
            select(Registration.event_id).where(
                Registration.user_id == user.id,
                Registration.status == RegistrationStatus.CONFIRMED,
            )
        ).scalars()
    )
    booked = (
        select(SessionBooking.session_id, literal(None, Integer).label("speaker_id"))
        .join(Registration, SessionBooking.registration_id == Registration.id)
        .where(
            SessionBooking.user_id == user.id,
            SessionBooking.status == "booked",
            Registration.status.not_in(list(ENDED)),
        )
    )
    starred = select(SessionStar.session_id, literal(None, Integer).label("speaker_id")).where(
        SessionStar.user_id == user.id
    )
    # A speaker profile linked to this account: the sessions it is on, found through the
    # draft's links; the published copy decides below.
    speaking = (
        select(SessionSpeaker.session_id, SessionSpeaker.speaker_id)
        .join(Speaker, Speaker.id == SessionSpeaker.speaker_id)
        .where(Speaker.user_id == user.id)
    )
    chosen, spoken, speaker_ids = set(), set(), set()
    for session_id, speaker_id in db.session.execute(union(booked, starred, speaking)):
        if speaker_id is None:
            chosen.add(session_id)
        else:
            spoken.add(session_id)
            speaker_ids.add(speaker_id)
    rows = db.session.execute(
        select(AgendaSession).where(
            AgendaSession.id.in_(chosen | spoken), AgendaSession.published_at.is_not(None)
        )
    ).scalars()
    sessions = [
        p
        for p in (from_row(r) for r in rows)
        if p is not None and (p.id in chosen or speaker_ids.intersection(p.speaker_ids))
    ]

    wanted = registered_ids | {s.event_id for s in sessions}
    events = {}
    if wanted:
        found = db.session.execute(
            select(Event)
            .where(Event.id.in_(wanted))
            .options(joinedload(Event.venue), joinedload(Event.host_organisation))
        ).scalars()
        events = {e.id: e for e in found if e.is_public}
    sessions = sorted(
        (s for s in sessions if s.event_id in events), key=lambda s: (s.starts_at, s.id)
    )
    entries, speaker_changed = _calendar_sessions(sessions, events, base_url)
    shown_events = sorted(
        (ical.describe_event(e, base_url) for eid, e in events.items() if eid in registered_ids),
        key=lambda e: (e.starts_at, e.id),
    )
    return Feed(
        name=PERSONAL_FEED_NAME,
        filename="my-productivity-journey.ics",
        timezone=ical.LONDON,
        events=tuple(shown_events),
        sessions=tuple(entries),
        last_modified=_last_modified(events.values(), sessions, speaker_changed, user.created_at),
        description="Your events, the sessions you booked or starred, and those you speak at.",
    )


def personal_feed_for_token(token: str, base_url: str) -> Feed | None:
    user = user_for_token(token)
    return None if user is None else personal_feed(user, base_url)


# ---- the personal token --------------------------------------------------------------------


def reset_calendar_token(user: User) -> str:
    """Create the delegate's feed token, or replace it: the old URL stops working at once."""
    user.calendar_token = secrets.token_urlsafe(TOKEN_BYTES)
    db.session.flush()
    return user.calendar_token


def revoke_calendar_token(user: User) -> None:
    """Turn the personal feed off; its URL answers 404 from now on."""
    user.calendar_token = None
    db.session.flush()
