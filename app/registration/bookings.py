"""Workshop seats inside an event: booking, the session's waiting list, cancelling."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from app.auth.models import User
from app.events.models import AgendaSession, SessionStatus
from app.events.published import from_row
from app.extensions import db
from app.registration import emails
from app.registration.models import (
    Registration,
    SessionBooking,
)
from app.registration.seats import (
    BOOKED,
    BOOKING_CANCELLED,
    SESSION_WAITLISTED,
    EventFullError,
    RegistrationError,
    S,
    dec_counter,
    format_when,
    inc_counter,
    live_registration,
    log_action,
    refresh_counters,
)
from app.timeutil import utcnow

# --- workshop seats inside an event -------------------------------------------------------------


def live_bookings(registration_id: int) -> list[SessionBooking]:
    return list(
        db.session.execute(
            select(SessionBooking).where(
                SessionBooking.registration_id == registration_id,
                SessionBooking.status.in_([BOOKED, SESSION_WAITLISTED]),
            )
        ).scalars()
    )


def _claim_booking(booking: SessionBooking, from_status: str, **values) -> bool:
    result = db.session.execute(
        update(SessionBooking)
        .where(SessionBooking.id == booking.id, SessionBooking.status == from_status)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(booking)
    return result.rowcount == 1


def end_booking(booking: SessionBooking, actor: User | None, now: datetime) -> None:
    was = booking.status
    if not _claim_booking(booking, was, status=BOOKING_CANCELLED, active_user_id=None):
        return
    if was == BOOKED:
        dec_counter(AgendaSession, booking.session_id)
        session = db.session.get(AgendaSession, booking.session_id)
        refresh_counters(session)
        promote_session_waitlist(session, now=now)


def book_session(
    user: User,
    agenda_session: AgendaSession,
    *,
    now: datetime | None = None,
    join_waitlist: bool = True,
) -> SessionBooking:
    """Book a seat in a capacity-limited session. Only confirmed delegates of the event; never
    two overlapping sessions; when full, the waiting list (unless join_waitlist is False)."""
    now = now or utcnow()
    published = from_row(agenda_session)
    if (
        published is None
        or not published.is_bookable
        or (agenda_session.status == SessionStatus.CANCELLED)
    ):
        raise RegistrationError("This session cannot be booked.")
    if published.starts_at <= now:
        raise RegistrationError("This session has already started.")
    registration = live_registration(user.id, agenda_session.event_id)
    if registration is None or registration.status != S.CONFIRMED:
        raise RegistrationError(
            "Only delegates with a confirmed place at the event can book workshop seats."
        )
    existing = db.session.execute(
        select(SessionBooking).where(
            SessionBooking.session_id == agenda_session.id,
            SessionBooking.active_user_id == user.id,
        )
    ).scalar_one_or_none()
    if existing is not None:
        raise RegistrationError(
            "You already have a seat in this session."
            if existing.status == BOOKED
            else "You are already on the waiting list for this session."
        )
    clash = _overlapping_booking(user.id, agenda_session, published.starts_at, published.ends_at)
    if clash is not None:
        raise RegistrationError(f"That overlaps with “{clash}”, which you have already booked.")
    seated = inc_counter(AgendaSession, agenda_session.id)
    refresh_counters(agenda_session)
    if not seated and not join_waitlist:
        raise EventFullError("This session is full.")
    booking = SessionBooking(
        session_id=agenda_session.id,
        user_id=user.id,
        registration_id=registration.id,
        status=BOOKED if seated else SESSION_WAITLISTED,
        active_user_id=user.id,
    )
    db.session.add(booking)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise RegistrationError("You already have a seat in this session.") from None
    log_action(
        registration,
        "session_booked" if seated else "session_waitlisted",
        user,
        agenda_session.title,
    )
    if seated:  # a booking confirmation, by email (through the outbox, like every email)
        emails.send_registration_email(
            registration,
            "session_confirmed",
            extra={
                "session_title": agenda_session.title,
                "session_when": format_when(agenda_session.starts_at, registration.event.timezone),
                "room": agenda_session.room.name if agenda_session.room else "",
            },
        )
    return booking


def _overlapping_booking(
    user_id: int, agenda_session: AgendaSession, starts: datetime, ends: datetime
) -> str | None:
    others = db.session.execute(
        select(AgendaSession)
        .join(SessionBooking, SessionBooking.session_id == AgendaSession.id)
        .where(
            SessionBooking.active_user_id == user_id,
            SessionBooking.status.in_([BOOKED, SESSION_WAITLISTED]),
            AgendaSession.event_id == agenda_session.event_id,
            AgendaSession.id != agenda_session.id,
        )
    ).scalars()
    for other in others:
        p = from_row(other)
        if p is not None and p.starts_at < ends and starts < p.ends_at:
            return p.title
    return None


def cancel_booking(
    user: User,
    agenda_session: AgendaSession,
    *,
    actor: User | None = None,
    now: datetime | None = None,
) -> SessionBooking:
    """Give up a workshop seat (or a place on its waiting list); the seat goes to the next in
    line."""
    now = now or utcnow()
    actor = actor or user
    if actor.id != user.id and not actor.is_organiser:
        raise RegistrationError("You can only cancel your own bookings.")
    booking = db.session.execute(
        select(SessionBooking).where(
            SessionBooking.session_id == agenda_session.id,
            SessionBooking.active_user_id == user.id,
        )
    ).scalar_one_or_none()
    if booking is None:
        raise RegistrationError("You have no booking for this session.")
    registration = db.session.get(Registration, booking.registration_id)
    end_booking(booking, actor, now)
    log_action(registration, "session_cancelled", actor, agenda_session.title)
    db.session.flush()
    return booking


def promote_session_waitlist(
    agenda_session: AgendaSession, *, now: datetime | None = None
) -> list[SessionBooking]:
    """Free seats in a session go to its waiting list in order, each with an email."""
    now = now or utcnow()
    promoted = []
    waiting = db.session.execute(
        select(SessionBooking)
        .where(
            SessionBooking.session_id == agenda_session.id,
            SessionBooking.status == SESSION_WAITLISTED,
        )
        .order_by(SessionBooking.created_at, SessionBooking.id)
    ).scalars()
    for booking in list(waiting):
        if not inc_counter(AgendaSession, agenda_session.id):
            break
        if not _claim_booking(booking, SESSION_WAITLISTED, status=BOOKED):
            dec_counter(AgendaSession, agenda_session.id)
            continue
        registration = db.session.get(Registration, booking.registration_id)
        log_action(registration, "session_promoted", None, agenda_session.title)
        emails.send_registration_email(
            registration,
            "session_booked",
            extra={
                "session_title": agenda_session.title,
                "session_when": format_when(agenda_session.starts_at, registration.event.timezone),
            },
        )
        promoted.append(booking)
    refresh_counters(agenda_session)
    return promoted


def session_waitlist_position(booking: SessionBooking) -> int | None:
    if booking.status != SESSION_WAITLISTED:
        return None
    ahead = db.session.execute(
        select(func.count(SessionBooking.id)).where(
            SessionBooking.session_id == booking.session_id,
            SessionBooking.status == SESSION_WAITLISTED,
            SessionBooking.id < booking.id,
        )
    ).scalar_one()
    return ahead + 1
