"""Registering for events: the rules (registering, paying, confirming, ending a place).

Seats and states live in `seats`, the waiting list in `waitlist`, workshop seats in
`bookings`, scheduled work and reminders in `reminders`; the names other packages use are
also importable from here.

Functions take the acting user explicitly, raise RegistrationError with a message for the
delegate, flush but never commit. Emails are outbox rows, sent after the caller commits.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from app import signals
from app.auth.membership import pending_request
from app.auth.models import Organisation, User
from app.events.models import Event, EventStatus, TicketType
from app.extensions import db
from app.registration import emails
from app.registration.bookings import (
    book_session,
    cancel_booking,
    end_booking,
    live_bookings,
    promote_session_waitlist,
    session_waitlist_position,
)
from app.registration.labels import STATUS_LABELS, status_label
from app.registration.listings import bookings_for_user, registrations_for_user
from app.registration.models import (
    ENDED,
    Registration,
)
from app.registration.seats import (
    BENCHMARK_VALID_FOR,
    BOOKED,
    HOLDING,
    LIVE,
    SESSION_WAITLISTED,
    EventFullError,
    RegistrationError,
    S,
    advance,
    claim_status,
    confirm,
    event_reminder_window,
    free_seat,
    full_message,
    has_valid_benchmark,
    hold_expiry,
    live_registration,
    log_action,
    organisations_with_valid_benchmark,
    refresh_counters,
    sold_out_as_read,
    take_seat,
)
from app.registration.waitlist import (
    admit_from_waitlist,
    promote_waitlist,
    waitlist,
    waitlist_position,
    waitlist_positions,
)
from app.timeutil import utcnow

# What other packages use, wherever it lives in this package.
__all__ = [
    "BENCHMARK_VALID_FOR",
    "BOOKED",
    "HOLDING",
    "LIVE",
    "SESSION_WAITLISTED",
    "STATUS_LABELS",
    "EventFullError",
    "RegistrationError",
    "S",
    "admit_from_waitlist",
    "book_session",
    "bookings_for_user",
    "cancel_booking",
    "cancel_registration",
    "confirm_pending_benchmark",
    "confirm_registration",
    "event_reminder_window",
    "full_message",
    "has_valid_benchmark",
    "hold_expiry",
    "issue_registration",
    "live_registration",
    "mark_paid",
    "organisations_with_valid_benchmark",
    "promote_session_waitlist",
    "promote_waitlist",
    "refund_registration",
    "register_delegate",
    "registration_closed_reason",
    "registrations_for_user",
    "release_registration",
    "session_waitlist_position",
    "sold_out_as_read",
    "status_label",
    "waitlist",
    "waitlist_position",
    "waitlist_positions",
]


# --- registering ------------------------------------------------------------------------------


def registration_closed_reason(
    event: Event, ticket_type: TicketType | None, now: datetime
) -> str | None:
    """Why nobody can register now, or None when registration is open."""
    if event.status != EventStatus.PUBLISHED:
        if event.status == EventStatus.CANCELLED:
            return "This event has been cancelled."
        return "This event is not open for registration."
    if event.starts_at <= now:
        return "This event has already started, so registration is closed."
    if event.registration_opens_at and now < event.registration_opens_at:
        return "Registration for this event has not opened yet."
    if event.registration_closes_at and now >= event.registration_closes_at:
        return "Registration for this event has closed."
    if ticket_type is not None:
        if ticket_type.event_id != event.id:
            return "That ticket type is not for this event."
        if ticket_type.hidden:
            return "That ticket type is not on sale."
        if ticket_type.sales_start and now < ticket_type.sales_start:
            return f"{ticket_type.name} tickets are not on sale yet."
        if ticket_type.sales_end and now >= ticket_type.sales_end:
            return f"{ticket_type.name} tickets are no longer on sale."
    return None


def register_delegate(
    user: User,
    event: Event,
    ticket_type: TicketType,
    *,
    now: datetime | None = None,
    join_waitlist: bool = False,
    actor: User | None = None,
    existing_checked: bool = False,
    seat_last: bool = False,
) -> Registration:
    """Register `user` for `event` with `ticket_type` (`actor`: who did it, when not `user`;
    `existing_checked`: the caller has just found no live registration of theirs, so it is not
    looked up again; the unique constraint still refuses a second one made meanwhile).

    A seat is taken at once. The registration is then pending_payment (paid ticket, seat held
    until hold_expires_at), pending_benchmark (the organisation has no benchmark from the last
    12 months) or confirmed (ticket secret issued). When no seat is left, EventFullError,
    having written nothing, unless join_waitlist: then it is waitlisted and holds no seat.

    `seat_last` (without join_waitlist): the registration, its log and its email are written
    first and the seat taken last, so that the event's row, which every registration for the
    event updates, stays locked only from that UPDATE to the caller's COMMIT. EventFullError
    then comes after those writes, and the caller must roll back.
    """
    now = now or utcnow()
    reason = registration_closed_reason(event, ticket_type, now)
    if reason:
        raise RegistrationError(reason)
    # A person waiting to join a business holds a place that waits on it, as for a business
    # without a benchmark.
    if event.requires_benchmark and user.organisation_id is None and not pending_request(user):
        raise RegistrationError(
            "Tell us which business you are from first: the benchmark is for your business."
        )
    existing = None if existing_checked else live_registration(user.id, event.id)
    if existing is not None:
        raise RegistrationError(
            f"You are already registered for {event.title} ({status_label(existing.status)})."
        )
    registration = Registration(
        event_id=event.id,
        user_id=user.id,
        ticket_type_id=ticket_type.id,
        active_user_id=user.id,
        amount_due_pence=ticket_type.price_pence,
        status=S.WAITLISTED,
        holds_seat=False,
    )
    # Asked before the seat is taken: from take_seat's UPDATE to COMMIT every other
    # registration for this event waits on its row.
    benchmark_ok = None
    if event.requires_benchmark and not ticket_type.price_pence:
        benchmark_ok = has_valid_benchmark(user.organisation_id, now)
    actor = actor or user
    detail = f"ticket type {ticket_type.name}"
    if actor.id != user.id:
        detail += f", booked by {actor.name}"
    taken = f"You are already registered for {event.title}."
    if seat_last and not join_waitlist:
        registration.holds_seat = True
        _insert(registration, event, user, ticket_type, taken)
        log_action(registration, "registered", actor, detail)
        advance(registration, actor, now, benchmark_ok)
        seated = take_seat(event.id, ticket_type.id)
        refresh_counters(event, ticket_type)
        if not seated:
            raise EventFullError(full_message(event, ticket_type))  # the caller rolls back
        return registration
    seated = take_seat(event.id, ticket_type.id)
    refresh_counters(event, ticket_type)
    if not seated and not join_waitlist:
        raise EventFullError(full_message(event, ticket_type))
    if not seated:
        registration.waitlisted_at = now
    else:
        registration.holds_seat = True
    _insert(registration, event, user, ticket_type, taken)
    log_action(registration, "registered", actor, detail)
    if seated:
        advance(registration, actor, now, benchmark_ok)
    else:
        log_action(registration, "waitlisted", actor)
        emails.send_registration_email(
            registration, "waitlisted", extra={"position": waitlist_position(registration)}
        )
    return registration


def _insert(
    registration: Registration, event: Event, user: User, ticket_type: TicketType, taken: str
) -> None:
    """Add a new registration. Two for one delegate at the same instant: the unique constraint
    on (event_id, active_user_id) lets one through; the other rolls back, seat counters
    included, and gets RegistrationError(`taken`)."""
    db.session.add(registration)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise RegistrationError(taken) from None
    registration.event, registration.user, registration.ticket_type = event, user, ticket_type


def issue_registration(
    actor: User,
    event: Event,
    ticket_type: TicketType,
    user: User,
    *,
    complimentary: bool = False,
    now: datetime | None = None,
) -> Registration:
    """An organiser registers someone (a speaker, a guest, a booking by phone): any ticket type
    of the event, hidden ones included, whether or not public registration is open, under the
    same seat guarantee as everyone else. Complimentary: nothing to pay and confirmed at once,
    without waiting for the benchmark; otherwise the usual payment and benchmark gates apply."""
    now = now or utcnow()
    if ticket_type.event_id != event.id:
        raise RegistrationError("That ticket type is not for this event.")
    if event.status == EventStatus.CANCELLED:
        raise RegistrationError("This event has been cancelled.")
    if event.ends_at <= now:
        raise RegistrationError("This event is over.")
    existing = live_registration(user.id, event.id)
    if existing is not None:
        raise RegistrationError(
            f"{user.name} is already registered for {event.title} "
            f"({status_label(existing.status)})."
        )
    if not take_seat(event.id, ticket_type.id):
        refresh_counters(event, ticket_type)
        raise EventFullError(
            f"There is no free seat for {ticket_type.name} tickets: raise the capacity or "
            "cancel someone first."
        )
    refresh_counters(event, ticket_type)
    registration = Registration(
        event_id=event.id,
        user_id=user.id,
        ticket_type_id=ticket_type.id,
        active_user_id=user.id,
        amount_due_pence=0 if complimentary else ticket_type.price_pence,
        status=S.PENDING_PAYMENT,  # moved on below, as far as its gates allow
        holds_seat=True,
    )
    _insert(
        registration,
        event,
        user,
        ticket_type,
        f"{user.name} is already registered for {event.title}.",
    )
    note = f"added by an organiser, ticket type {ticket_type.name}"
    log_action(
        registration, "registered", actor, note + (", complimentary" if complimentary else "")
    )
    if complimentary:
        confirm(registration, actor, now, "complimentary")
        db.session.flush()
    else:
        advance(registration, actor, now)
    return registration


def mark_paid(
    registration: Registration,
    actor: User | None,
    *,
    amount_pence: int,
    provider: str = "invoice",
    now: datetime | None = None,
) -> Registration:
    """Record payment. pending_payment moves on (to pending_benchmark or confirmed); calling it
    again for a registration already paid changes nothing."""
    now = now or utcnow()
    if amount_pence < 0:
        raise RegistrationError("The amount paid cannot be negative.")
    if registration.paid_at is not None:
        return registration
    if registration.status in ENDED:
        raise RegistrationError("This registration was cancelled, so it cannot be marked paid.")
    if registration.status == S.WAITLISTED:
        raise RegistrationError("This delegate is on the waiting list and holds no place yet.")
    claimed = db.session.execute(
        update(Registration)
        .where(Registration.id == registration.id, Registration.paid_at.is_(None))
        .values(
            paid_at=now,
            amount_paid_pence=amount_pence,
            marked_paid_by_id=actor.id if actor is not None and actor.is_organiser else None,
        )
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(registration)
    if claimed.rowcount != 1:
        return registration  # paid by someone else a moment ago
    log_action(registration, "paid", actor, f"{provider}: {amount_pence} pence")
    if registration.status == S.PENDING_PAYMENT:
        advance(registration, actor, now)
    elif registration.status == S.PENDING_BENCHMARK:
        registration.hold_expires_at = None  # paid: the seat is kept (rule 3)
    db.session.flush()
    return registration


def confirm_registration(
    registration: Registration, actor: User, *, now: datetime | None = None
) -> Registration:
    """An organiser confirms by hand, whatever the benchmark or payment state. A waitlisted
    delegate needs a free seat for this, like anyone else."""
    now = now or utcnow()
    if registration.status == S.CONFIRMED:
        return registration
    if registration.status in ENDED:
        raise RegistrationError("This registration is cancelled; the delegate must register again.")
    if registration.status == S.WAITLISTED:
        if not take_seat(registration.event_id, registration.ticket_type_id):
            raise EventFullError("There is no free seat: cancel someone or raise the capacity.")
        if not claim_status(registration, [S.WAITLISTED], holds_seat=True, status=S.CONFIRMED):
            free_seat(registration.event_id, registration.ticket_type_id)
            raise RegistrationError("This registration changed meanwhile; reload and try again.")
    refresh_counters(registration.event, registration.ticket_type)
    confirm(registration, actor, now, "confirmed by an organiser")
    db.session.flush()
    return registration


# --- ending a registration ---------------------------------------------------------------------


def release_registration(
    registration: Registration,
    actor: User | None,
    *,
    reason: str,
    now: datetime | None = None,
    status: str = S.CANCELLED,
    email_kind: str | None = None,
    promote: bool = True,
) -> Registration:
    """End a registration: free its seat and its workshop seats, record who and why, email the
    delegate (`email_kind` when the usual cancelled/refunded email would say too much) and hand
    the seat to the waiting list (unless `promote` is False: too late to offer it on). Ending
    one already ended changes nothing."""
    now = now or utcnow()
    if registration.status in ENDED:
        return registration
    held = registration.holds_seat
    if not claim_status(
        registration,
        [registration.status],
        status=status,
        holds_seat=False,
        active_user_id=None,
        hold_expires_at=None,
        cancelled_at=now,
        cancelled_by_id=actor.id if actor is not None else None,
    ):
        return registration  # changed by someone else meanwhile; they freed what was held
    if held:
        free_seat(registration.event_id, registration.ticket_type_id)
        refresh_counters(registration.event, registration.ticket_type)
    log_action(registration, status, actor, reason)
    for booking in live_bookings(registration.id):
        end_booking(booking, actor, now)
    emails.send_registration_email(
        registration,
        email_kind or ("refunded" if status == S.REFUNDED else "cancelled"),
        extra={"reason": reason},
    )
    db.session.flush()
    if held and promote:
        promote_waitlist(registration.event, now=now)
    return registration


def cancel_registration(
    registration: Registration, actor: User, now: datetime | None = None
) -> Registration:
    """A delegate cancels their own registration before the event; an organiser any time."""
    now = now or utcnow()
    is_owner = actor.id == registration.user_id
    if not (is_owner or actor.is_organiser):
        raise RegistrationError("You can only cancel your own registration.")
    if registration.status in ENDED:
        raise RegistrationError("This registration is already cancelled.")
    if not actor.is_organiser and registration.event.starts_at <= now:
        raise RegistrationError("The event has started; please speak to the organisers.")
    reason = "cancelled by the delegate" if is_owner else "cancelled by an organiser"
    return release_registration(registration, actor, reason=reason, now=now)


def refund_registration(
    registration: Registration, actor: User | None, now: datetime | None = None
) -> Registration:
    """Mark a registration refunded (the money itself is the payments package's job)."""
    return release_registration(registration, actor, reason="refunded", now=now, status=S.REFUNDED)


# --- the benchmark signal ---------------------------------------------------------------------


def confirm_pending_benchmark(
    organisation: Organisation, actor: User | None, now: datetime | None = None
) -> list[Registration]:
    """Confirm every registration of the organisation's delegates that waited only for the
    benchmark (payment, if any, is already done by then)."""
    now = now or utcnow()
    pending = db.session.execute(
        select(Registration)
        .join(User, User.id == Registration.user_id)
        .where(
            User.organisation_id == organisation.id,
            Registration.status == S.PENDING_BENCHMARK,
        )
        .options(
            selectinload(Registration.event),
            selectinload(Registration.user),
            selectinload(Registration.ticket_type),
        )
    ).scalars()
    confirmed = []
    for registration in list(pending):
        if claim_status(registration, [S.PENDING_BENCHMARK], status=S.CONFIRMED):
            confirm(registration, actor, now, "benchmark submitted")
            confirmed.append(registration)
    db.session.flush()
    return confirmed


def _on_benchmark_submitted(sender, **kwargs) -> None:
    confirm_pending_benchmark(sender, kwargs.get("actor"))


signals.benchmark_submitted.connect(_on_benchmark_submitted)
