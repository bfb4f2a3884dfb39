"""The event's waiting list: who is next, and handing them free seats (first come, first
served, each through the usual payment and benchmark gates)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import selectinload

from app.auth.models import User
from app.events.models import Event
from app.extensions import db
from app.registration import emails
from app.registration.models import (
    Registration,
)
from app.registration.seats import (
    RegistrationError,
    S,
    advance,
    claim_status,
    free_seat,
    log_action,
    refresh_counters,
    take_seat,
)
from app.timeutil import utcnow


def admit_from_waitlist(
    registration: Registration, actor: User | None, *, now: datetime | None = None
) -> bool:
    """Give a waitlisted delegate a seat if one is free; True if they got it. They then pass
    through the usual gates (payment, benchmark)."""
    now = now or utcnow()
    if registration.status != S.WAITLISTED:
        raise RegistrationError("This delegate is not on the waiting list.")
    if not take_seat(registration.event_id, registration.ticket_type_id):
        return False
    # The status is set by advance below; the claim only makes sure nobody else moved it.
    if not claim_status(registration, [S.WAITLISTED], holds_seat=True, status=S.PENDING_PAYMENT):
        free_seat(registration.event_id, registration.ticket_type_id)
        return False
    refresh_counters(registration.event, registration.ticket_type)
    registration.hold_expires_at = None
    log_action(registration, "promoted", actor, "off the waiting list")
    emails.send_registration_email(registration, "promoted")
    advance(registration, actor, now)
    return True


def waitlist(event_id: int) -> list[Registration]:
    return list(
        db.session.execute(
            select(Registration)
            .where(Registration.event_id == event_id, Registration.status == S.WAITLISTED)
            .order_by(Registration.waitlisted_at, Registration.id)
            .options(
                selectinload(Registration.user),
                selectinload(Registration.ticket_type),
                selectinload(Registration.event),
            )
        ).scalars()
    )


def promote_waitlist(event: Event, *, now: datetime | None = None) -> list[Registration]:
    """Hand free seats to the waiting list, first come first served. A delegate whose ticket
    type is still full is skipped (they keep their place in line)."""
    now = now or utcnow()
    promoted = []
    for registration in waitlist(event.id):
        if not admit_from_waitlist(registration, None, now=now):
            refresh_counters(event)
            db.session.refresh(event)
            if event.seats_left == 0:
                break
            continue
        promoted.append(registration)
    return promoted


def waitlist_position(registration: Registration) -> int | None:
    """1 for the first in line; None when not waitlisted."""
    if registration.status != S.WAITLISTED:
        return None
    ahead = db.session.execute(
        select(func.count(Registration.id)).where(
            Registration.event_id == registration.event_id,
            Registration.status == S.WAITLISTED,
            or_(
                Registration.waitlisted_at < registration.waitlisted_at,
                and_(
                    Registration.waitlisted_at == registration.waitlisted_at,
                    Registration.id < registration.id,
                ),
            ),
        )
    ).scalar_one()
    return ahead + 1


def waitlist_positions(event_ids) -> dict[int, int]:
    """{registration id: position} for every waitlisted registration of these events."""
    ids = set(event_ids)
    if not ids:
        return {}
    rows = db.session.execute(
        select(Registration.id, Registration.event_id)
        .where(Registration.event_id.in_(ids), Registration.status == S.WAITLISTED)
        .order_by(Registration.waitlisted_at, Registration.id)
    ).all()
    positions: dict[int, int] = {}
    seen: dict[int, int] = {}
    for reg_id, event_id in rows:
        seen[event_id] = seen.get(event_id, 0) + 1
        positions[reg_id] = seen[event_id]
    return positions
