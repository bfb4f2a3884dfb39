"""Payment services against FakeStripe (the real stripe library, a fake network)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.auth.models import Role
from app.extensions import db
from app.payments import gateway, revenue, services, settlement
from app.payments.models import Payment
from app.registration.models import Registration
from app.registration.services import mark_paid
from app.timeutil import utcnow
from tests.factories import make_user
from tests.factories_payments import PRICE, make_paid_event, make_pending_registration
from tests.factories_payments import checkout as make_checkout
from tests.fakes.stripe_api import event_body, running_fake, sign

pytestmark = pytest.mark.config(STRIPE_SECRET_KEY="sk_test_x", STRIPE_WEBHOOK_SECRET="whsec_test")

URLS = {"success_url": "http://localhost/ok?session_id={CHECKOUT_SESSION_ID}",
        "cancel_url": "http://localhost/cancel"}  # fmt: skip


@pytest.fixture
def stripe_api(app):
    yield from running_fake(app)


def checkout(registration, now=None) -> Payment:
    return make_checkout(registration, now=now, **URLS)


def webhook_event(type_, obj, event_id=None) -> gateway.WebhookEvent:
    body = event_body(type_, obj, event_id)
    return gateway.construct_event(body, sign(body), "whsec_test")


def test_session_expiry_is_at_least_thirty_minutes_and_hold_covers_it(app, stripe_api):
    registration = make_pending_registration()
    now = utcnow().replace(microsecond=0)
    payment = checkout(registration, now=now)
    assert payment.expires_at == now + timedelta(minutes=31)
    assert registration.hold_expires_at == payment.expires_at + services.HOLD_GRACE


def test_longer_configured_session_is_used(app, stripe_api):
    registration = make_pending_registration()
    now = utcnow().replace(microsecond=0)
    payment = make_checkout(registration, now=now, session_minutes=90, **URLS)
    assert payment.expires_at == now + timedelta(minutes=91)


def test_session_about_to_expire_is_closed_at_stripe_before_a_new_one(app, stripe_api):
    registration = make_pending_registration()
    first = checkout(registration)
    later = first.expires_at - timedelta(minutes=5)  # 5 minutes left: too little to pay

    second = checkout(registration, now=later)

    assert second.id != first.id
    assert second.idempotency_key != first.idempotency_key
    assert first.status == "expired" and first.note == "Replaced by a new checkout"
    assert stripe_api.sessions[first.checkout_session_id]["status"] == "expired"
    assert len(stripe_api.calls("POST", "/v1/checkout/sessions")) == 3  # create, expire, create


def test_no_new_session_while_the_old_one_was_just_paid(app, stripe_api):
    registration = make_pending_registration()
    first = checkout(registration)
    stripe_api.pay(first.checkout_session_id)
    with pytest.raises(services.PaymentError, match="still being processed"):
        checkout(registration, now=first.expires_at - timedelta(minutes=5))
    assert len(stripe_api.calls("POST", "/v1/checkout/sessions")) == 1  # no new session


def test_only_the_delegate_can_start_their_checkout(app, stripe_api):
    registration = make_pending_registration()
    with pytest.raises(services.PaymentError, match="belongs to someone else"):
        make_checkout(registration, make_user(), **URLS)
    assert stripe_api.requests == []


def test_checkout_refused_once_the_hold_has_lapsed(app, stripe_api):
    registration = make_pending_registration()
    with pytest.raises(services.PaymentError, match="no longer held"):
        checkout(registration, now=registration.hold_expires_at + timedelta(seconds=1))
    assert stripe_api.requests == []


def test_expiry_of_a_replaced_session_keeps_the_registration(app, stripe_api):
    registration = make_pending_registration()
    first = checkout(registration)
    stripe_api.expire(first.checkout_session_id)  # Stripe closed it; its event is on the way
    second = checkout(registration, now=first.expires_at - timedelta(minutes=5))
    assert first.status == "expired" and second.status == "open"

    result = settlement.handle_webhook_event(
        webhook_event("checkout.session.expired", stripe_api.sessions[first.checkout_session_id])
    )

    assert result.outcome == "ignored: payment expired"
    assert registration.status == "pending_payment" and registration.holds_seat is True


def test_async_payment_succeeded_and_failed(app, stripe_api):
    paid = make_pending_registration()
    p1 = checkout(paid)
    session = stripe_api.pay(p1.checkout_session_id)
    session["payment_status"] = "unpaid"  # bank debit, still processing
    result = settlement.handle_webhook_event(webhook_event("checkout.session.completed", session))
    assert result.outcome == "awaiting delayed payment"  # the seat stays held until it settles
    session["payment_status"] = "paid"
    result = settlement.handle_webhook_event(
        webhook_event("checkout.session.async_payment_succeeded", session)
    )
    assert result.outcome == "paid (webhook)" and paid.paid_at is not None

    failed = make_pending_registration()
    p2 = checkout(failed)
    session = stripe_api.pay(p2.checkout_session_id)
    session["payment_status"] = "unpaid"
    result = settlement.handle_webhook_event(
        webhook_event("checkout.session.async_payment_failed", session)
    )
    assert result.outcome == "expired; seat released"
    assert failed.status == "cancelled" and failed.holds_seat is False


def test_invoice_paid_registration_is_refunded_without_stripe(app, stripe_api):
    registration = make_pending_registration()
    organiser = make_user(Role.ORGANISER)
    mark_paid(registration, organiser, amount_pence=PRICE)
    assert registration.paid_at is not None

    assert settlement.refund_payment(registration, organiser) is None

    assert registration.status == "refunded"
    assert stripe_api.requests == []


def test_refund_refused_for_delegates_and_unpaid_registrations(app, stripe_api):
    registration = make_pending_registration()
    with pytest.raises(services.PaymentError, match="Only organisers"):
        settlement.refund_payment(registration, registration.user)
    with pytest.raises(services.PaymentError, match="Nothing has been paid"):
        settlement.refund_payment(registration, make_user(Role.ORGANISER))
    assert registration.status == "pending_payment"


def test_revenue_counts_nothing_for_an_event_without_sales(app):
    event = make_paid_event()
    [row] = revenue.revenue_by_ticket_type(event)
    assert (row.paid_count, row.awaiting_count, row.gross_pence, row.net_pence) == (0, 0, 0, 0)


def test_construct_event_reads_verified_event(app):
    body = event_body("charge.refunded", {"id": "ch_1", "object": "charge"}, "evt_9")
    event = gateway.construct_event(body, sign(body), "whsec_test")
    assert event == gateway.WebhookEvent("evt_9", "charge.refunded", "ch_1", "charge")
    with pytest.raises(gateway.WebhookError):
        gateway.construct_event(body + b" ", sign(body), "whsec_test")


def test_payment_rows_are_one_per_attempt(app, stripe_api):
    registration = make_pending_registration()
    checkout(registration)
    checkout(registration)  # reused: still one attempt
    rows = (
        db.session.execute(select(Payment).where(Payment.registration_id == registration.id))
        .scalars()
        .all()
    )
    assert len(rows) == 1
    assert db.session.get(Registration, registration.id).status == "pending_payment"


@pytest.mark.parametrize("starts_in", [timedelta(days=3), timedelta(days=30)])
def test_a_delayed_payment_holds_the_seat_a_week_at_most_and_never_past_the_start(
    app, stripe_api, starts_in
):
    now = utcnow().replace(microsecond=0)
    registration = make_pending_registration(make_paid_event(starts_in=starts_in))
    payment = checkout(registration, now=now)
    session = stripe_api.complete_unpaid(payment.checkout_session_id)
    result = settlement.handle_webhook_event(
        webhook_event("checkout.session.completed", session), now=now
    )
    assert result.outcome == "awaiting delayed payment"
    assert payment.status == "processing"
    event_start = registration.event.starts_at
    assert registration.hold_expires_at == min(now + timedelta(days=7), event_start)
