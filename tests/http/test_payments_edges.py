"""Stripe at the edges: cards only, no Stripe call under a row lock, disputes and failed
refunds shown to organisers, the late-payment refund made after the commit, and the clock
moved across the hold's expiry. Only Stripe's network is replaced (tests/fakes/stripe_api.py);
signatures are made and checked for real."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, text

from app.auth.models import Role
from app.extensions import db
from app.payments import services, settlement
from app.payments.models import Payment
from app.registration.models import Registration, RegistrationLog
from app.registration.reminders import expire_holds
from app.timeutil import utcnow
from tests.factories import make_user
from tests.factories_payments import PRICE, checkout, make_pending_registration
from tests.http.test_payments import STRIPE_KEYS, fresh, post_event, start_checkout

pytestmark = pytest.mark.config(**STRIPE_KEYS)


@pytest.fixture
def stripe_api(app):
    from tests.fakes.stripe_api import running_fake

    yield from running_fake(app)


@pytest.fixture
def pending(app):
    registration = make_pending_registration()
    db.session.commit()
    return registration


def _paid(client, login, pending, stripe_api):
    _, payment = start_checkout(client, login, pending)
    session = stripe_api.pay(payment.checkout_session_id)
    assert post_event(client, "checkout.session.completed", session).status_code == 200
    return fresh(Payment, payment.id), stripe_api.charge_for(payment.checkout_session_id)


def _logs(registration_id: int) -> list[tuple[str, str]]:
    db.session.expire_all()
    return [
        (log.action, log.detail)
        for log in db.session.execute(
            select(RegistrationLog)
            .where(RegistrationLog.registration_id == registration_id)
            .order_by(RegistrationLog.id)
        ).scalars()
    ]


def test_checkout_offers_cards_only(client, login, pending, stripe_api):
    start_checkout(client, login, pending)
    [call] = stripe_api.calls("POST", "/v1/checkout/sessions")
    assert call.params["payment_method_types[0]"] == "card"
    assert "payment_method_types[1]" not in call.params


def _probe_locks(app, registration_id: int, seen: list[str]):
    """During each Stripe request, another connection tries to write the registration and
    gives up after 300 ms: it succeeds only if the app holds no lock on it."""
    engine = db.engine

    def probe(method: str, path: str) -> None:
        with engine.connect() as conn:
            if conn.dialect.name == "sqlite":
                conn.exec_driver_sql("PRAGMA busy_timeout = 300")
            else:
                conn.exec_driver_sql("SET lock_timeout = '300ms'")
            try:
                conn.execute(
                    text("UPDATE registration SET id = id WHERE id = :id"), {"id": registration_id}
                )
                conn.commit()
                seen.append(f"{method} {path}: free")
            except Exception as exc:  # the lock (or SQLite's write lock) is held
                conn.rollback()
                seen.append(f"{method} {path}: locked ({type(exc).__name__})")

    return probe


def test_no_stripe_call_while_the_registration_is_locked(app, client, login, pending, stripe_api):
    seen: list[str] = []
    stripe_api.during = _probe_locks(app, pending.id, seen)
    _, first = start_checkout(client, login, pending)
    assert seen == ["POST /v1/checkout/sessions: free"]

    # An attempt about to run out is closed at Stripe and replaced: still no lock held.
    seen.clear()
    db.session.execute(
        text("UPDATE payment SET expires_at = :t WHERE id = :id"),
        {"t": utcnow() + timedelta(minutes=2), "id": first.id},
    )
    db.session.commit()
    start_checkout_again = client.post(
        f"/payments/checkout/{pending.id}", data={"csrf_token": _token(client)}
    )
    assert start_checkout_again.status_code == 303
    assert [line.split(":")[0] for line in seen] == [
        f"GET /v1/checkout/sessions/{first.checkout_session_id}",
        f"POST /v1/checkout/sessions/{first.checkout_session_id}/expire",
        "POST /v1/checkout/sessions",
    ]
    assert all(line.endswith("free") for line in seen), seen


def _token(client) -> str:
    from tests.conftest import csrf_token_from

    return csrf_token_from(client.get("/me/tickets").get_data(as_text=True))


def test_organiser_refund_calls_stripe_before_taking_locks(app, client, login, pending, stripe_api):
    payment, _ = _paid(client, login, pending, stripe_api)
    organiser = make_user(Role.ORGANISER)
    db.session.commit()
    seen: list[str] = []
    stripe_api.during = _probe_locks(app, pending.id, seen)
    settlement.refund_payment(fresh(Registration, pending.id), organiser)
    db.session.commit()
    assert seen == ["POST /v1/refunds: free"]
    assert fresh(Payment, payment.id).status == "refunded"
    assert fresh(Registration, pending.id).status == "refunded"


def test_a_dispute_is_recorded_shown_and_emailed_to_organisers(
    client, login, pending, stripe_api, outbox
):
    organiser = make_user(Role.ORGANISER, email="money@example.com")
    db.session.commit()
    payment, charge = _paid(client, login, pending, stripe_api)
    dispute = stripe_api.open_dispute(charge["id"], reason="product_not_received")
    outbox.clear()

    response = post_event(client, "charge.dispute.created", dispute)

    assert response.status_code == 200
    assert response.json["outcome"] == "dispute recorded: needs_response"
    note = (
        f"Dispute {dispute['id']} (product not received, £45.00): needs response; "
        "answer it in Stripe"
    )
    assert fresh(Payment, payment.id).note == note
    assert _logs(pending.id)[-1] == ("payment_dispute", note)
    [mail] = [m for m in outbox if m["To"] == organiser.email]
    assert mail["Subject"] == f"Payment needs attention: {pending.event.title}"
    assert note in mail.get_content()
    assert not [m for m in outbox if m["To"] == pending.user.email]

    # Shown on the revenue page and the registration page.
    login(organiser)
    revenue = client.get(f"/organiser/events/{pending.event_id}/revenue")
    assert note in revenue.get_data(as_text=True).replace("&#39;", "'")
    detail = client.get(f"/organiser/registrations/{pending.id}")
    assert "payment dispute" in detail.get_data(as_text=True)

    # Closed (lost): recorded too; the signature and the re-fetch are what count.
    stripe_api.disputes[dispute["id"]]["status"] = "lost"
    closed = post_event(client, "charge.dispute.closed", dispute)
    assert closed.json["outcome"] == "dispute recorded: lost"
    assert fresh(Payment, payment.id).note == f"Dispute {dispute['id']} closed: lost (£45.00)"


def test_a_failed_refund_is_recorded_and_emailed(client, login, pending, stripe_api, outbox):
    organiser = make_user(Role.ORGANISER)
    db.session.commit()
    payment, _ = _paid(client, login, pending, stripe_api)
    settlement.refund_payment(fresh(Registration, pending.id), organiser)
    db.session.commit()
    refund = stripe_api.fail_refund(fresh(Payment, payment.id).refund_id)
    outbox.clear()

    response = post_event(client, "refund.failed", refund)

    assert response.json["outcome"] == "refund failure recorded"
    note = (
        f"Refund {refund['id']} of £45.00 failed (expired or canceled card): "
        "return the money by hand"
    )
    assert fresh(Payment, payment.id).note == note
    assert _logs(pending.id)[-1] == ("refund_failed", note)
    assert [m["To"] for m in outbox] == [organiser.email]


def test_dispute_for_a_charge_journey_did_not_make_is_ignored(client, stripe_api):
    stripe_api.charges["ch_other"] = {
        "id": "ch_other", "object": "charge", "amount": 100, "amount_refunded": 0,
        "refunded": False, "currency": "gbp", "payment_intent": "pi_other",
    }  # fmt: skip
    dispute = stripe_api.open_dispute("ch_other")
    response = post_event(client, "charge.dispute.created", dispute)
    assert response.json["outcome"] == "ignored: not a Journey payment"


def test_late_payment_refund_waits_for_stripe_and_is_made_on_the_retry(
    client, login, pending, stripe_api
):
    _, payment = start_checkout(client, login, pending)
    registration = fresh(Registration, pending.id)
    from app.registration.services import release_registration

    release_registration(registration, None, reason="hold expired")
    db.session.commit()
    session = stripe_api.pay(payment.checkout_session_id)

    # Stripe answers the session lookup, then cannot be reached for the refund.
    stripe_api.during = lambda method, path: setattr(
        stripe_api, "fail_with", 503 if path == "/v1/refunds" else None
    )
    first = post_event(client, "checkout.session.completed", session, event_id="evt_late")
    assert first.status_code == 503
    assert fresh(Payment, payment.id).status == "refund_due"  # recorded, shown, not lost

    stripe_api.during = None
    stripe_api.fail_with = None
    retry = post_event(client, "checkout.session.completed", session, event_id="evt_late")
    assert retry.status_code == 200
    assert retry.json["outcome"] == "refunded automatically: registration cancelled"
    assert fresh(Payment, payment.id).status == "refunded"
    assert stripe_api.charge_for(payment.checkout_session_id)["refunded"] is True


def test_clock_moved_past_the_hold_releases_the_seat_and_a_payment_then_is_refunded(
    app, client, stripe_api
):
    """Checkout at a fixed time; the hold sweep an hour later (no expiry event came)
    releases the seat; paying after that gives the money back, never a seat."""
    registration = make_pending_registration()
    db.session.commit()
    start = utcnow().replace(microsecond=0)
    payment = checkout(registration, now=start)
    db.session.commit()
    hold_ends = fresh(Registration, registration.id).hold_expires_at
    assert hold_ends == payment.expires_at + services.HOLD_GRACE

    expire_holds(now=hold_ends - timedelta(seconds=1))
    db.session.commit()
    assert fresh(Registration, registration.id).status == "pending_payment"

    expire_holds(now=hold_ends + timedelta(seconds=1))
    db.session.commit()
    assert fresh(Registration, registration.id).status == "cancelled"
    assert fresh(Registration, registration.id).event.seats_taken == 0

    session = stripe_api.pay(payment.checkout_session_id)
    response = post_event(client, "checkout.session.completed", session)
    assert response.json["outcome"] == "refunded automatically: registration cancelled"
    assert fresh(Payment, payment.id).refunded_pence == PRICE


@pytest.mark.config(**STRIPE_KEYS, STRIPE_DELAYED_METHODS="bacs_debit")
def test_an_enabled_delayed_method_keeps_the_seat_until_the_money_settles(
    app, client, login, pending, stripe_api
):
    _, payment = start_checkout(client, login, pending)
    [call] = stripe_api.calls("POST", "/v1/checkout/sessions")
    assert [call.params.get(f"payment_method_types[{i}]") for i in range(3)] == [
        "card", "bacs_debit", None,
    ]  # fmt: skip
    session = stripe_api.complete_unpaid(payment.checkout_session_id)
    response = post_event(client, "checkout.session.completed", session)
    assert response.json["outcome"] == "awaiting delayed payment"
    registration = fresh(Registration, pending.id)
    held_until = registration.hold_expires_at
    assert held_until >= utcnow() + timedelta(days=6)
    assert _logs(pending.id)[-1][0] == "payment_pending"

    # Two hours later (when a card session's hold would have gone) the seat is still held.
    expire_holds(now=utcnow() + timedelta(hours=2))
    db.session.commit()
    assert fresh(Registration, pending.id).status == "pending_payment"

    # Day 3: the money arrives; the registration is paid, never refunded.
    settled = stripe_api.settle(payment.checkout_session_id)
    done = post_event(client, "checkout.session.async_payment_succeeded", settled)
    assert done.json["outcome"] == "paid (webhook)"
    assert fresh(Registration, pending.id).paid_at is not None
    assert stripe_api.calls("POST", "/v1/refunds") == []


@pytest.mark.config(**STRIPE_KEYS, STRIPE_DELAYED_METHODS="bacs_debit")
def test_a_failed_delayed_payment_releases_the_seat(app, client, login, pending, stripe_api):
    _, payment = start_checkout(client, login, pending)
    session = stripe_api.complete_unpaid(payment.checkout_session_id)
    post_event(client, "checkout.session.completed", session)
    failed = post_event(client, "checkout.session.async_payment_failed", session)
    assert failed.json["outcome"] == "expired; seat released"
    assert fresh(Registration, pending.id).status == "cancelled"


@pytest.mark.config(**STRIPE_KEYS, STRIPE_DELAYED_METHODS="bacs_debit")
def test_a_bank_payment_on_its_way_is_not_asked_for_again(app, client, login, pending, stripe_api):
    """Once Bacs has completed the session, the delegate is told to wait, and paying again by
    card (which would take the money twice) is refused, also after the session's half hour."""
    _, payment = start_checkout(client, login, pending)
    session = stripe_api.complete_unpaid(payment.checkout_session_id)
    post_event(client, "checkout.session.completed", session)
    assert fresh(Payment, payment.id).status == "processing"
    fresh(Payment, payment.id).expires_at = utcnow() - timedelta(minutes=1)  # the half hour
    db.session.commit()
    url = f"/payments/registrations/{pending.id}"
    page = client.get(url).text
    assert "Your bank payment is on its way" in page
    assert "Payment needed" not in page and "payments/checkout" not in page
    response = client.post(f"/payments/checkout/{pending.id}")
    assert response.location == url
    assert "Your bank payment is on its way: your seat is held until it arrives." in (
        client.get(url).text
    )
    assert len(stripe_api.calls("POST", "/v1/checkout/sessions")) == 1  # no second attempt
    tickets = client.get("/me/tickets").text
    assert "Your bank payment is on its way" in tickets and "Pay by card" not in tickets
    assert db.session.execute(select(Payment.status)).scalars().all() == ["processing"]
    # The money arrives: paid once, nothing refunded.
    settled = stripe_api.settle(payment.checkout_session_id)
    done = post_event(client, "checkout.session.async_payment_succeeded", settled)
    assert done.json["outcome"] == "paid (webhook)"
    assert fresh(Payment, payment.id).status == "paid"
    assert stripe_api.calls("POST", "/v1/refunds") == []
