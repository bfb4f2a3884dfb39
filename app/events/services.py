"""Events, venues, rooms and ticket types: the rules organisers work under."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from app import signals
from app.auth.models import User
from app.events.models import Event, EventKind, EventStatus, Room, TicketType, Venue
from app.events.publishing import blocking_items
from app.extensions import db
from app.timeutil import utcnow


class EventError(ValueError):
    """An organiser's change that breaks a rule; the message says which."""


# Dates outside these bounds are typing slips (year 1, year 9999) that calendars and time
# zones cannot handle; an event longer than this is one too.
EARLIEST, LATEST = datetime(2000, 1, 1), datetime(2100, 1, 1)
LONGEST_EVENT = timedelta(days=31)


def _check_dates(*values: datetime | None) -> None:
    if any(value is not None and not EARLIEST <= value < LATEST for value in values):
        raise EventError("Dates must be between the years 2000 and 2099.")


def slugify(text: str, max_length: int = 80) -> str:
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug[:max_length].strip("-") or "event"


def unique_slug(model, base: str, exclude_id: int | None = None) -> str:
    slug, n = slugify(base), 2
    while True:
        query = select(model.id).where(model.slug == slug)
        if exclude_id is not None:
            query = query.where(model.id != exclude_id)
        if db.session.execute(query).first() is None:
            return slug
        slug = f"{slugify(base, 75)}-{n}"
        n += 1


def public_event_or_none(slug: str) -> Event | None:
    """The event as the public may see it: drafts do not exist for them."""
    # One round trip: registration pages under a burst pay for every extra one.
    event = (
        db.session.execute(
            select(Event)
            .where(Event.slug == slug)
            .options(joinedload(Event.venue), joinedload(Event.ticket_types))
        )
        .unique()
        .scalar_one_or_none()
    )
    if event is None or not event.is_public:
        return None
    return event


def upcoming_events(now: datetime | None = None) -> dict[str, list[Event]]:
    """Published events that have not ended, grouped by kind in display order."""
    now = now or utcnow()
    events = db.session.execute(
        select(Event)
        .where(Event.status == EventStatus.PUBLISHED, Event.ends_at >= now)
        .options(selectinload(Event.venue), selectinload(Event.ticket_types))
        .order_by(Event.starts_at)
    ).scalars()
    groups: dict[str, list[Event]] = {kind.value: [] for kind in EventKind}
    for event in events:
        groups.setdefault(event.kind, []).append(event)
    return groups


@dataclass
class EventData:
    title: str
    kind: str
    summary: str
    description: str
    venue_id: int | None
    starts_at: datetime  # UTC
    ends_at: datetime  # UTC
    capacity: int | None
    registration_opens_at: datetime | None
    registration_closes_at: datetime | None
    requires_benchmark: bool
    pillars: list[str]
    host_organisation_id: int | None = None
    slug: str | None = None


def _check_event(data: EventData) -> None:
    _check_dates(data.starts_at, data.ends_at, data.registration_opens_at,
                 data.registration_closes_at)  # fmt: skip
    if data.ends_at <= data.starts_at:
        raise EventError("The event must end after it starts.")
    if data.ends_at - data.starts_at > LONGEST_EVENT:
        raise EventError(f"An event can last at most {LONGEST_EVENT.days} days.")
    if data.kind not in set(EventKind):
        raise EventError("Choose a kind of event.")
    if data.capacity is not None and data.capacity < 1:
        raise EventError("Capacity must be at least 1, or left empty for no limit.")
    opens, closes = data.registration_opens_at, data.registration_closes_at
    if opens and closes and closes <= opens:
        raise EventError("Registration must close after it opens.")
    if closes and closes > data.ends_at:
        raise EventError("Registration cannot close after the event has ended.")


def create_event(actor: User, data: EventData) -> Event:
    _check_event(data)
    event = Event(status=EventStatus.DRAFT)
    _apply(event, data)
    event.slug = unique_slug(Event, data.slug or data.title)
    db.session.add(event)
    db.session.flush()
    return event


@dataclass(frozen=True)
class EventBefore:
    """When and where a published event was before a change, for the people told of it."""

    starts_at: datetime
    ends_at: datetime
    timezone: str
    location: str

    @classmethod
    def of(cls, event: Event) -> EventBefore:
        location = event.venue.full_address if event.venue is not None else ""
        return cls(event.starts_at, event.ends_at, event.timezone, location)


def _announce_change(actor: User, event: Event, change: str, before: EventBefore) -> int:
    """Bump the event's calendar SEQUENCE and tell its delegates; how many were told."""
    event.sequence = (event.sequence or 0) + 1
    db.session.flush()
    told = signals.event_changed.send(event, actor=actor, change=change, before=before)
    return sum(count or 0 for _receiver, count in told)


def update_event(actor: User, event: Event, data: EventData) -> int:
    """Save the organiser's changes. When a published event moves or changes venue, its
    delegates are emailed the new details with an updated calendar entry: returns how many."""
    _check_event(data)
    if data.capacity is not None and data.capacity < event.seats_taken:
        raise EventError(
            f"{event.seats_taken} seats are already taken; capacity cannot go below that."
        )
    before = EventBefore.of(event)
    where_and_when = (event.starts_at, event.ends_at, event.venue_id)
    _apply(event, data)
    if data.slug and data.slug != event.slug:
        event.slug = unique_slug(Event, data.slug, exclude_id=event.id)
    db.session.flush()
    moved = (event.starts_at, event.ends_at, event.venue_id) != where_and_when
    if moved and event.status == EventStatus.PUBLISHED:
        db.session.refresh(event, ["venue"])
        return _announce_change(actor, event, "rescheduled", before)
    return 0


def _apply(event: Event, data: EventData) -> None:
    for name in (
        "title", "kind", "summary", "description", "venue_id", "starts_at", "ends_at", "capacity",
        "registration_opens_at", "registration_closes_at", "requires_benchmark", "pillars",
        "host_organisation_id",
    ):  # fmt: skip
        setattr(event, name, getattr(data, name))


def set_event_status(actor: User, event: Event, status: str) -> int:
    """Publish, unpublish or cancel. Cancelling a published event emails everyone with a
    place or on the waiting list (registrations stay, for organisers to refund): returns how
    many were told."""
    if status not in set(EventStatus):
        raise EventError("Unknown status.")
    if status == EventStatus.PUBLISHED and event.status != EventStatus.PUBLISHED:
        missing = blocking_items(event)
        if missing:
            raise EventError("Not published yet: " + " ".join(item.fix for item in missing))
    was = event.status
    event.status = status
    db.session.flush()
    if was == EventStatus.PUBLISHED and status == EventStatus.CANCELLED:
        return _announce_change(actor, event, "cancelled", EventBefore.of(event))
    return 0


def create_venue(actor: User, name: str, address: str, postcode: str | None) -> Venue:
    venue = Venue(name=name.strip(), address=address.strip(), postcode=(postcode or None))
    db.session.add(venue)
    db.session.flush()
    return venue


def update_venue(actor: User, venue: Venue, name: str, address: str, postcode: str | None) -> Venue:
    venue.name, venue.address, venue.postcode = name.strip(), address.strip(), postcode or None
    db.session.flush()
    return venue


def add_room(actor: User, venue: Venue, name: str, capacity: int | None) -> Room:
    name = name.strip()
    if any(r.name.lower() == name.lower() for r in venue.rooms):
        raise EventError(f"{venue.name} already has a room called {name}.")
    if capacity is not None and capacity < 1:
        raise EventError("Room capacity must be at least 1.")
    room = Room(venue=venue, name=name, capacity=capacity, position=len(venue.rooms))
    db.session.add(room)
    db.session.flush()
    return room


@dataclass
class TicketTypeData:
    name: str
    description: str
    price_pence: int
    capacity: int | None
    sales_start: datetime | None
    sales_end: datetime | None
    hidden: bool


def _check_ticket_type(data: TicketTypeData) -> None:
    _check_dates(data.sales_start, data.sales_end)
    if data.price_pence < 0:
        raise EventError("A price cannot be negative.")
    if 0 < data.price_pence < 30:
        raise EventError("A paid ticket must cost at least £0.30 (card payment minimum).")
    if data.capacity is not None and data.capacity < 1:
        raise EventError("Capacity must be at least 1, or left empty for no limit.")
    if data.sales_start and data.sales_end and data.sales_end <= data.sales_start:
        raise EventError("Sales must end after they start.")


def create_ticket_type(actor: User, event: Event, data: TicketTypeData) -> TicketType:
    _check_ticket_type(data)
    ticket_type = TicketType(event=event, currency="GBP", position=len(event.ticket_types))
    _apply_ticket_type(ticket_type, data)
    db.session.add(ticket_type)
    db.session.flush()
    return ticket_type


def update_ticket_type(actor: User, ticket_type: TicketType, data: TicketTypeData) -> TicketType:
    _check_ticket_type(data)
    if data.capacity is not None and data.capacity < ticket_type.seats_taken:
        raise EventError(
            f"{ticket_type.seats_taken} tickets are already taken; capacity cannot go below that."
        )
    if data.price_pence != ticket_type.price_pence and ticket_type.seats_taken:
        raise EventError("The price cannot change once tickets of this type are taken.")
    _apply_ticket_type(ticket_type, data)
    db.session.flush()
    return ticket_type


def _apply_ticket_type(ticket_type: TicketType, data: TicketTypeData) -> None:
    for name in ("name", "description", "price_pence", "capacity", "sales_start", "sales_end",
                 "hidden"):  # fmt: skip
        setattr(ticket_type, name, getattr(data, name))
