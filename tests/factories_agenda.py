"""Factories for the agenda: delegates booked on a session, PNG/JPEG bytes for uploads."""

from __future__ import annotations

from io import BytesIO

from PIL import Image
from sqlalchemy import select

from app.events.models import AgendaSession
from app.extensions import db
from app.registration.models import Registration, SessionBooking
from tests.factories import make_user


def make_booking(session: AgendaSession, user=None, status: str = "booked") -> SessionBooking:
    user = user or make_user()
    event = session.event
    registration = db.session.execute(
        select(Registration).where(
            Registration.event_id == event.id, Registration.active_user_id == user.id
        )
    ).scalar_one_or_none() or Registration(
        event=event,
        user=user,
        ticket_type=event.ticket_types[0],
        status="confirmed",
        active_user_id=user.id,
    )
    booking = SessionBooking(
        session=session,
        user=user,
        registration=registration,
        status=status,
        active_user_id=user.id,
    )
    db.session.add_all([registration, booking])
    db.session.flush()
    return booking


def image_bytes(size=(900, 600), fmt: str = "PNG", mode: str = "RGB") -> bytes:
    image = Image.new(mode, size, (200, 80, 40) if mode == "RGB" else (200, 80, 40, 128))
    out = BytesIO()
    image.save(out, fmt)
    return out.getvalue()
