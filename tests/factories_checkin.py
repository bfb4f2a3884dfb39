"""Factories for the door: registrations in any state, door staff, bookings."""

from __future__ import annotations

import base64
import secrets

from app.auth.models import Role
from app.checkin.models import EventStaff
from app.extensions import db
from app.registration.models import Registration, SessionBooking
from app.timeutil import utcnow
from tests.factories import make_organisation, make_user


def new_secret() -> str:
    return "JRN1-" + base64.b32encode(secrets.token_bytes(20)).decode().rstrip("=")


def make_registration(event, user=None, status: str = "confirmed", **kw) -> Registration:
    """A registration row as the registration service would leave it; confirmed ones (and
    any given `ticket_secret`) carry a ticket secret."""
    if user is None:
        extra = {"name": kw.pop("name")} if "name" in kw else {}
        user = make_user(organisation=make_organisation(), **extra)
    live = status not in ("cancelled", "refunded")
    secret = kw.pop("ticket_secret", new_secret() if status == "confirmed" else None)
    reg = Registration(
        event_id=event.id,
        user_id=user.id,
        ticket_type_id=kw.pop("ticket_type_id", event.ticket_types[0].id),
        status=status,
        active_user_id=user.id if live else None,
        holds_seat=status in ("confirmed", "pending_benchmark", "pending_payment"),
        ticket_secret=secret,
        confirmed_at=utcnow() if status == "confirmed" else None,
        **kw,
    )
    db.session.add(reg)
    db.session.flush()
    return reg


def make_door_staff(*events, **kw):
    user = make_user(Role.DOOR_STAFF, **kw)
    for event in events:
        db.session.add(EventStaff(event_id=event.id, user_id=user.id))
    db.session.flush()
    return user


def make_booking(session, registration, status: str = "booked") -> SessionBooking:
    booking = SessionBooking(
        session_id=session.id,
        user_id=registration.user_id,
        registration_id=registration.id,
        status=status,
        active_user_id=registration.user_id if status != "cancelled" else None,
    )
    db.session.add(booking)
    db.session.flush()
    return booking
