"""Card payments: Checkout attempts, verified webhook events, refunds and revenue.

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

from sqlalchemy import case, delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from app import mail
from app.auth.models import Role, User
from app.events.models import Event, TicketType
from app.extensions import db
from app.payments import gateway
from app.payments.gateway import CheckoutSession, WebhookEvent
from app.payments.models import Payment, StripeEvent
from app.registration import emails
from app.registration.models import ENDED, Registration, RegistrationLog, RegistrationStatus
from app.registration.services import (
    RegistrationError,
    mark_paid,
    refund_registration,
    release_registration,
)
from app.templating import format_amount as format_money
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


class PaymentError(ValueError):
    """A payment action that cannot be done; the message is for the user."""


class DuplicateEventError(Exception):
    """The webhook event was already processed (a replay, or a retry racing the first)."""


# --- locking -------------------------------------------------------------------------------


def _lock(model, row_id: int):
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


def _log(registration_id: int, action: str, detail: str, actor: User | None = None) -> None:
    db.session.add(
        RegistrationLog(
            registration_id=registration_id,
            action=action,
            actor_id=actor.id if actor else None,
            detail=detail[:2000],
        )
    )


# --- checkout ------------------------------------------------------------------------------


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
    registration = _lock(Registration, registration.id)
    if registration.status != RegistrationStatus.PENDING_PAYMENT or not registration.holds_seat:
        raise PaymentError("This registration is not waiting for a payment.")
    if registration.amount_due_pence <= 0 or registration.paid_at is not None:
        raise PaymentError("There is nothing to pay for this registration.")
    if registration.hold_expires_at is not None and registration.hold_expires_at <= now:
        raise PaymentError("Your seat is no longer held. Please register again.")

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
        metadata=_metadata(payment),
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
    payment = _lock(Payment, payment.id)
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
    registration = _lock(Registration, registration.id)
    if registration.status == RegistrationStatus.PENDING_PAYMENT and registration.holds_seat:
        # Held while the session is open (and a little after): Stripe's "expired" event
        # releases it, the hold sweep only if that event never arrives.
        registration.hold_expires_at = payment.expires_at + HOLD_GRACE
    _log(registration.id, "checkout_started", f"Card payment {payment.id} opened", actor)
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


def _metadata(payment: Payment) -> dict[str, str]:
    return {"registration_id": str(payment.registration_id), "payment_id": str(payment.id)}


def _close_at_stripe(session_id: str) -> None:
    """Expire a session at Stripe before replacing it, so two can never both be paid."""
    session = gateway.retrieve_checkout_session(session_id)
    if session.status == "open":
        session = gateway.expire_checkout_session(session_id)
    if session.status != "expired":
        raise PaymentError("Your previous payment is still being processed. Refresh in a minute.")


# --- applying what Stripe says ----------------------------------------------------------------


def _mismatches(payment: Payment, session: CheckoutSession) -> list[str]:
    problems = []
    if session.amount_total != payment.amount_pence:
        problems.append(f"amount {session.amount_total} != {payment.amount_pence}")
    if session.currency != payment.currency.upper():
        problems.append(f"currency {session.currency or '-'} != {payment.currency}")
    if session.metadata.get("payment_id") != str(payment.id) or session.metadata.get(
        "registration_id"
    ) != str(payment.registration_id):
        problems.append(f"metadata {session.metadata} does not name payment {payment.id}")
    if session.client_reference_id not in (None, str(payment.registration_id)):
        problems.append(f"client_reference_id {session.client_reference_id}")
    return problems


def _confirm(payment_id: int, session: CheckoutSession, *, source: str, now: datetime) -> str:
    """Mark the payment and its registration paid, once. Returns what happened."""
    payment = _lock(Payment, payment_id)
    if payment.status in (PAID, REFUNDED, REFUND_DUE):
        return f"already {payment.status}"
    if session.status == "complete" and session.payment_status == "unpaid":
        return _await_delayed_payment(payment, session, now=now)
    if session.status != "complete" or session.payment_status != "paid":
        return f"not paid yet ({session.status}/{session.payment_status})"
    problems = _mismatches(payment, session)
    if problems:
        detail = "; ".join(problems)
        payment.note = f"Not accepted ({source}): {detail}"[:2000]
        log.warning("Stripe session %s for payment %s rejected: %s", session.id, payment.id, detail)
        _log(payment.registration_id, "payment_mismatch", f"Session {session.id}: {detail}")
        return f"mismatch: {detail}"
    registration = _lock(Registration, payment.registration_id)
    payment.status = PAID
    payment.paid_at = now
    payment.payment_intent_id = session.payment_intent
    if registration.status == RegistrationStatus.PENDING_PAYMENT and registration.paid_at is None:
        mark_paid(registration, None, amount_pence=payment.amount_pence, provider="stripe", now=now)
        return f"paid ({source})"
    # Paid after the seat was released, or paid twice: the money goes back, by
    # settle_refund once this transaction (and its locks) is over.
    if registration.paid_at is not None:
        reason = "already paid"
    else:
        reason = f"registration {registration.status}"
    payment.status = REFUND_DUE
    payment.payment_intent_id = session.payment_intent
    payment.note = f"Late or duplicate payment: {reason}"
    return f"refund due: {reason}"


def _await_delayed_payment(payment: Payment, session: CheckoutSession, *, now: datetime) -> str:
    """A delayed method (Bacs Direct Debit) completed the session unpaid: keep the seat until
    Stripe says the payment succeeded or failed (async_payment_*), at most DELAYED_HOLD and
    never past the event's start."""
    if _mismatches(payment, session):
        return "not accepted: " + "; ".join(_mismatches(payment, session))
    registration = _lock(Registration, payment.registration_id)
    if registration.status != RegistrationStatus.PENDING_PAYMENT or not registration.holds_seat:
        return f"awaiting delayed payment; registration {registration.status}"
    event = db.session.get(Event, registration.event_id)
    until = min(now + DELAYED_HOLD, event.starts_at)
    registration.hold_expires_at = max(registration.hold_expires_at or now, until)
    payment.note = "Bank payment on its way: the seat is held until it settles"
    _log(registration.id, "payment_pending", f"Payment {payment.id}: delayed method")
    return "awaiting delayed payment"


def _expire(payment_id: int, session: CheckoutSession, *, now: datetime) -> str:
    payment = _lock(Payment, payment_id)
    if payment.status != OPEN:
        return f"ignored: payment {payment.status}"
    if session.status == "open" or session.payment_status == "paid":
        return f"ignored: session {session.status}/{session.payment_status}"
    payment.status = EXPIRED
    registration = _lock(Registration, payment.registration_id)
    still_open = db.session.execute(
        select(func.count())
        .select_from(Payment)
        .where(
            Payment.registration_id == registration.id,
            Payment.status == OPEN,
            Payment.id != payment.id,
        )
    ).scalar_one()
    if (
        registration.status != RegistrationStatus.PENDING_PAYMENT
        or registration.paid_at is not None
        or still_open
    ):
        return "expired; registration kept"
    release_registration(registration, None, reason="Card payment not completed in time", now=now)
    return "expired; seat released"


def _refund_at_stripe(payment: Payment) -> gateway.Refund:
    """Ask Stripe for the refund. Never under a row lock: callers lock afterwards."""
    if not payment.payment_intent_id:
        raise PaymentError("This payment has no Stripe payment to refund.")
    return gateway.create_refund(
        payment_intent=payment.payment_intent_id,
        amount_pence=payment.amount_pence,
        # One refund per payment, ever: a double click or a retry finds the same refund.
        idempotency_key=f"refund-{payment.idempotency_key}",
        metadata=_metadata(payment),
    )


def _record_refund(payment: Payment, refund: gateway.Refund, *, now: datetime, reason: str):
    payment.status = REFUNDED
    payment.refund_id = refund.id
    payment.refunded_pence = refund.amount
    payment.refunded_at = now
    payment.note = reason[:2000]


def settle_refund(payment_id: int, *, now: datetime | None = None) -> str | None:
    """Refund a late or duplicate payment (status refund_due) at Stripe, then record it.
    Called after the transaction that found it has committed; safe to call again."""
    now = now or utcnow()
    payment = db.session.get(Payment, payment_id)
    if payment is None or payment.status != REFUND_DUE:
        return None
    reason = payment.note or "Late or duplicate payment"
    refund = _refund_at_stripe(payment)
    payment = _lock(Payment, payment_id)
    if payment.status != REFUND_DUE:
        return None
    _record_refund(payment, refund, now=now, reason=reason)
    registration = db.session.get(Registration, payment.registration_id)
    _log(registration.id, "payment_refunded_automatically", f"Payment {payment.id}: {reason}")
    _email_automatic_refund(registration, payment)
    db.session.flush()
    return f"refunded automatically: {reason.removeprefix('Late or duplicate payment: ')}"


def _email_automatic_refund(registration: Registration, payment: Payment) -> None:
    event = db.session.get(Event, registration.event_id)
    amount = format_money(payment.amount_pence, payment.currency)
    emails.queue(  # sent after commit, like every registration email
        mail.build_message(
            registration.user.email,
            f"Your payment for {event.title} has been refunded",
            f"Hello {registration.user.name},\n\nWe received your card payment of {amount} for "
            f"{event.title}, but your place had already been released or paid for. We have "
            "refunded the payment in full; it reaches your card in 5 to 10 working days.\n",
        ),
        kind="automatic_refund",
        user_id=registration.user_id,
        registration_id=registration.id,
        event_id=registration.event_id,
    )


@dataclass(frozen=True)
class WebhookResult:
    outcome: str
    payment_id: int | None

    @property
    def refund_due(self) -> bool:
        """The caller commits, then calls settle_refund(payment_id)."""
        return self.outcome.startswith("refund due")


SESSION_COMPLETED = ("checkout.session.completed", "checkout.session.async_payment_succeeded")
SESSION_FAILED = ("checkout.session.expired", "checkout.session.async_payment_failed")
CHARGE_REFUNDED = "charge.refunded"
DISPUTES = ("charge.dispute.created", "charge.dispute.updated", "charge.dispute.closed")
REFUND_FAILED = "refund.failed"
SESSION_EVENTS = (*SESSION_COMPLETED, *SESSION_FAILED)
HANDLED = (*SESSION_EVENTS, CHARGE_REFUNDED, *DISPUTES, REFUND_FAILED)


def handle_webhook_event(event: WebhookEvent, *, now: datetime | None = None) -> WebhookResult:
    """Apply a verified Stripe event once. The object is fetched again from Stripe (the
    event body is only a hint), then checked against our Payment.

    Raises DuplicateEventError for an event already recorded, GatewayError when Stripe
    cannot be asked (the webhook then answers 5xx and Stripe retries later).
    """
    now = now or utcnow()
    if _event_seen(event.id):
        raise DuplicateEventError(event.id)

    # Ask Stripe before taking any lock: network time must not hold up other writers.
    payment: Payment | None = None
    session: CheckoutSession | None = None
    charge = dispute = refund = None
    if event.type in SESSION_EVENTS:
        payment = _payment_by_session(event.object_id)
        if payment is not None:
            session = gateway.retrieve_checkout_session(event.object_id)
    elif event.type == CHARGE_REFUNDED:
        charge = gateway.retrieve_charge(event.object_id)
        payment = _payment_by_intent(charge.payment_intent)
    elif event.type in DISPUTES:
        dispute = gateway.retrieve_dispute(event.object_id)
        payment = _payment_by_intent(dispute.payment_intent)
    elif event.type == REFUND_FAILED:
        refund = gateway.retrieve_refund(event.object_id)
        payment = _payment_by_intent(refund.payment_intent)

    record = StripeEvent(
        stripe_event_id=event.id,
        type=event.type,
        object_id=event.object_id,
        payment_id=payment.id if payment else None,
    )
    db.session.add(record)
    try:
        db.session.flush()
    except IntegrityError as exc:  # the same event delivered twice at once
        raise DuplicateEventError(event.id) from exc

    if event.type not in HANDLED:
        outcome = "ignored: event type not handled"
    elif payment is None:
        outcome = "ignored: not a Journey payment"
    elif event.type in SESSION_COMPLETED:
        outcome = _confirm(payment.id, session, source="webhook", now=now)
    elif event.type in SESSION_FAILED:
        outcome = _expire(payment.id, session, now=now)
    elif event.type in DISPUTES:
        outcome = _dispute(payment.id, dispute)
    elif event.type == REFUND_FAILED:
        outcome = _refund_failed(payment.id, refund)
    else:
        outcome = _charge_refunded(payment.id, charge, now=now)
    record.outcome = outcome[:200]
    db.session.flush()
    return WebhookResult(outcome=outcome, payment_id=payment.id if payment else None)


def _event_seen(stripe_event_id: str) -> bool:
    return (
        db.session.execute(
            select(StripeEvent.id).where(StripeEvent.stripe_event_id == stripe_event_id)
        ).first()
        is not None
    )


def refund_due_for_event(stripe_event_id: str) -> int | None:
    """The payment an already-recorded event left "refund due", if any."""
    return db.session.execute(
        select(Payment.id)
        .join(StripeEvent, StripeEvent.payment_id == Payment.id)
        .where(StripeEvent.stripe_event_id == stripe_event_id, Payment.status == REFUND_DUE)
    ).scalar_one_or_none()


def payment_id_for(session_id: str) -> int | None:
    payment = _payment_by_session(session_id)
    return payment.id if payment is not None else None


def _payment_by_session(session_id: str) -> Payment | None:
    return db.session.execute(
        select(Payment).where(Payment.checkout_session_id == session_id)
    ).scalar_one_or_none()


def _payment_by_intent(payment_intent: str | None) -> Payment | None:
    if not payment_intent:
        return None
    return db.session.execute(
        select(Payment).where(Payment.payment_intent_id == payment_intent)
    ).scalar_one_or_none()


def _dispute(payment_id: int, dispute: gateway.Dispute) -> str:
    """A card dispute (chargeback) opened, changed or closed: noted on the payment and the
    registration, and the organisers are emailed. The money is Stripe's to move."""
    payment = _lock(Payment, payment_id)
    amount = format_money(dispute.amount, dispute.currency or payment.currency)
    reason = dispute.reason.replace("_", " ") or "no reason given"
    if dispute.status in ("won", "lost", "warning_closed"):
        what = f"Dispute {dispute.id} closed: {dispute.status.replace('_', ' ')} ({amount})"
    else:
        status = dispute.status.replace("_", " ")
        what = f"Dispute {dispute.id} ({reason}, {amount}): {status}; answer it in Stripe"
    payment.note = what[:2000]
    _log(payment.registration_id, "payment_dispute", what)
    _email_organisers(payment, f"Card payment disputed: {what}")
    return f"dispute recorded: {dispute.status}"


def _refund_failed(payment_id: int, refund: gateway.RefundDetail) -> str:
    """Stripe could not return the money (card closed...): organisers must do it by hand."""
    payment = _lock(Payment, payment_id)
    reason = refund.failure_reason.replace("_", " ") or "no reason given"
    amount = format_money(refund.amount, payment.currency)
    what = f"Refund {refund.id} of {amount} failed ({reason}): return the money by hand"
    payment.note = what[:2000]
    _log(payment.registration_id, "refund_failed", what)
    _email_organisers(payment, what)
    return "refund failure recorded"


def _email_organisers(payment: Payment, what: str) -> None:
    registration = db.session.get(Registration, payment.registration_id)
    event = db.session.get(Event, registration.event_id)
    organisers = db.session.execute(
        select(User.email).where(User.role.in_((Role.ORGANISER, Role.ADMIN)), User.active)
    ).scalars()
    for email in organisers:
        emails.queue(
            mail.build_message(
                email,
                f"Payment needs attention: {event.title}"[:200],
                f"{what}.\n\nDelegate: {registration.user.name} <{registration.user.email}>\n"
                f"Event: {event.title}\nPayment {payment.id}, registration {registration.id}.\n",
            )
        )


def _charge_refunded(payment_id: int, charge: gateway.Charge, *, now: datetime) -> str:
    payment = _lock(Payment, payment_id)
    payment.refunded_pence = max(payment.refunded_pence, charge.amount_refunded)
    if payment.status == REFUNDED:
        return "already refunded"
    if not charge.refunded:
        payment.note = f"Partly refunded at Stripe: {charge.amount_refunded} pence"
        return f"partial refund of {charge.amount_refunded} recorded"
    if payment.status != PAID:
        return f"ignored: payment {payment.status}"
    payment.status = REFUNDED
    payment.refunded_at = now
    payment.note = "Refunded in the Stripe dashboard"
    registration = _lock(Registration, payment.registration_id)
    if registration.status in ENDED:
        return f"refunded; registration already {registration.status}"
    refund_registration(registration, None, now=now)
    return "refunded; seat freed"


def confirm_from_return(
    registration: Registration, actor: User, session_id: str, *, now: datetime | None = None
) -> str | None:
    """The delegate is back from Stripe: ask Stripe (never the redirect) whether the session
    is paid, and confirm exactly as the webhook would. Returns None when there is nothing
    to ask about."""
    now = now or utcnow()
    if actor.id != registration.user_id:
        raise PaymentError("This registration belongs to someone else.")
    payment = _payment_by_session(session_id)
    if payment is None or payment.registration_id != registration.id or payment.status != OPEN:
        return None
    session = gateway.retrieve_checkout_session(session_id)
    return _confirm(payment.id, session, source="return", now=now)


# --- refunds by organisers ----------------------------------------------------------------------


def paid_payment(registration_id: int) -> Payment | None:
    return db.session.execute(
        select(Payment).where(Payment.registration_id == registration_id, Payment.status == PAID)
    ).scalar_one_or_none()


def refund_payment(
    registration: Registration, actor: User, *, now: datetime | None = None
) -> Payment | None:
    """An organiser refunds a paid registration: the card payment is refunded at Stripe
    (one refund per payment, whatever the retries), then the registration is refunded, its
    seat freed and the waiting list moved on. Invoice payments are returned by hand; for
    those only the registration changes. Returns the card payment, if there was one."""
    now = now or utcnow()
    if not actor.has_role(Role.ORGANISER):
        raise PaymentError("Only organisers can refund.")
    _check_refundable(registration)
    payment = paid_payment(registration.id)
    # Stripe first, with no lock held; the idempotency key makes a repeat find the same refund.
    refund = _refund_at_stripe(payment) if payment is not None else None
    if payment is not None:
        payment = _lock(Payment, payment.id)
    registration = _lock(Registration, registration.id)
    _check_refundable(registration)
    if payment is not None and payment.status == PAID:
        _record_refund(payment, refund, now=now, reason=f"Refunded by {actor.name}")
        _log(registration.id, "card_refund", f"Refund {payment.refund_id}", actor)
    try:
        refund_registration(registration, actor, now=now)
    except RegistrationError as exc:
        raise PaymentError(str(exc)) from exc
    return payment


def _check_refundable(registration: Registration) -> None:
    if registration.status in ENDED:
        raise PaymentError(f"This registration is already {registration.status}.")
    if registration.paid_at is None or registration.amount_paid_pence <= 0:
        raise PaymentError("Nothing has been paid for this registration.")


# --- revenue ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RevenueRow:
    ticket_type: TicketType
    paid_count: int
    awaiting_count: int
    refunded_count: int
    gross_pence: int
    refunded_pence: int

    @property
    def net_pence(self) -> int:
        return self.gross_pence - self.refunded_pence


def revenue_by_ticket_type(event: Event) -> list[RevenueRow]:
    """Per ticket type: money taken, money given back and what is still awaited (two queries)."""
    is_paid = Registration.paid_at.is_not(None)
    refunded = Registration.status == RegistrationStatus.REFUNDED
    rows = db.session.execute(
        select(
            Registration.ticket_type_id,
            func.sum(case((is_paid & ~refunded, 1), else_=0)),
            func.sum(case((Registration.status == RegistrationStatus.PENDING_PAYMENT, 1), else_=0)),
            func.sum(case((is_paid & refunded, 1), else_=0)),
            func.sum(case((is_paid, Registration.amount_paid_pence), else_=0)),
            func.sum(case((is_paid & refunded, Registration.amount_paid_pence), else_=0)),
        )
        .where(Registration.event_id == event.id)
        .group_by(Registration.ticket_type_id)
    ).all()
    by_type = {r[0]: [int(v or 0) for v in r[1:]] for r in rows}
    types = db.session.execute(
        select(TicketType)
        .where(TicketType.event_id == event.id)
        .order_by(TicketType.position, TicketType.id)
    ).scalars()
    return [RevenueRow(t, *by_type.get(t.id, [0, 0, 0, 0, 0])) for t in types]


def event_payments(event: Event) -> list[tuple[Payment, Registration]]:
    """Card payments of an event, newest first, with their registration and delegate."""
    return list(
        db.session.execute(
            select(Payment, Registration)
            .join(Registration, Payment.registration_id == Registration.id)
            .where(Registration.event_id == event.id)
            .order_by(Payment.id.desc())
            .options(joinedload(Registration.user), joinedload(Registration.ticket_type))
        ).all()
    )
