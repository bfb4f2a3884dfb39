"""Registering for events and booking workshop seats: the rules.

Capacity (DESIGN.md rule 1): `Event.seats_taken`, `TicketType.seats_taken` and
`AgendaSession.seats_taken` change only through the conditional UPDATEs in `_take_seat`,
`_free_seat` and friends, never by counting rows. A seat is taken in the event first, then in the
ticket type; if the second is full the first is given back in the same transaction. Every change
to a registration's status that takes or frees a seat first "claims" the row with a conditional
UPDATE on its current status, so two people (or a cron job and a person) acting on the same
registration at once free its seat exactly once. This holds on SQLite (one writer at a time) and
on PostgreSQL (READ COMMITTED re-checks the WHERE clause after waiting for the row lock).

Functions take the acting user explicitly, raise RegistrationError with a message for the
delegate, flush but never commit. Emails go out after the caller commits (emails.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from app import signals
from app.auth.membership import pending_request
from app.auth.models import Organisation, User
from app.benchmark.models import BenchmarkResponse
from app.events.models import AgendaSession, Event, EventStatus, Room, SessionStatus, TicketType
from app.events.published import from_row
from app.extensions import db
from app.registration import emails
from app.registration.models import (
    ENDED,
    Registration,
    RegistrationLog,
    RegistrationStatus,
    SessionBooking,
)
from app.registration.tickets import new_ticket_secret
from app.timeutil import utcnow

S = RegistrationStatus
HOLDING = (S.PENDING_PAYMENT, S.PENDING_BENCHMARK, S.CONFIRMED)
LIVE = (*HOLDING, S.WAITLISTED)
BENCHMARK_VALID_FOR = timedelta(days=365)
# A paid registration still waiting for its benchmark keeps its seat; remind this often.
PAID_REMINDER_EVERY = timedelta(days=7)

BOOKED, SESSION_WAITLISTED, BOOKING_CANCELLED = "booked", "waitlisted", "cancelled"


class RegistrationError(ValueError):
    """A registration or booking request that cannot be carried out; the message says why."""


class EventFullError(RegistrationError):
    """No seat left (in the event or the ticket type); the delegate may join the waitlist."""


# --- seats -----------------------------------------------------------------------------------


def _inc(model, row_id: int) -> bool:
    result = db.session.execute(
        update(model)
        .where(
            model.id == row_id,
            or_(model.capacity.is_(None), model.seats_taken < model.capacity),
        )
        .values(seats_taken=model.seats_taken + 1)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def _dec(model, row_id: int) -> None:
    db.session.execute(
        update(model)
        .where(model.id == row_id, model.seats_taken > 0)
        .values(seats_taken=model.seats_taken - 1)
        .execution_options(synchronize_session=False)
    )


def _refresh_counters(*objects) -> None:
    for obj in objects:
        if obj is not None and obj in db.session:
            db.session.expire(obj, ["seats_taken"])


def _take_seat(event_id: int, ticket_type_id: int) -> bool:
    """One seat in the event and in the ticket type, or neither."""
    if not _inc(Event, event_id):
        return False
    if not _inc(TicketType, ticket_type_id):
        _dec(Event, event_id)
        return False
    return True


def _free_seat(event_id: int, ticket_type_id: int) -> None:
    _dec(Event, event_id)
    _dec(TicketType, ticket_type_id)


def _claim(registration: Registration, from_statuses, **values) -> bool:
    """Move the row out of one of `from_statuses` with a conditional UPDATE; False if someone
    else changed it first (the in-memory object is then refreshed)."""
    result = db.session.execute(
        update(Registration)
        .where(Registration.id == registration.id, Registration.status.in_(list(from_statuses)))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(registration)
    return result.rowcount == 1


def _log(registration: Registration, action: str, actor: User | None, detail: str = "") -> None:
    db.session.add(
        RegistrationLog(
            registration_id=registration.id,
            action=action,
            actor_id=actor.id if actor is not None else None,
            detail=detail,
        )
    )


# --- the benchmark gate -----------------------------------------------------------------------


def has_valid_benchmark(organisation_id: int | None, now: datetime | None = None) -> bool:
    """True if the organisation submitted a benchmark within the last 365 days."""
    if organisation_id is None:
        return False
    cutoff = (now or utcnow()) - BENCHMARK_VALID_FOR
    found = db.session.execute(
        select(BenchmarkResponse.id)
        .where(
            BenchmarkResponse.organisation_id == organisation_id,
            BenchmarkResponse.status == "submitted",
            BenchmarkResponse.submitted_at >= cutoff,
        )
        .limit(1)
    ).first()
    return found is not None


def organisations_with_valid_benchmark(org_ids, now: datetime | None = None) -> set[int]:
    """The subset of `org_ids` with a valid benchmark, in one query."""
    ids = {i for i in org_ids if i is not None}
    if not ids:
        return set()
    cutoff = (now or utcnow()) - BENCHMARK_VALID_FOR
    rows = db.session.execute(
        select(BenchmarkResponse.organisation_id)
        .where(
            BenchmarkResponse.organisation_id.in_(ids),
            BenchmarkResponse.status == "submitted",
            BenchmarkResponse.submitted_at >= cutoff,
        )
        .distinct()
    ).scalars()
    return set(rows)


def hold_expiry(event: Event, now: datetime) -> datetime:
    """When an unpaid or unassessed hold lapses: HOLD_DAYS on, never past the event start."""
    return min(now + timedelta(days=current_app.config["HOLD_DAYS"]), event.starts_at)


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


def live_registration(user_id: int, event_id: int) -> Registration | None:
    return db.session.execute(
        select(Registration).where(
            Registration.event_id == event_id, Registration.active_user_id == user_id
        )
    ).scalar_one_or_none()


def register_delegate(
    user: User,
    event: Event,
    ticket_type: TicketType,
    *,
    now: datetime | None = None,
    join_waitlist: bool = False,
    actor: User | None = None,
) -> Registration:
    """Register `user` for `event` with `ticket_type` (`actor`: who did it, when not `user`).

    A seat is taken at once. The registration is then pending_payment (paid ticket, seat held
    until hold_expires_at), pending_benchmark (the organisation has no benchmark from the last
    12 months) or confirmed (ticket secret issued). When no seat is left, EventFullError,
    unless join_waitlist: then it is waitlisted and holds no seat.
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
    existing = live_registration(user.id, event.id)
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
    seated = _take_seat(event.id, ticket_type.id)
    _refresh_counters(event, ticket_type)
    if not seated and not join_waitlist:
        raise EventFullError(
            f"{event.title} is full"
            + ("" if event.seats_left == 0 else f" for {ticket_type.name} tickets")
            + ". You can join the waiting list."
        )
    if not seated:
        registration.waitlisted_at = now
    else:
        registration.holds_seat = True
    _insert(
        registration, event, user, ticket_type, f"You are already registered for {event.title}."
    )
    actor = actor or user
    detail = f"ticket type {ticket_type.name}"
    if actor.id != user.id:
        detail += f", booked by {actor.name}"
    _log(registration, "registered", actor, detail)
    if seated:
        _advance(registration, actor, now)
    else:
        _log(registration, "waitlisted", actor)
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
    if not _take_seat(event.id, ticket_type.id):
        _refresh_counters(event, ticket_type)
        raise EventFullError(
            f"There is no free seat for {ticket_type.name} tickets: raise the capacity or "
            "cancel someone first."
        )
    _refresh_counters(event, ticket_type)
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
    _log(registration, "registered", actor, note + (", complimentary" if complimentary else ""))
    if complimentary:
        _confirm(registration, actor, now, "complimentary")
        db.session.flush()
    else:
        _advance(registration, actor, now)
    return registration


def _advance(registration: Registration, actor: User | None, now: datetime) -> None:
    """A registration holding a seat moves as far as its gates allow, and says so by email."""
    event = registration.event
    if not registration.is_paid:
        registration.status = S.PENDING_PAYMENT
        registration.hold_expires_at = registration.hold_expires_at or hold_expiry(event, now)
        _log(registration, "pending_payment", actor)
        emails.send_registration_email(registration, "pending_payment")
    elif event.requires_benchmark and not has_valid_benchmark(
        registration.user.organisation_id, now
    ):
        registration.status = S.PENDING_BENCHMARK
        # A registration that has been paid for keeps its seat (DESIGN.md rule 3).
        if registration.paid_at:
            registration.hold_expires_at = None
        else:
            registration.hold_expires_at = registration.hold_expires_at or hold_expiry(event, now)
        registration.reminder_sent_at = None
        _log(registration, "pending_benchmark", actor)
        emails.send_registration_email(registration, "pending_benchmark")
    else:
        _confirm(registration, actor, now)
    db.session.flush()


def _confirm(registration: Registration, actor: User | None, now: datetime, detail: str = ""):
    registration.status = S.CONFIRMED
    registration.confirmed_at = now
    registration.hold_expires_at = None
    if registration.ticket_secret is None:
        registration.ticket_secret = new_ticket_secret()
    if now >= registration.event.starts_at - event_reminder_window():
        # Confirmed this close to the event: the confirmation email carries everything the
        # reminder would, so the reminder is marked done and never sent.
        registration.event_reminder_sent_at = now
    _log(registration, "confirmed", actor, detail)
    emails.send_registration_email(registration, "confirmation")


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
    _log(registration, "paid", actor, f"{provider}: {amount_pence} pence")
    if registration.status == S.PENDING_PAYMENT:
        _advance(registration, actor, now)
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
        if not _take_seat(registration.event_id, registration.ticket_type_id):
            raise EventFullError("There is no free seat: cancel someone or raise the capacity.")
        if not _claim(registration, [S.WAITLISTED], holds_seat=True, status=S.CONFIRMED):
            _free_seat(registration.event_id, registration.ticket_type_id)
            raise RegistrationError("This registration changed meanwhile; reload and try again.")
    _refresh_counters(registration.event, registration.ticket_type)
    _confirm(registration, actor, now, "confirmed by an organiser")
    db.session.flush()
    return registration


def admit_from_waitlist(
    registration: Registration, actor: User | None, *, now: datetime | None = None
) -> bool:
    """Give a waitlisted delegate a seat if one is free; True if they got it. They then pass
    through the usual gates (payment, benchmark)."""
    now = now or utcnow()
    if registration.status != S.WAITLISTED:
        raise RegistrationError("This delegate is not on the waiting list.")
    if not _take_seat(registration.event_id, registration.ticket_type_id):
        return False
    # The status is set by _advance below; the claim only makes sure nobody else moved it.
    if not _claim(registration, [S.WAITLISTED], holds_seat=True, status=S.PENDING_PAYMENT):
        _free_seat(registration.event_id, registration.ticket_type_id)
        return False
    _refresh_counters(registration.event, registration.ticket_type)
    registration.hold_expires_at = None
    _log(registration, "promoted", actor, "off the waiting list")
    emails.send_registration_email(registration, "promoted")
    _advance(registration, actor, now)
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
            _refresh_counters(event)
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


# --- ending a registration ---------------------------------------------------------------------


def release_registration(
    registration: Registration,
    actor: User | None,
    *,
    reason: str,
    now: datetime | None = None,
    status: str = S.CANCELLED,
) -> Registration:
    """End a registration: free its seat and its workshop seats, record who and why, email the
    delegate and hand the seat to the waiting list. Ending one already ended changes nothing."""
    now = now or utcnow()
    if registration.status in ENDED:
        return registration
    held = registration.holds_seat
    if not _claim(
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
        _free_seat(registration.event_id, registration.ticket_type_id)
        _refresh_counters(registration.event, registration.ticket_type)
    _log(registration, status, actor, reason)
    for booking in _live_bookings(registration.id):
        _end_booking(booking, actor, now)
    emails.send_registration_email(
        registration,
        "refunded" if status == S.REFUNDED else "cancelled",
        extra={"reason": reason},
    )
    db.session.flush()
    if held:
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


@dataclass
class ExpirySummary:
    released: int = 0
    reminded: int = 0
    promoted: int = 0
    confirmed: int = 0
    event_reminders: int = 0

    def __str__(self) -> str:
        return (
            f"released {self.released} expired holds, sent {self.reminded} reminders, "
            f"promoted {self.promoted} from waiting lists, confirmed {self.confirmed}, "
            f"sent {self.event_reminders} event reminders"
        )


def expire_holds(now: datetime | None = None) -> ExpirySummary:
    """Release unpaid or unassessed holds that have lapsed, remind those about to lapse, and
    fill freed seats from the waiting list. Safe to run again and from several machines: every
    change is a conditional UPDATE."""
    now = now or utcnow()
    summary = ExpirySummary()
    reminder_window = timedelta(hours=current_app.config["HOLD_REMINDER_HOURS"])
    pending = db.session.execute(
        select(Registration)
        .where(
            Registration.status.in_([S.PENDING_PAYMENT, S.PENDING_BENCHMARK]),
            Registration.holds_seat.is_(True),
        )
        .options(
            selectinload(Registration.event),
            selectinload(Registration.user),
            selectinload(Registration.ticket_type),
        )
    ).scalars()
    pending = list(pending)
    valid_orgs = organisations_with_valid_benchmark(
        [r.user.organisation_id for r in pending if r.status == S.PENDING_BENCHMARK], now
    )
    for registration in pending:
        if (
            registration.status == S.PENDING_BENCHMARK
            and registration.user.organisation_id in valid_orgs
        ):
            # Submitted but missed (e.g. the benchmark was entered by an organiser): confirm.
            if _claim(registration, [S.PENDING_BENCHMARK], status=S.CONFIRMED):
                _confirm(registration, None, now, "benchmark found at hold check")
                summary.confirmed += 1
            continue
        expires = registration.hold_expires_at
        if expires is not None and expires <= now:
            before = registration.status
            release_registration(registration, None, reason="hold expired", now=now)
            if registration.status == S.CANCELLED and before != S.CANCELLED:
                summary.released += 1
            continue
        if _reminder_due(registration, now, reminder_window):
            claimed = db.session.execute(
                update(Registration)
                .where(
                    Registration.id == registration.id,
                    or_(
                        Registration.reminder_sent_at.is_(None),
                        Registration.reminder_sent_at == registration.reminder_sent_at,
                    ),
                )
                .values(reminder_sent_at=now)
                .execution_options(synchronize_session=False)
            )
            if claimed.rowcount == 1:
                db.session.refresh(registration)
                until = registration.hold_expires_at
                emails.send_registration_email(
                    registration,
                    "hold_reminder",
                    extra={
                        "until": _fmt(until, registration.event.timezone) if until else "",
                    },
                )
                summary.reminded += 1
    # Seats may be free with people waiting (capacity raised, an earlier promotion skipped).
    waiting_events = db.session.execute(
        select(Event).where(
            Event.id.in_(select(Registration.event_id).where(Registration.status == S.WAITLISTED)),
            Event.status == EventStatus.PUBLISHED,
            Event.starts_at > now,
            or_(Event.capacity.is_(None), Event.seats_taken < Event.capacity),
        )
    ).scalars()
    for event in list(waiting_events):
        summary.promoted += len(promote_waitlist(event, now=now))
    db.session.flush()
    summary.event_reminders = send_event_reminders(now)
    return summary


def _reminder_due(registration: Registration, now: datetime, window: timedelta) -> bool:
    if registration.event.starts_at <= now:
        return False
    if registration.hold_expires_at is not None:
        due = registration.hold_expires_at - window <= now
        return registration.reminder_sent_at is None and due
    # Paid, waiting for the benchmark, seat kept: a weekly nudge until the event.
    last = registration.reminder_sent_at or registration.created_at
    return last + PAID_REMINDER_EVERY <= now


def _fmt(value: datetime, tz: str) -> str:
    from app.templating import format_local

    return format_local(value, "%a %-d %b %Y, %H:%M", tz)


# --- reminders before the event -----------------------------------------------------------------

# Registrations claimed, rendered and logged per batch: a handful of statements per batch,
# whatever the number of delegates, and SQL parameter lists well inside SQLite's limit.
EVENT_REMINDER_BATCH = 500


def event_reminder_window() -> timedelta:
    return timedelta(hours=current_app.config["EVENT_REMINDER_HOURS"])


def send_event_reminders(now: datetime | None = None) -> int:
    """Email every confirmed delegate of a published event that starts within
    EVENT_REMINDER_HOURS (and has not started): their ticket, the venue, the agenda and the
    sessions they booked. Once per registration, even with cron running on several machines:
    each batch is claimed with a conditional UPDATE before anything is rendered, and only the
    rows this UPDATE changed are emailed (after COMMIT). Returns how many were emailed."""
    now = now or utcnow()
    due = db.session.execute(
        select(Registration)
        .join(Event, Event.id == Registration.event_id)
        .where(
            Registration.status == S.CONFIRMED,
            Registration.event_reminder_sent_at.is_(None),
            Event.status == EventStatus.PUBLISHED,
            Event.starts_at > now,
            Event.starts_at <= now + event_reminder_window(),
        )
        .order_by(Registration.id)
        .options(
            selectinload(Registration.event).selectinload(Event.venue),
            selectinload(Registration.user).selectinload(User.organisation),
            selectinload(Registration.ticket_type),
        )
    ).scalars()
    due = list(due)
    sent = 0
    for start in range(0, len(due), EVENT_REMINDER_BATCH):
        batch = due[start : start + EVENT_REMINDER_BATCH]
        claimed = claim_event_reminders([r.id for r in batch], now)
        mine = [r for r in batch if r.id in claimed]
        if not mine:
            continue
        sessions = _booked_sessions([r.id for r in mine])
        results = _benchmark_results_urls({r.user.organisation_id for r in mine})
        emails.send_registration_emails(
            "event_reminder",
            [(r, _event_reminder_extra(r, sessions, results)) for r in mine],
        )
        sent += len(mine)
    return sent


def claim_event_reminders(registration_ids: list[int], now: datetime) -> set[int]:
    """Mark these registrations' event reminders as sent, unless they already are (by another
    machine, or by confirmation inside the window); the ids this call marked. On PostgreSQL a
    second claimer waits for the first's row locks, then re-checks the WHERE and finds nothing."""
    if not registration_ids:
        return set()
    claimed = db.session.execute(
        update(Registration)
        .where(
            Registration.id.in_(registration_ids),
            Registration.status == S.CONFIRMED,
            Registration.event_reminder_sent_at.is_(None),
        )
        .values(event_reminder_sent_at=now)
        .returning(Registration.id)
        .execution_options(synchronize_session=False)
    ).scalars()
    return set(claimed)


@dataclass(frozen=True)
class ReminderSession:
    title: str
    when: str
    room: str


def _booked_sessions(registration_ids: list[int]) -> dict[int, list[ReminderSession]]:
    """{registration id: the published sessions it has a seat in, in time order} (2 queries).
    Sessions cancelled on the published agenda are left out."""
    rows = db.session.execute(
        select(
            SessionBooking.registration_id,
            AgendaSession.id,
            AgendaSession.event_id,
            AgendaSession.uid,
            AgendaSession.sequence,
            AgendaSession.published,
            AgendaSession.published_at,
            AgendaSession.seats_taken,
            Event.timezone,
        )
        .join(AgendaSession, AgendaSession.id == SessionBooking.session_id)
        .join(Event, Event.id == AgendaSession.event_id)
        .where(
            SessionBooking.registration_id.in_(registration_ids),
            SessionBooking.status == BOOKED,
            AgendaSession.published_at.is_not(None),
        )
    ).all()
    booked = [
        (row.registration_id, row.timezone, published)
        for row in rows
        if (published := from_row(row)) is not None and not published.is_cancelled
    ]
    room_ids = {p.room_id for _, _, p in booked if p.room_id is not None}
    rooms = (
        dict(db.session.execute(select(Room.id, Room.name).where(Room.id.in_(room_ids))).all())
        if room_ids
        else {}
    )
    by_registration: dict[int, list[ReminderSession]] = {}
    for registration_id, tz, p in sorted(booked, key=lambda b: (b[2].starts_at, b[2].id)):
        by_registration.setdefault(registration_id, []).append(
            ReminderSession(
                title=p.title,
                when=_session_when(p.starts_at, p.ends_at, tz),
                room=rooms.get(p.room_id, "") if p.room_id is not None else "",
            )
        )
    return by_registration


def _session_when(starts: datetime, ends: datetime, tz: str) -> str:
    from app.templating import format_local

    return f"{_fmt(starts, tz)}–{format_local(ends, '%H:%M', tz)}"


def _benchmark_results_urls(organisation_ids: set[int | None]) -> dict[int, str]:
    """{organisation id: the address of its latest submitted benchmark's results} (1 query)."""
    ids = {i for i in organisation_ids if i is not None}
    if not ids:
        return {}
    rows = db.session.execute(
        select(BenchmarkResponse.organisation_id, BenchmarkResponse.public_id)
        .where(
            BenchmarkResponse.organisation_id.in_(ids),
            BenchmarkResponse.status == "submitted",
        )
        .order_by(BenchmarkResponse.submitted_at, BenchmarkResponse.id)
    ).all()
    latest = dict(rows)  # later rows (newer benchmarks) win
    return {
        org_id: emails.url("benchmark.results", public_id=public_id)
        for org_id, public_id in latest.items()
    }


def _event_reminder_extra(
    registration: Registration,
    sessions: dict[int, list[ReminderSession]],
    results: dict[int, str],
) -> dict:
    event = registration.event
    return {
        "when": _fmt(event.starts_at, event.timezone),
        "agenda_url": (
            emails.url("agenda.agenda", slug=event.slug) if event.agenda_published_at else ""
        ),
        "results_url": results.get(registration.user.organisation_id, ""),
        "sessions": sessions.get(registration.id, []),
    }


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
        if _claim(registration, [S.PENDING_BENCHMARK], status=S.CONFIRMED):
            _confirm(registration, actor, now, "benchmark submitted")
            confirmed.append(registration)
    db.session.flush()
    return confirmed


def _on_benchmark_submitted(sender, **kwargs) -> None:
    confirm_pending_benchmark(sender, kwargs.get("actor"))


signals.benchmark_submitted.connect(_on_benchmark_submitted)


# --- a published event moves, changes venue or is cancelled --------------------------------------


def notify_event_change(event: Event, change: str, before, now: datetime | None = None) -> int:
    """Email everyone with a live registration (waiting list included) about the change, with
    an updated calendar entry; returns how many. For a move, the "event is soon" reminder is
    sent again before the new date, unless the new date is already inside the reminder window:
    then this email stands in for it."""
    now = now or utcnow()
    if change == "rescheduled":
        reminded = Registration.event_reminder_sent_at.is_not(None)
        if event.starts_at - now > event_reminder_window():
            values, which = {"event_reminder_sent_at": None}, reminded
        else:
            values, which = {"event_reminder_sent_at": now}, ~reminded
        db.session.execute(
            update(Registration)
            .where(Registration.event_id == event.id, which)
            .values(**values)
            .execution_options(synchronize_session="fetch")
        )
    told = list(
        db.session.execute(
            select(Registration)
            .where(Registration.event_id == event.id, Registration.status.not_in(ENDED))
            .order_by(Registration.id)
            .options(selectinload(Registration.user), selectinload(Registration.ticket_type))
        ).scalars()
    )
    kind = "event_cancelled" if change == "cancelled" else "event_changed"
    emails.send_registration_emails(
        kind,
        [(r, {"before": before, "when": _fmt(event.starts_at, event.timezone)}) for r in told],
    )
    return len(told)


def _on_event_changed(sender, **kwargs) -> int:
    return notify_event_change(sender, kwargs["change"], kwargs["before"])


signals.event_changed.connect(_on_event_changed)


# --- workshop seats inside an event -------------------------------------------------------------


def _live_bookings(registration_id: int) -> list[SessionBooking]:
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


def _end_booking(booking: SessionBooking, actor: User | None, now: datetime) -> None:
    was = booking.status
    if not _claim_booking(booking, was, status=BOOKING_CANCELLED, active_user_id=None):
        return
    if was == BOOKED:
        _dec(AgendaSession, booking.session_id)
        session = db.session.get(AgendaSession, booking.session_id)
        _refresh_counters(session)
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
    seated = _inc(AgendaSession, agenda_session.id)
    _refresh_counters(agenda_session)
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
    _log(
        registration,
        "session_booked" if seated else "session_waitlisted",
        user,
        agenda_session.title,
    )
    if seated:
        when = _fmt(agenda_session.starts_at, registration.event.timezone)
        room = agenda_session.room.name if agenda_session.room else ""
        emails.send_registration_email(
            registration,
            "session_confirmed",
            extra={"session_title": agenda_session.title, "session_when": when, "room": room},
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
    _end_booking(booking, actor, now)
    _log(registration, "session_cancelled", actor, agenda_session.title)
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
        if not _inc(AgendaSession, agenda_session.id):
            break
        if not _claim_booking(booking, SESSION_WAITLISTED, status=BOOKED):
            _dec(AgendaSession, agenda_session.id)
            continue
        registration = db.session.get(Registration, booking.registration_id)
        _log(registration, "session_promoted", None, agenda_session.title)
        emails.send_registration_email(
            registration,
            "session_booked",
            extra={
                "session_title": agenda_session.title,
                "session_when": _fmt(agenda_session.starts_at, registration.event.timezone),
            },
        )
        promoted.append(booking)
    _refresh_counters(agenda_session)
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


# --- reading ---------------------------------------------------------------------------------

STATUS_LABELS = {
    S.PENDING_PAYMENT: "awaiting payment",
    S.PENDING_BENCHMARK: "awaiting the benchmark",
    S.CONFIRMED: "confirmed",
    S.WAITLISTED: "on the waiting list",
    S.CANCELLED: "cancelled",
    S.REFUNDED: "refunded",
}


def status_label(status: str) -> str:
    return STATUS_LABELS.get(status, status)


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
