"""Applying what Stripe says: verified webhook events, the delegate's return from Checkout,
refunds at Stripe and by organisers. Locks are taken Payment first, then Registration."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app import mail
from app.auth.models import Role, User
from app.events.models import Event
from app.extensions import db
from app.payments import gateway
from app.payments.gateway import CheckoutSession, WebhookEvent
from app.payments.models import Payment, StripeEvent
from app.payments.services import (
    DELAYED_HOLD,
    EXPIRED,
    OPEN,
    PAID,
    PROCESSING,
    REFUND_DUE,
    REFUNDED,
    DuplicateEventError,
    PaymentError,
    lock_row,
    log,
    log_action,
    payment_metadata,
)
from app.registration import emails
from app.registration.models import ENDED, Registration, RegistrationStatus
from app.registration.services import (
    RegistrationError,
    mark_paid,
    refund_registration,
    release_registration,
)
from app.templating import format_amount as format_money
from app.timeutil import utcnow

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
    payment = lock_row(Payment, payment_id)
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
        log_action(payment.registration_id, "payment_mismatch", f"Session {session.id}: {detail}")
        return f"mismatch: {detail}"
    registration = lock_row(Registration, payment.registration_id)
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
    registration = lock_row(Registration, payment.registration_id)
    if registration.status != RegistrationStatus.PENDING_PAYMENT or not registration.holds_seat:
        return f"awaiting delayed payment; registration {registration.status}"
    event = db.session.get(Event, registration.event_id)
    until = min(now + DELAYED_HOLD, event.starts_at)
    registration.hold_expires_at = max(registration.hold_expires_at or now, until)
    payment.status = PROCESSING  # no longer an open attempt: the delegate is not asked again
    payment.note = "Bank payment on its way: the seat is held until it settles"
    log_action(registration.id, "payment_pending", f"Payment {payment.id}: delayed method")
    return "awaiting delayed payment"


def _expire(payment_id: int, session: CheckoutSession, *, now: datetime) -> str:
    payment = lock_row(Payment, payment_id)
    if payment.status not in (OPEN, PROCESSING):  # PROCESSING: a delayed payment failed
        return f"ignored: payment {payment.status}"
    if session.status == "open" or session.payment_status == "paid":
        return f"ignored: session {session.status}/{session.payment_status}"
    payment.status = EXPIRED
    registration = lock_row(Registration, payment.registration_id)
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
        metadata=payment_metadata(payment),
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
    payment = lock_row(Payment, payment_id)
    if payment.status != REFUND_DUE:
        return None
    _record_refund(payment, refund, now=now, reason=reason)
    registration = db.session.get(Registration, payment.registration_id)
    log_action(registration.id, "payment_refunded_automatically", f"Payment {payment.id}: {reason}")
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
    payment = lock_row(Payment, payment_id)
    amount = format_money(dispute.amount, dispute.currency or payment.currency)
    reason = dispute.reason.replace("_", " ") or "no reason given"
    if dispute.status in ("won", "lost", "warning_closed"):
        what = f"Dispute {dispute.id} closed: {dispute.status.replace('_', ' ')} ({amount})"
    else:
        status = dispute.status.replace("_", " ")
        what = f"Dispute {dispute.id} ({reason}, {amount}): {status}; answer it in Stripe"
    payment.note = what[:2000]
    log_action(payment.registration_id, "payment_dispute", what)
    _email_organisers(payment, f"Card payment disputed: {what}")
    return f"dispute recorded: {dispute.status}"


def _refund_failed(payment_id: int, refund: gateway.RefundDetail) -> str:
    """Stripe could not return the money (card closed...): organisers must do it by hand."""
    payment = lock_row(Payment, payment_id)
    reason = refund.failure_reason.replace("_", " ") or "no reason given"
    amount = format_money(refund.amount, payment.currency)
    what = f"Refund {refund.id} of {amount} failed ({reason}): return the money by hand"
    payment.note = what[:2000]
    log_action(payment.registration_id, "refund_failed", what)
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
    payment = lock_row(Payment, payment_id)
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
    registration = lock_row(Registration, payment.registration_id)
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
        payment = lock_row(Payment, payment.id)
    registration = lock_row(Registration, registration.id)
    _check_refundable(registration)
    if payment is not None and payment.status == PAID:
        _record_refund(payment, refund, now=now, reason=f"Refunded by {actor.name}")
        log_action(registration.id, "card_refund", f"Refund {payment.refund_id}", actor)
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
