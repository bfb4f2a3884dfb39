"""The ground rules of registering: seats and capacity, the benchmark gate, and moving a
registration through its states.

Capacity (DESIGN.md rule 1): `Event.seats_taken`, `TicketType.seats_taken` and
`AgendaSession.seats_taken` change only through the conditional UPDATEs in `take_seat`,
`free_seat` and friends, never by counting rows. A seat is taken in the event first, then in the
ticket type; if the second is full the first is given back in the same transaction. Every change
to a registration's status that takes or frees a seat first "claims" the row with a conditional
UPDATE on its current status, so two people (or a cron job and a person) acting on the same
registration at once free its seat exactly once. This holds on SQLite (one writer at a time) and
on PostgreSQL (READ COMMITTED re-checks the WHERE clause after waiting for the row lock).

Functions take the acting user explicitly, raise RegistrationError with a message for the
delegate, flush but never commit. Emails are outbox rows, sent after the caller commits.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import or_, select, update

from app.auth.models import User
from app.benchmark.models import BenchmarkResponse
from app.events.models import Event, TicketType
from app.extensions import db
from app.hosts.gate import awaits_host
from app.registration import emails
from app.registration.models import (
    Registration,
    RegistrationLog,
    RegistrationStatus,
)
from app.registration.tickets import new_ticket_secret
from app.templating import format_local
from app.timeutil import utcnow

S = RegistrationStatus
HOLDING = (S.AWAITING_HOST, S.PENDING_PAYMENT, S.PENDING_BENCHMARK, S.CONFIRMED)
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


def inc_counter(model, row_id: int) -> bool:
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


def dec_counter(model, row_id: int) -> None:
    db.session.execute(
        update(model)
        .where(model.id == row_id, model.seats_taken > 0)
        .values(seats_taken=model.seats_taken - 1)
        .execution_options(synchronize_session=False)
    )


def refresh_counters(*objects) -> None:
    for obj in objects:
        if obj is not None and obj in db.session:
            db.session.expire(obj, ["seats_taken"])


def sold_out_as_read(event: Event, ticket_type: TicketType) -> bool:
    """True when the counters this request loaded leave no seat in the event or the ticket
    type. The route refuses at once then, writing nothing; a seat that frees a moment later is
    as if the delegate had come a moment earlier. Otherwise take_seat's conditional UPDATE
    decides."""
    return event.seats_left == 0 or ticket_type.seats_left == 0


def full_message(event: Event, ticket_type: TicketType) -> str:
    return (
        f"{event.title} is full"
        + ("" if event.seats_left == 0 else f" for {ticket_type.name} tickets")
        + ". You can join the waiting list."
    )


def take_seat(event_id: int, ticket_type_id: int) -> bool:
    """One seat in the event and in the ticket type, or neither."""
    if not inc_counter(Event, event_id):
        return False
    if not inc_counter(TicketType, ticket_type_id):
        dec_counter(Event, event_id)
        return False
    return True


def free_seat(event_id: int, ticket_type_id: int) -> None:
    dec_counter(Event, event_id)
    dec_counter(TicketType, ticket_type_id)


def claim_status(registration: Registration, from_statuses, **values) -> bool:
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


def log_action(
    registration: Registration, action: str, actor: User | None, detail: str = ""
) -> None:
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


def event_reminder_window() -> timedelta:
    return timedelta(hours=current_app.config["EVENT_REMINDER_HOURS"])


def format_when(value: datetime, tz: str) -> str:
    return format_local(value, "%a %-d %b %Y, %H:%M", tz)


def advance(
    registration: Registration,
    actor: User | None,
    now: datetime,
    benchmark_ok: bool | None = None,
) -> None:
    """A registration holding a seat moves as far as its gates allow, and says so by email.
    `benchmark_ok`: has_valid_benchmark for the delegate's business, when the caller has
    already asked (registering asks before taking the seat, so as to hold the event's row
    lock for as short a time as it can)."""
    event = registration.event
    if awaits_host(registration):
        # The host decides first: the seat is held, with no deadline and no QR, until then.
        registration.status = S.AWAITING_HOST
        registration.hold_expires_at = None
        log_action(registration, "awaiting_host", actor)
        emails.send_registration_email(registration, "awaiting_host")
    elif not registration.is_paid:
        registration.status = S.PENDING_PAYMENT
        registration.hold_expires_at = registration.hold_expires_at or hold_expiry(event, now)
        log_action(registration, "pending_payment", actor)
        emails.send_registration_email(registration, "pending_payment")
    elif event.requires_benchmark and not (
        benchmark_ok
        if benchmark_ok is not None
        else has_valid_benchmark(registration.user.organisation_id, now)
    ):
        registration.status = S.PENDING_BENCHMARK
        # A registration that has been paid for keeps its seat (DESIGN.md rule 3).
        if registration.paid_at:
            registration.hold_expires_at = None
        else:
            registration.hold_expires_at = registration.hold_expires_at or hold_expiry(event, now)
        registration.reminder_sent_at = None
        log_action(registration, "pending_benchmark", actor)
        emails.send_registration_email(registration, "pending_benchmark")
    else:
        confirm(registration, actor, now)
    db.session.flush()


def confirm(registration: Registration, actor: User | None, now: datetime, detail: str = ""):
    registration.status = S.CONFIRMED
    registration.confirmed_at = now
    registration.hold_expires_at = None
    if registration.ticket_secret is None:
        registration.ticket_secret = new_ticket_secret()
    if now >= registration.event.starts_at - event_reminder_window():
        # Confirmed this close to the event: the confirmation email carries everything the
        # reminder would, so the reminder is marked done and never sent.
        registration.event_reminder_sent_at = now
    log_action(registration, "confirmed", actor, detail)
    emails.send_registration_email(registration, "confirmation")


def live_registration(user_id: int, event_id: int) -> Registration | None:
    return db.session.execute(
        select(Registration).where(
            Registration.event_id == event_id, Registration.active_user_id == user_id
        )
    ).scalar_one_or_none()
