"""The version of everything the public pages show, read in one statement.

It moves whenever an organiser changes an event, its tickets, venue, speakers or published
agenda, and whenever a seat count moves. app/pagecache.py keys kept pages by it and reads it
at most once a second a process. Venues, their rooms and ticket types carry no timestamp of
their own, so an edit to one stamps the events it belongs to (below) and so moves the version
too."""

from __future__ import annotations

from sqlalchemy import event as sa_event
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from app.events.models import AgendaSession, Event, Room, Speaker, TicketType, Venue
from app.extensions import db
from app.timeutil import utcnow


def read_public_version() -> str:
    published = AgendaSession.published_at.is_not(None)

    def scalar(*columns, where=None):
        query = select(*columns)
        return (query.where(where) if where is not None else query).scalar_subquery()

    row = db.session.execute(
        select(
            scalar(func.max(Event.updated_at)),
            scalar(func.count(Event.id)),
            scalar(func.coalesce(func.sum(Event.seats_taken), 0)),
            scalar(func.count(TicketType.id)),
            scalar(func.coalesce(func.sum(TicketType.seats_taken), 0)),
            scalar(func.max(AgendaSession.published_at), where=published),
            scalar(func.count(AgendaSession.id), where=published),
            # Weighted by id, so a seat taken in one session and freed in another still counts.
            scalar(
                func.coalesce(func.sum(AgendaSession.seats_taken * AgendaSession.id), 0),
                where=published,
            ),
            scalar(func.max(Speaker.updated_at)),
            scalar(func.count(Speaker.id)),
            scalar(func.count(Venue.id)),
        )
    ).one()
    return "-".join(map(str, row))


@sa_event.listens_for(Session, "after_flush")
def _stamp_events_of_changed_venues_and_tickets(session: Session, flush_context) -> None:
    changed = [*session.new, *session.dirty, *session.deleted]
    ticket_events = {
        o.event_id
        for o in changed
        if isinstance(o, TicketType) and o.event_id and _really_changed(session, o)
    }
    venues = {
        o.id for o in changed if isinstance(o, Venue) and o.id and _really_changed(session, o)
    } | {
        o.venue_id
        for o in changed
        if isinstance(o, Room) and o.venue_id and _really_changed(session, o)
    }
    if not ticket_events and not venues:
        return
    where = Event.id.in_(ticket_events) if ticket_events else None
    if venues:
        at_venue = Event.venue_id.in_(venues)
        where = at_venue if where is None else where | at_venue
    # Within the flush, on its connection: the stamp commits (or rolls back) with the change.
    session.execute(
        update(Event).where(where).values(updated_at=utcnow()),
        execution_options={"synchronize_session": False},
    )


def _really_changed(session: Session, obj) -> bool:
    return obj in session.new or obj in session.deleted or session.is_modified(obj)
