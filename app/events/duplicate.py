"""Copy an event to a new date: next year's conference starts from this year's set-up.

The copy is a draft with the same venue, description, ticket types and agenda — every time
moved by the same number of days, kept at the same wall-clock time across clock changes — and
nothing of the people: no registrations, bookings, seats taken or check-ins. Its sessions are
unpublished drafts with new calendar UIDs, so no calendar confuses them with the old ones.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.auth.models import User
from app.events.models import AgendaSession, Event, SessionSpeaker, SessionStatus, TicketType
from app.events.services import EARLIEST, LATEST, EventData, EventError, create_event
from app.extensions import db
from app.timeutil import to_local, to_utc


def duplicate_event(actor: User, event: Event, starts_on: date, title: str) -> Event:
    if not EARLIEST.date() <= starts_on < LATEST.date():
        raise EventError("Choose a date between 2000 and 2099.")
    tz = event.timezone
    days = (starts_on - to_local(event.starts_at, tz).date()).days

    def moved(value: datetime | None) -> datetime | None:
        if value is None:
            return None
        local = to_local(value, tz).replace(tzinfo=None) + timedelta(days=days)
        return to_utc(local, tz)

    copy = create_event(
        actor,
        EventData(
            title=title, kind=event.kind, summary=event.summary, description=event.description,
            venue_id=event.venue_id, starts_at=moved(event.starts_at), ends_at=moved(event.ends_at),
            capacity=event.capacity, registration_opens_at=moved(event.registration_opens_at),
            registration_closes_at=moved(event.registration_closes_at),
            requires_benchmark=event.requires_benchmark, pillars=list(event.pillars or []),
            host_organisation_id=event.host_organisation_id,
        ),
    )  # fmt: skip
    copy.timezone = tz
    for t in event.ticket_types:
        db.session.add(
            TicketType(
                event_id=copy.id,
                name=t.name,
                description=t.description,
                price_pence=t.price_pence,
                currency=t.currency,
                capacity=t.capacity,
                sales_start=moved(t.sales_start),
                sales_end=moved(t.sales_end),
                hidden=t.hidden,
                position=t.position,
            )  # fmt: skip
        )
    sessions = db.session.execute(
        select(AgendaSession)
        .where(AgendaSession.event_id == event.id, AgendaSession.status != SessionStatus.CANCELLED)
        .options(selectinload(AgendaSession.speaker_links))
    ).scalars()
    for s in sessions:
        new = AgendaSession(
            event_id=copy.id, title=s.title, abstract=s.abstract, kind=s.kind,
            starts_at=moved(s.starts_at), ends_at=moved(s.ends_at), room_id=s.room_id,
            track=s.track, capacity=s.capacity, pillars=list(s.pillars or []),
        )  # fmt: skip
        new.speaker_links = [
            SessionSpeaker(speaker_id=link.speaker_id, position=link.position)
            for link in s.speaker_links
        ]
        db.session.add(new)
    db.session.flush()
    return copy
