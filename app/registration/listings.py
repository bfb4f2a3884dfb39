"""What a delegate's own pages list: their registrations and their workshop bookings."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.events.models import Event
from app.extensions import db
from app.registration.models import Registration, SessionBooking
from app.registration.seats import BOOKED, SESSION_WAITLISTED


def registrations_for_user(user_id: int) -> list[Registration]:
    """The delegate's registrations, newest event first, with what the tickets page shows."""
    from app.events.models import Venue  # noqa: F401  (loaded through Event.venue)

    return list(
        db.session.execute(
            select(Registration)
            .where(Registration.user_id == user_id)
            .order_by(Registration.created_at.desc(), Registration.id.desc())
            .options(
                selectinload(Registration.event).selectinload(Event.venue),
                selectinload(Registration.ticket_type),
            )
        ).scalars()
    )


def bookings_for_user(user_id: int) -> list[SessionBooking]:
    return list(
        db.session.execute(
            select(SessionBooking)
            .where(
                SessionBooking.user_id == user_id,
                SessionBooking.status.in_([BOOKED, SESSION_WAITLISTED]),
            )
            .options(selectinload(SessionBooking.session))
        ).scalars()
    )
