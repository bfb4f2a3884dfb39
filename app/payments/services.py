"""Card payments: Checkout attempts, and the rules every payment change shares.

Applying what Stripe says (webhooks, the delegate's return, refunds) is in settlement.py;
the revenue figures in revenue.py.

Only a verified Stripe event, or the same object fetched back from Stripe when the delegate
returns, marks a registration paid; the browser's redirect itself proves nothing. Every
change of a payment happens under a row lock on the Payment, then the Registration, in that
order, so the webhook and the delegate's return racing each other confirm once.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update

from app.auth.models import User
from app.events.models import Event, TicketType
from app.extensions import db
from app.payments import gateway
from app.payments.models import Payment
from app.registration.models import Registration, RegistrationLog, RegistrationStatus
from app.timeutil import utcnow

log = logging.getLogger(__name__)

# Stripe refuses a Checkout Session that expires sooner than 30 minutes after creation; the
# extra minute absorbs clock differences between us and Stripe.
MIN_SESSION_MINUTES = 30
SESSION_MARGIN = timedelta(minutes=1)
# The seat stays held a little beyond the session, so Stripe's "expired" event (not our own
# hold sweep) is what releases it, and a payment made in the last second is never orphaned.
HOLD_GRACE = timedelta(minutes=15)
# How long a seat waits for a delayed payment method (Bacs takes about 3 working days).
DELAYED_HOLD = timedelta(days=7)
# An open session with less time left than this is closed and a fresh one started.
REUSE_MIN_LEFT = timedelta(minutes=10)

OPEN, PAID, EXPIRED, REFUNDED = "open", "paid", "expired", "refunded"
# Paid for a seat no longer waiting: to be refunded at Stripe once no lock is held.
REFUND_DUE = "refund_due"
# A delayed method (Bacs) completed the session: the money is on its way, the seat held.
PROCESSING = "processing"


class PaymentError(ValueError):
    """A payment action that cannot be done; the message is for the user."""


class DuplicateEventError(Exception):
    """The webhook event was already processed (a replay, or a retry racing the first)."""


# --- locking -------------------------------------------------------------------------------


def lock_row(model, row_id: int):
    """Re-read a row under a lock held until commit (SELECT ... FOR UPDATE).

    SQLite has no row locks: there a no-op write first takes the database's write lock,
    which serialises this transaction with every other writer in the same way.
    """
    if db.session.get_bind().dialect.name == "sqlite":
        db.session.execute(
            update(model)
            .where(model.id == row_id)
            .values(id=model.id)
            .execution_options(synchronize_session=False)
        )
    return db.session.execute(
        select(model)
        .where(model.id == row_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one()


def log_action(registration_id: int, action: str, detail: str, actor: User | None = None) -> None:
    db.session.add(
        RegistrationLog(
            registration_id=registration_id,
            action=action,
            actor_id=actor.id if actor else None,
            detail=detail[:2000],
        )
    )


# --- checkout ------------------------------------------------------------------------------


def paying_by_bank(registration_ids: set[int]) -> set[int]:
    """Those of these registrations whose delayed payment (Bacs) is on its way (1 query)."""
    return set(
        db.session.execute(
            select(Payment.registration_id).where(
                Payment.registration_id.in_(registration_ids), Payment.status == PROCESSING
            )
        ).scalars()
    )


def processing_payment(registration_id: int) -> Payment | None:
    """The delayed payment (Bacs) this registration is waiting for, if any."""
    return (
        db.session.execute(
            select(Payment).where(
                Payment.registration_id == registration_id, Payment.status == PROCESSING
            )
        )
        .scalars()
        .first()
    )


def latest_payment(registration_id: int) -> Payment | None:
    return db.session.execute(
        select(Payment)
        .where(Payment.registration_id == registration_id)
        .order_by(Payment.id.desc())
        .limit(1)
    ).scalar_one_or_none()


@dataclass(frozen=True)
class CheckoutPlan:
    """What prepare_checkout decided, for open_checkout to carry out after the commit."""

    payment_id: int
    ready: bool  # an open Stripe session with time left: send the delegate there
    stale_session_ids: tuple[str, ...] = ()  # sessions to close at Stripe first


def prepare_checkout(
    registration: Registration,
    actor: User,
    *,
    session_minutes: int = MIN_SESSION_MINUTES,
    now: datetime | None = None,
) -> CheckoutPlan:
    """Step 1 of 2, under row locks and without calling Stripe: check that the registration
    awaits payment and reserve the attempt (a Payment with its idempotency key and expiry).
    The caller commits, which releases the locks, before open_checkout talks to Stripe.

    A second click while an attempt is reserved but not yet at Stripe reuses that attempt:
    the same idempotency key gets the same Checkout Session back from Stripe.
    """
    now = now or utcnow()
    if actor.id != registration.user_id:
        raise PaymentError("This registration belongs to someone else.")
    # Same lock order as the webhook: the payments first, then the registration.
    open_attempts = (Payment.registration_id == registration.id, Payment.status == OPEN)
    db.session.execute(select(Payment.id).where(*open_attempts).with_for_update())
    registration = lock_row(Registration, registration.id)
    if registration.status != RegistrationStatus.PENDING_PAYMENT or not registration.holds_seat:
        raise PaymentError("This registration is not waiting for a payment.")
    if registration.amount_due_pence <= 0 or registration.paid_at is not None:
        raise PaymentError("There is nothing to pay for this registration.")
    if registration.hold_expires_at is not None and registration.hold_expires_at <= now:
        raise PaymentError("Your seat is no longer held. Please register again.")
    if processing_payment(registration.id) is not None:
        # Paying again by card would take the money twice.
        raise PaymentError("Your bank payment is on its way: your seat is held until it arrives.")

    current = list(
        db.session.execute(
            select(Payment)
            .where(*open_attempts)
            .order_by(Payment.id.desc())
            .execution_options(populate_existing=True)
        ).scalars()
    )
    reserved = None
    for payment in current:
        time_left = (payment.expires_at or now) - now
        if time_left >= REUSE_MIN_LEFT and payment.checkout_url:
            return CheckoutPlan(payment.id, ready=True)
        if not payment.checkout_session_id:
            if reserved is None and time_left >= REUSE_MIN_LEFT:
                reserved = payment
            elif time_left < REUSE_MIN_LEFT:
                payment.status = EXPIRED  # reserved, never reached Stripe in time
                payment.note = "Not opened at Stripe"
    stale = tuple(p.checkout_session_id for p in current if p.checkout_session_id)
    if reserved is None:
        ticket_type = db.session.get(TicketType, registration.ticket_type_id)
        minutes = max(MIN_SESSION_MINUTES, session_minutes)
        reserved = Payment(
            registration_id=registration.id,
            provider="stripe",
            idempotency_key=uuid.uuid4().hex,
            amount_pence=registration.amount_due_pence,
            currency=(ticket_type.currency or "GBP").upper(),
            status=OPEN,
            # Fixed now: a retry with the same idempotency key must send the same request.
            expires_at=now + timedelta(minutes=minutes) + SESSION_MARGIN,
        )
        db.session.add(reserved)
        # The seat stays held while the attempt is being opened.
        registration.hold_expires_at = max(
            registration.hold_expires_at or now, reserved.expires_at + HOLD_GRACE
        )
        db.session.flush()
    return CheckoutPlan(reserved.id, ready=False, stale_session_ids=stale)


def open_checkout(
    plan: CheckoutPlan,
    actor: User,
    *,
    success_url: str,
    cancel_url: str,
    now: datetime | None = None,
) -> Payment:
    """Step 2 of 2: the Stripe calls, with no lock held, then the result recorded under a
    short lock. Returns the Payment whose `checkout_url` the delegate should open.

    `success_url` may contain Stripe's `{CHECKOUT_SESSION_ID}` placeholder.
    """
    payment = db.session.get(Payment, plan.payment_id)
    if plan.ready:
        return payment
    registration = db.session.get(Registration, payment.registration_id)
    if actor.id != registration.user_id:
        raise PaymentError("This registration belongs to someone else.")
    for session_id in plan.stale_session_ids:
        _close_at_stripe(session_id)
    ticket_type = db.session.get(TicketType, registration.ticket_type_id)
    event = db.session.get(Event, registration.event_id)
    session = gateway.create_checkout_session(
        amount_pence=payment.amount_pence,
        currency=payment.currency,
        product_name=f"{event.title}: {ticket_type.name}",
        customer_email=registration.user.email,
        metadata=payment_metadata(payment),
        client_reference_id=str(registration.id),
        success_url=success_url,
        cancel_url=cancel_url,
        expires_at=payment.expires_at,
        idempotency_key=payment.idempotency_key,
    )

    # Recorded whatever happened meanwhile: a session Stripe knows must be findable by the
    # webhook (a payment for a seat released in between is refunded there).
    db.session.execute(
        select(Payment.id)
        .where(Payment.registration_id == registration.id, Payment.status == OPEN)
        .with_for_update()
    )
    payment = lock_row(Payment, payment.id)
    for stale in db.session.execute(
        select(Payment).where(
            Payment.registration_id == registration.id,
            Payment.status == OPEN,
            Payment.checkout_session_id.in_(plan.stale_session_ids),
        )
    ).scalars():
        stale.status = EXPIRED
        stale.note = "Replaced by a new checkout"
    payment.checkout_session_id = session.id
    payment.checkout_url = session.url
    payment.expires_at = session.expires_at or payment.expires_at
    registration = lock_row(Registration, registration.id)
    if registration.status == RegistrationStatus.PENDING_PAYMENT and registration.holds_seat:
        # Held while the session is open (and a little after): Stripe's "expired" event
        # releases it, the hold sweep only if that event never arrives.
        registration.hold_expires_at = payment.expires_at + HOLD_GRACE
    log_action(registration.id, "checkout_started", f"Card payment {payment.id} opened", actor)
    db.session.flush()
    return payment


def abandon_checkout(plan: CheckoutPlan) -> None:
    """Stripe did not answer: drop the reserved attempt so nothing is left half-made. Its
    URL was never shown, so a session Stripe might have made cannot be paid."""
    db.session.execute(
        delete(Payment).where(
            Payment.id == plan.payment_id,
            Payment.status == OPEN,
            Payment.checkout_session_id.is_(None),
        )
    )
    db.session.flush()


def payment_metadata(payment: Payment) -> dict[str, str]:
    return {"registration_id": str(payment.registration_id), "payment_id": str(payment.id)}


def _close_at_stripe(session_id: str) -> None:
    """Expire a session at Stripe before replacing it, so two can never both be paid."""
    session = gateway.retrieve_checkout_session(session_id)
    if session.status == "open":
        session = gateway.expire_checkout_session(session_id)
    if session.status != "expired":
        raise PaymentError("Your previous payment is still being processed. Refresh in a minute.")
