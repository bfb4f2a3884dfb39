"""Factories for tests: small functions that build valid rows with sensible defaults."""

from __future__ import annotations

import itertools
import re
from datetime import datetime, timedelta

from app.auth.models import Organisation, Role, User
from app.events.models import (
    AgendaSession,
    Event,
    EventKind,
    EventStatus,
    Room,
    SessionSpeaker,
    Speaker,
    TicketType,
    Venue,
)
from app.events.published import snapshot
from app.extensions import db
from app.timeutil import utcnow

_seq = itertools.count(1)
PASSWORD = "correct horse battery"


def make_organisation(name: str | None = None, **kw) -> Organisation:
    n = next(_seq)
    org = Organisation(
        name=name or f"Test Manufacturing {n} Ltd",
        sector=kw.pop("sector", "25"),
        size_band=kw.pop("size_band", "small"),
        **kw,
    )
    db.session.add(org)
    db.session.flush()
    return org


def make_user(role: str = Role.DELEGATE, email: str | None = None, organisation=None, **kw) -> User:
    n = next(_seq)
    user = User(
        email=email or f"user{n}@example.com",
        name=kw.pop("name", f"Test User {n}"),
        role=role,
        organisation=organisation,
        email_verified_at=kw.pop("email_verified_at", utcnow()),
        **kw,
    )
    user.set_password(PASSWORD)
    db.session.add(user)
    db.session.flush()
    return user


def make_venue(rooms: int = 2) -> Venue:
    n = next(_seq)
    venue = Venue(name=f"Venue {n}", address="1 Factory Lane\nNorwich", postcode="NR1 1AA")
    venue.rooms = [Room(name=f"Room {i + 1}", capacity=50, position=i) for i in range(rooms)]
    db.session.add(venue)
    db.session.flush()
    return venue


def make_event(
    status: str = EventStatus.PUBLISHED,
    kind: str = EventKind.CONFERENCE,
    starts_in: timedelta = timedelta(days=30),
    hours: int = 8,
    starts_at: datetime | None = None,
    capacity: int | None = 100,
    price_pence: int = 0,
    ticket_capacity: int | None = None,
    requires_benchmark: bool = True,
    venue: Venue | None = None,
    **kw,
) -> Event:
    n = next(_seq)
    # `starts_at` pins the day (see tests/clock.py); otherwise 08:00 UTC `starts_in` from now.
    starts = starts_at or (utcnow() + starts_in).replace(hour=8, minute=0, second=0, microsecond=0)
    event = Event(
        slug=kw.pop("slug", f"event-{n}"),
        title=kw.pop("title", f"Event {n}"),
        kind=kind,
        status=status,
        starts_at=starts,
        ends_at=starts + timedelta(hours=hours),
        capacity=capacity,
        requires_benchmark=requires_benchmark,
        venue=venue or make_venue(),
        **kw,
    )
    event.ticket_types = [
        TicketType(name="Delegate", price_pence=price_pence, capacity=ticket_capacity)
    ]
    db.session.add(event)
    db.session.flush()
    return event


def make_speaker(name: str | None = None, **kw) -> Speaker:
    n = next(_seq)
    speaker = Speaker(slug=kw.pop("slug", f"speaker-{n}"), name=name or f"Speaker {n}", **kw)
    db.session.add(speaker)
    db.session.flush()
    return speaker


def make_session(
    event: Event,
    start_offset: timedelta = timedelta(hours=1),
    minutes: int = 45,
    room: Room | None = None,
    speakers: list[Speaker] | None = None,
    publish: bool = True,
    **kw,
) -> AgendaSession:
    n = next(_seq)
    starts = event.starts_at + start_offset
    session = AgendaSession(
        event=event,
        title=kw.pop("title", f"Session {n}"),
        starts_at=starts,
        ends_at=starts + timedelta(minutes=minutes),
        room=room if room is not None else (event.venue.rooms[0] if event.venue else None),
        **kw,
    )
    session.speaker_links = [
        SessionSpeaker(speaker=s, position=i) for i, s in enumerate(speakers or [])
    ]
    db.session.add(session)
    db.session.flush()
    if publish:
        session.published = snapshot(session)
        session.published_at = utcnow()
        db.session.flush()
    return session


def organiser() -> User:
    return make_user(Role.ORGANISER)


def login_id(user: User) -> str:
    """What Flask-Login keeps in the session cookie for `user` as if they had just signed in
    (a live server-side sign-in, committed so that requests see it)."""
    from app.auth.sessions import start_login_session

    start_login_session(user)
    db.session.commit()
    return user.get_id()


def verification_path(message) -> str:
    """The path of the confirm-your-address link in an email."""
    body = message.get_body(("plain",)).get_content()
    return re.search(r"http://localhost(/auth/verify/\S+)", body).group(1)
