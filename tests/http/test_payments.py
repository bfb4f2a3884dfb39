"""Paid tickets through Stripe Checkout: only Stripe's network is replaced (FakeStripe serves
the API to the real `stripe` library); webhook signatures are made with the test secret and
verified by the real `stripe.Webhook.construct_event`."""

from __future__ import annotations

import logging
import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.auth.models import Role
from app.events.models import Event
from app.extensions import db
from app.payments.models import Payment, StripeEvent
from app.registration.models import EmailLog, Registration, RegistrationLog
from app.timeutil import utcnow
from tests.conftest import csrf_token_from
from tests.factories import make_organisation, make_user
from tests.factories_payments import PRICE, make_paid_event, make_pending_registration
from tests.fakes.stripe_api import WEBHOOK_SECRET, event_body, running_fake, sign

STRIPE_KEYS = {"STRIPE_SECRET_KEY": "sk_test_x", "STRIPE_WEBHOOK_SECRET": "whsec_test"}
pytestmark = pytest.mark.config(**STRIPE_KEYS)

WEBHOOK = "/payments/stripe/webhook"


@pytest.fixture
def stripe_api(app):
    yield from running_fake(app)


def post_event(client, type_, obj, event_id=None, secret=WEBHOOK_SECRET, timestamp=None):
    body = event_body(type_, obj, event_id)
    return client.post(
        WEBHOOK,
        data=body,
        headers={"Stripe-Signature": sign(body, secret, timestamp)},
        content_type="application/json",
    )


def fresh(model, row_id):
    db.session.expire_all()
    return db.session.get(model, row_id)


def count(model, *where) -> int:
    db.session.expire_all()
    return db.session.execute(select(func.count()).select_from(model).where(*where)).scalar_one()


def paid_logs(registration_id: int) -> int:
    return count(
        RegistrationLog,
        RegistrationLog.registration_id == registration_id,
        RegistrationLog.action == "paid",
    )


@pytest.fixture
def pending(app):
    """A delegate holding a seat for a £45 ticket, awaiting payment."""
    registration = make_pending_registration()
    db.session.commit()
    return registration


def start_checkout(client, login, registration):
    login(registration.user)
    token = csrf_token_from(client.get("/me/tickets").get_data(as_text=True))
    response = client.post(f"/payments/checkout/{registration.id}", data={"csrf_token": token})
    assert response.status_code == 303, response.get_data(as_text=True)
    payment = db.session.execute(
        select(Payment).where(Payment.registration_id == registration.id)
    ).scalar_one()
    return response, payment


# --- checkout -------------------------------------------------------------------------------------


def test_checkout_creates_session_for_ticket_price_and_holds_seat(
    client, login, pending, stripe_api
):
    assert pending.status == "pending_payment"
    before = utcnow()
    response, payment = start_checkout(client, login, pending)

    session_id = payment.checkout_session_id
    assert response.headers["Location"] == f"https://checkout.stripe.test/c/pay/{session_id}"
    [call] = stripe_api.calls("POST", "/v1/checkout/sessions")
    p = call.params
    assert p["mode"] == "payment"
    assert p["line_items[0][price_data][currency]"] == "gbp"
    assert p["line_items[0][price_data][unit_amount]"] == str(PRICE)
    assert p["line_items[0][quantity]"] == "1"
    assert p["customer_email"] == pending.user.email
    assert p["client_reference_id"] == str(pending.id)
    assert p["metadata[registration_id]"] == str(pending.id)
    assert p["metadata[payment_id]"] == str(payment.id)
    assert p["success_url"] == (
        f"http://localhost/payments/registrations/{pending.id}/return"
        "?session_id={CHECKOUT_SESSION_ID}"
    )
    assert p["cancel_url"] == f"http://localhost/payments/registrations/{pending.id}/cancelled"
    assert call.headers["idempotency-key"] == payment.idempotency_key
    assert len(payment.idempotency_key) == 32
    assert int(p["expires_at"]) >= int(time.time()) + 30 * 60

    assert payment.status == "open"
    assert payment.amount_pence == PRICE and payment.currency == "GBP"
    assert payment.expires_at >= before + timedelta(minutes=30)
    registration = fresh(Registration, pending.id)
    assert registration.holds_seat is True
    assert registration.hold_expires_at >= payment.expires_at


def test_checkout_again_reuses_the_open_session(client, login, pending, stripe_api):
    _, payment = start_checkout(client, login, pending)
    again = client.post(f"/payments/checkout/{pending.id}")
    assert again.status_code == 303
    assert again.headers["Location"] == payment.checkout_url
    assert len(stripe_api.calls("POST", "/v1/checkout/sessions")) == 1
    assert count(Payment) == 1


def test_checkout_of_someone_elses_registration_is_404(client, login, pending, stripe_api):
    login(make_user())
    db.session.commit()
    response = client.post(f"/payments/checkout/{pending.id}")
    assert response.status_code == 404
    assert stripe_api.requests == []
    assert count(Payment) == 0


def test_checkout_when_stripe_is_down_writes_nothing(client, login, pending, stripe_api):
    stripe_api.fail_with = 500
    login(pending.user)
    response = client.post(f"/payments/checkout/{pending.id}", follow_redirects=True)
    assert response.status_code == 200
    assert "Payment needed" in response.get_data(as_text=True)
    assert count(Payment) == 0


def test_checkout_for_confirmed_registration_is_refused(client, login, stripe_api):
    event = make_paid_event(price_pence=0)
    registration = make_pending_registration(event)
    db.session.commit()
    assert registration.status == "confirmed"
    login(registration.user)
    response = client.post(f"/payments/checkout/{registration.id}", follow_redirects=True)
    assert "not waiting for a payment" in response.get_data(as_text=True)
    assert stripe_api.requests == []


# --- webhook: verification ------------------------------------------------------------------------


def test_completed_webhook_marks_paid_and_confirms(client, login, pending, stripe_api, outbox):
    _, payment = start_checkout(client, login, pending)
    session = stripe_api.pay(payment.checkout_session_id)
    outbox.clear()

    response = post_event(client, "checkout.session.completed", session, "evt_1")

    assert response.status_code == 200
    assert response.json == {"received": True, "id": "evt_1", "outcome": "paid (webhook)"}
    registration = fresh(Registration, pending.id)
    assert registration.status == "confirmed"
    assert registration.amount_paid_pence == PRICE
    assert registration.paid_at is not None and registration.ticket_secret
    payment = fresh(Payment, payment.id)
    assert payment.status == "paid" and payment.payment_intent_id == session["payment_intent"]
    # The session was fetched again from Stripe, not taken from the event body.
    assert stripe_api.calls("GET", f"/v1/checkout/sessions/{session['id']}")
    event = db.session.execute(select(StripeEvent)).scalar_one()
    assert (event.stripe_event_id, event.payment_id, event.outcome) == (
        "evt_1",
        payment.id,
        "paid (webhook)",
    )
    assert [m["Subject"] for m in outbox] == [f"Your ticket for {registration.event.title}"]


def test_paid_registration_waits_for_benchmark_when_event_requires_it(client, login, stripe_api):
    registration = make_pending_registration(make_paid_event(requires_benchmark=True))
    db.session.commit()
    _, payment = start_checkout(client, login, registration)
    session = stripe_api.pay(payment.checkout_session_id)
    assert post_event(client, "checkout.session.completed", session).status_code == 200
    registration = fresh(Registration, registration.id)
    assert registration.status == "pending_benchmark"
    assert registration.paid_at is not None and registration.hold_expires_at is None


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Stripe-Signature": "garbage"},
        {"Stripe-Signature": "t=1,v1=0000"},
    ],
)
def test_missing_or_garbage_signature_is_400(client, login, pending, stripe_api, headers):
    _, payment = start_checkout(client, login, pending)
    body = event_body("checkout.session.completed", stripe_api.pay(payment.checkout_session_id))
    response = client.post(WEBHOOK, data=body, headers=headers, content_type="application/json")
    assert response.status_code == 400
    assert response.json["error"] == "Bad request"
    assert fresh(Registration, pending.id).status == "pending_payment"
    assert count(StripeEvent) == 0


def test_tampered_body_is_400_and_changes_nothing(client, login, pending, stripe_api):
    _, payment = start_checkout(client, login, pending)
    session = stripe_api.pay(payment.checkout_session_id)
    body = event_body("checkout.session.expired", session)
    header = sign(body)
    tampered = body.replace(b"checkout.session.expired", b"checkout.session.completed")

    response = client.post(
        WEBHOOK, data=tampered, headers={"Stripe-Signature": header}, content_type="text/plain"
    )

    assert response.status_code == 400
    assert "Stripe-Signature" in response.json["message"]
    assert fresh(Registration, pending.id).status == "pending_payment"
    assert count(StripeEvent) == 0
    assert stripe_api.calls("GET", "/v1/checkout/sessions/") == []


def test_wrong_secret_and_stale_timestamp_are_400(client, login, pending, stripe_api):
    _, payment = start_checkout(client, login, pending)
    session = stripe_api.pay(payment.checkout_session_id)
    assert (
        post_event(client, "checkout.session.completed", session, secret="whsec_other").status_code
        == 400
    )
    stale = int(time.time()) - 3600  # a captured request replayed an hour later
    assert (
        post_event(client, "checkout.session.completed", session, timestamp=stale).status_code
        == 400
    )
    assert fresh(Registration, pending.id).status == "pending_payment"


@pytest.mark.parametrize("body", [b"not json", b"[1, 2]", b'{"id": "evt_x"}', b""])
def test_signed_but_malformed_body_is_400(client, pending, stripe_api, body):
    response = client.post(
        WEBHOOK, data=body, headers={"Stripe-Signature": sign(body)}, content_type="text/plain"
    )
    assert response.status_code == 400
    assert response.is_json
    assert count(StripeEvent) == 0


def test_unhandled_event_type_is_200_and_ignored(client, stripe_api):
    response = post_event(client, "customer.created", {"id": "cus_1", "object": "customer"})
    assert response.status_code == 200
    assert response.json["outcome"] == "ignored: event type not handled"
    assert stripe_api.requests == []


def test_event_for_a_session_we_did_not_create_is_ignored(client, stripe_api):
    response = post_event(
        client, "checkout.session.completed", {"id": "cs_test_other", "object": "checkout.session"}
    )
    assert response.status_code == 200
    assert response.json["outcome"] == "ignored: not a Journey payment"


@pytest.mark.config(WTF_CSRF_ENABLED=True, **STRIPE_KEYS)
def test_webhook_needs_no_csrf_token(client, login, pending, stripe_api):
    _, payment = start_checkout(client, login, pending)
    session = stripe_api.pay(payment.checkout_session_id)
    assert post_event(client, "checkout.session.completed", session).status_code == 200
    assert fresh(Registration, pending.id).status == "confirmed"


# --- webhook: replay, mismatch, forged body -------------------------------------------------------


def test_replayed_event_does_nothing_the_second_time(client, login, pending, stripe_api, outbox):
    _, payment = start_checkout(client, login, pending)
    session = stripe_api.pay(payment.checkout_session_id)
    outbox.clear()
    first = post_event(client, "checkout.session.completed", session, "evt_same")
    fetches = len(stripe_api.calls("GET", "/v1/checkout/sessions/"))

    second = post_event(client, "checkout.session.completed", session, "evt_same")

    assert first.status_code == second.status_code == 200
    assert second.json["outcome"] == "duplicate: already processed"
    assert len(stripe_api.calls("GET", "/v1/checkout/sessions/")) == fetches
    assert paid_logs(pending.id) == 1
    assert len(outbox) == 1
    assert count(StripeEvent) == 1


def test_amount_mismatch_is_not_confirmed_and_is_logged(client, login, pending, stripe_api, caplog):
    _, payment = start_checkout(client, login, pending)
    session = stripe_api.pay(payment.checkout_session_id, amount=100)  # paid £1, not £45

    with caplog.at_level(logging.WARNING, logger="app.payments.services"):
        response = post_event(client, "checkout.session.completed", session)

    assert response.status_code == 200
    assert response.json["outcome"] == f"mismatch: amount 100 != {PRICE}"
    registration = fresh(Registration, pending.id)
    assert registration.status == "pending_payment" and registration.paid_at is None
    payment = fresh(Payment, payment.id)
    assert payment.status == "open"
    assert payment.note == f"Not accepted (webhook): amount 100 != {PRICE}"
    assert f"amount 100 != {PRICE}" in caplog.text
    assert (
        count(
            RegistrationLog,
            RegistrationLog.registration_id == pending.id,
            RegistrationLog.action == "payment_mismatch",
        )
        == 1
    )


def test_currency_and_metadata_mismatch_are_not_confirmed(client, login, pending, stripe_api):
    _, payment = start_checkout(client, login, pending)
    session = stripe_api.pay(payment.checkout_session_id)
    session["currency"] = "eur"
    session["metadata"]["payment_id"] = "999"
    response = post_event(client, "checkout.session.completed", session)
    assert response.json["outcome"].startswith("mismatch: currency EUR != GBP; metadata")
    assert fresh(Registration, pending.id).paid_at is None


def test_forged_completed_event_for_unpaid_session_is_not_trusted(
    client, login, pending, stripe_api
):
    """The body claims payment; Stripe, asked again, says the session is still open."""
    _, payment = start_checkout(client, login, pending)
    claimed = dict(
        stripe_api.sessions[payment.checkout_session_id], status="complete", payment_status="paid"
    )
    response = post_event(client, "checkout.session.completed", claimed)
    assert response.json["outcome"] == "not paid yet (open/unpaid)"
    assert fresh(Registration, pending.id).status == "pending_payment"


def test_stripe_unreachable_during_webhook_is_503_so_stripe_retries(
    client, login, pending, stripe_api
):
    _, payment = start_checkout(client, login, pending)
    session = stripe_api.pay(payment.checkout_session_id)
    stripe_api.fail_with = 500
    assert post_event(client, "checkout.session.completed", session, "evt_r").status_code == 503
    assert count(StripeEvent) == 0  # not recorded: the retry must be processed

    stripe_api.fail_with = None
    response = post_event(client, "checkout.session.completed", session, "evt_r")
    assert response.json["outcome"] == "paid (webhook)"


# --- expiry ---------------------------------------------------------------------------------------


def test_expired_session_releases_seat_and_promotes_waitlist(client, login, stripe_api, outbox):
    event = make_paid_event(capacity=1)
    holder = make_pending_registration(event)
    waiting = make_pending_registration(event, join_waitlist=True)
    db.session.commit()
    assert waiting.status == "waitlisted"
    _, payment = start_checkout(client, login, holder)
    outbox.clear()

    response = post_event(
        client, "checkout.session.expired", stripe_api.expire(payment.checkout_session_id)
    )

    assert response.json["outcome"] == "expired; seat released"
    assert fresh(Payment, payment.id).status == "expired"
    holder = fresh(Registration, holder.id)
    assert holder.status == "cancelled" and holder.holds_seat is False
    promoted = fresh(Registration, waiting.id)
    assert promoted.status == "pending_payment" and promoted.holds_seat is True
    assert fresh(Event, event.id).seats_taken == 1
    by_recipient = {}
    for m in outbox:
        by_recipient.setdefault(m["To"], []).append(m["Subject"])
    assert by_recipient[holder.user.email] == [f"Your registration for {event.title} is cancelled"]
    assert f"A place has come up for you at {event.title}" in by_recipient[promoted.user.email]


def test_expiry_event_for_a_session_still_open_at_stripe_is_ignored(
    client, login, pending, stripe_api
):
    _, payment = start_checkout(client, login, pending)
    forged = dict(stripe_api.sessions[payment.checkout_session_id], status="expired")
    response = post_event(client, "checkout.session.expired", forged)
    assert response.json["outcome"] == "ignored: session open/unpaid"
    assert fresh(Registration, pending.id).status == "pending_payment"


def test_payment_after_seat_released_is_refunded_automatically(
    client, login, pending, stripe_api, outbox
):
    from app.registration.services import release_registration

    _, payment = start_checkout(client, login, pending)
    registration = fresh(Registration, pending.id)
    release_registration(registration, None, reason="hold expired")
    db.session.commit()
    session = stripe_api.pay(payment.checkout_session_id)
    outbox.clear()

    response = post_event(client, "checkout.session.completed", session)

    assert response.json["outcome"] == "refunded automatically: registration cancelled"
    [refund] = stripe_api.calls("POST", "/v1/refunds")
    assert refund.params["amount"] == str(PRICE)
    assert refund.headers["idempotency-key"] == f"refund-{payment.idempotency_key}"
    assert fresh(Payment, payment.id).status == "refunded"
    assert fresh(Registration, pending.id).status == "cancelled"
    assert [m["Subject"] for m in outbox] == [
        f"Your payment for {registration.event.title} has been refunded"
    ]


# --- never trust the redirect ---------------------------------------------------------------------


def test_return_page_asks_stripe_and_confirms_without_webhook(client, login, pending, stripe_api):
    _, payment = start_checkout(client, login, pending)
    session_id = payment.checkout_session_id
    stripe_api.pay(session_id)
    # The redirect back from Stripe is a GET: it writes nothing and asks nobody.
    response = client.get(f"/payments/registrations/{pending.id}/return?session_id={session_id}")
    assert response.status_code == 302
    assert response.headers["Location"] == (
        f"/payments/registrations/{pending.id}?session_id={session_id}"
    )
    assert stripe_api.calls("GET", "/v1/checkout/sessions/") == []
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert fresh(Registration, pending.id).status == "pending_payment"
    assert f'name="session_id" value="{session_id}"' in page
    # The status page posts the session back; Stripe is asked and the place confirmed.
    response = client.post(
        f"/payments/registrations/{pending.id}/confirm", data={"session_id": session_id}
    )
    assert response.status_code == 302
    assert response.headers["Location"] == f"/payments/registrations/{pending.id}"
    assert fresh(Registration, pending.id).status == "confirmed"
    page = client.get(f"/payments/registrations/{pending.id}").get_data(as_text=True)
    assert "Payment received" in page and "£45.00 paid" in page


def test_confirm_answers_json_for_the_status_page(client, login, pending, stripe_api):
    _, payment = start_checkout(client, login, pending)
    stripe_api.pay(payment.checkout_session_id)
    response = client.post(
        f"/payments/registrations/{pending.id}/confirm",
        data={"session_id": payment.checkout_session_id},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 200
    assert response.json["registration_status"] == "confirmed"
    assert response.json["paid"] is True


def test_return_and_confirm_need_post_to_write(client, login, pending, stripe_api):
    _, payment = start_checkout(client, login, pending)
    stripe_api.pay(payment.checkout_session_id)
    url = f"/payments/registrations/{pending.id}/confirm?session_id={payment.checkout_session_id}"
    assert client.get(url).status_code == 405
    assert fresh(Registration, pending.id).status == "pending_payment"


def test_return_before_payment_shows_waiting_page_that_polls(client, login, pending, stripe_api):
    _, payment = start_checkout(client, login, pending)
    response = client.get(
        f"/payments/registrations/{pending.id}/return?session_id={payment.checkout_session_id}",
        follow_redirects=True,
    )
    html = response.get_data(as_text=True)
    assert "Waiting for Stripe to confirm your payment" in html
    assert 'data-waiting="true"' in html
    assert '<meta http-equiv="refresh" content="5">' in html
    assert fresh(Registration, pending.id).status == "pending_payment"

    status = client.get(f"/payments/registrations/{pending.id}/status.json").json
    assert status == {
        "registration_status": "pending_payment",
        "payment_status": "open",
        "amount_due_pence": PRICE,
        "amount_paid_pence": 0,
        "paid": False,
    }
    # The webhook lands; the next poll sees it.
    post_event(client, "checkout.session.completed", stripe_api.pay(payment.checkout_session_id))
    status = client.get(f"/payments/registrations/{pending.id}/status.json").json
    assert status["registration_status"] == "confirmed" and status["payment_status"] == "paid"
    page = client.get(f"/payments/registrations/{pending.id}").get_data(as_text=True)
    assert 'data-waiting="false"' in page and "refresh" not in page


def test_return_with_a_made_up_session_id_asks_nobody(client, login, pending, stripe_api):
    start_checkout(client, login, pending)
    response = client.post(
        f"/payments/registrations/{pending.id}/confirm", data={"session_id": "cs_fake"}
    )
    assert response.status_code == 302
    assert stripe_api.calls("GET", "/v1/checkout/sessions/") == []
    assert fresh(Registration, pending.id).status == "pending_payment"


def test_status_pages_are_private(client, login, pending, stripe_api):
    login(make_user())
    db.session.commit()
    assert client.get(f"/payments/registrations/{pending.id}").status_code == 404
    assert client.get(f"/payments/registrations/{pending.id}/status.json").status_code == 404
    assert (
        client.get(f"/payments/registrations/{pending.id}/return?session_id=x").status_code == 404
    )
    confirm = f"/payments/registrations/{pending.id}/confirm"
    response = client.post(confirm, data={"session_id": "x"})
    assert response.status_code == 404


def test_webhook_racing_the_return_confirms_once(app, client, login, pending, stripe_api, outbox):
    """Both ask Stripe at the same moment (the fake holds both answers for 0.3 s), then both
    try to confirm: the row lock lets exactly one do it."""
    _, payment = start_checkout(client, login, pending)
    session = stripe_api.pay(payment.checkout_session_id)
    stripe_api.delays["GET /v1/checkout/sessions/"] = 0.3
    outbox.clear()
    delegate_client = client
    stripe_client = app.test_client()
    results: dict[str, int] = {}
    barrier = threading.Barrier(2)

    def webhook():
        barrier.wait()
        results["webhook"] = post_event(
            stripe_client, "checkout.session.completed", session
        ).status_code

    def redirect():
        barrier.wait()
        results["return"] = delegate_client.post(
            f"/payments/registrations/{pending.id}/confirm", data={"session_id": session["id"]}
        ).status_code

    threads = [threading.Thread(target=webhook), threading.Thread(target=redirect)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)

    assert results == {"webhook": 200, "return": 302}
    assert len(stripe_api.calls("GET", f"/v1/checkout/sessions/{session['id']}")) == 2
    assert paid_logs(pending.id) == 1
    assert (
        count(
            RegistrationLog,
            RegistrationLog.registration_id == pending.id,
            RegistrationLog.action == "confirmed",
        )
        == 1
    )
    assert (
        count(EmailLog, EmailLog.registration_id == pending.id, EmailLog.kind == "confirmation")
        == 1
    )
    assert len(outbox) == 1
    assert fresh(Payment, payment.id).status == "paid"
    assert stripe_api.calls("POST", "/v1/refunds") == []


def test_same_event_delivered_twice_at_once_is_applied_once(
    app, client, login, pending, stripe_api
):
    """Stripe retries while the first delivery is still running: both pass the "seen?" check
    while Stripe is being asked, then the unique event id lets one through."""
    _, payment = start_checkout(client, login, pending)
    session = stripe_api.pay(payment.checkout_session_id)
    stripe_api.delays["GET /v1/checkout/sessions/"] = 0.3
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def deliver():
        c = app.test_client()
        barrier.wait()
        response = post_event(c, "checkout.session.completed", session, "evt_twice")
        assert response.status_code == 200
        outcomes.append(response.json["outcome"])

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)

    assert sorted(outcomes) == ["duplicate: already processed", "paid (webhook)"]
    assert len(stripe_api.calls("GET", f"/v1/checkout/sessions/{session['id']}")) == 2
    assert paid_logs(pending.id) == 1
    assert count(StripeEvent) == 1


# --- refunds --------------------------------------------------------------------------------------


def paid_registration(client, login, stripe_api, event=None):
    registration = make_pending_registration(event)
    db.session.commit()
    _, payment = start_checkout(client, login, registration)
    session = stripe_api.pay(payment.checkout_session_id)
    assert post_event(client, "checkout.session.completed", session).status_code == 200
    return fresh(Registration, registration.id), fresh(Payment, payment.id)


def test_organiser_refund_refunds_at_stripe_frees_seat_and_promotes(
    client, login, stripe_api, outbox
):
    event = make_paid_event(capacity=1)
    registration, payment = paid_registration(client, login, stripe_api, event)
    waiting = make_pending_registration(event, join_waitlist=True)
    organiser = make_user(Role.ORGANISER)
    db.session.commit()
    outbox.clear()
    login(organiser)

    page = client.get(f"/organiser/registrations/{registration.id}/refund")
    assert page.status_code == 200 and "Refund £45.00" in page.get_data(as_text=True)
    response = client.post(
        f"/organiser/registrations/{registration.id}/refund", data={"confirm": "y"}
    )

    assert response.status_code == 302
    assert response.headers["Location"] == f"/organiser/events/{event.id}/revenue"
    [call] = stripe_api.calls("POST", "/v1/refunds")
    assert call.params["payment_intent"] == payment.payment_intent_id
    assert call.params["amount"] == str(PRICE)
    assert call.headers["idempotency-key"] == f"refund-{payment.idempotency_key}"
    payment = fresh(Payment, payment.id)
    assert (payment.status, payment.refunded_pence) == ("refunded", PRICE)
    assert payment.refund_id.startswith("re_")
    registration = fresh(Registration, registration.id)
    assert registration.status == "refunded" and registration.holds_seat is False
    assert fresh(Registration, waiting.id).status == "pending_payment"
    assert fresh(Event, event.id).seats_taken == 1
    subjects = {m["To"]: m["Subject"] for m in outbox}
    assert subjects[registration.user.email] == (f"Your registration for {event.title} is refunded")

    # Stripe then tells us about the refund: already done, nothing changes.
    charge = stripe_api.charge_for(stripe_api.sessions[payment.checkout_session_id]["id"])
    again = post_event(client, "charge.refunded", charge)
    assert again.json["outcome"] == "already refunded"
    # And a second refund attempt is refused without calling Stripe.
    second = client.post(
        f"/organiser/registrations/{registration.id}/refund", data={"confirm": "y"}
    )
    assert second.status_code == 409
    assert len(stripe_api.calls("POST", "/v1/refunds")) == 1


def test_refund_needs_the_confirmation_box(client, login, stripe_api):
    registration, payment = paid_registration(client, login, stripe_api)
    login(make_user(Role.ORGANISER))
    db.session.commit()
    response = client.post(f"/organiser/registrations/{registration.id}/refund", data={})
    assert response.status_code == 400
    assert "Tick the box" in response.get_data(as_text=True)
    assert stripe_api.calls("POST", "/v1/refunds") == []
    assert fresh(Registration, registration.id).status == "confirmed"


def test_refund_is_for_organisers_only(client, login, stripe_api):
    registration, _ = paid_registration(client, login, stripe_api)
    response = client.post(
        f"/organiser/registrations/{registration.id}/refund", data={"confirm": "y"}
    )
    assert response.status_code == 403
    assert stripe_api.calls("POST", "/v1/refunds") == []


def test_refund_when_stripe_refuses_keeps_the_registration(client, login, stripe_api):
    registration, payment = paid_registration(client, login, stripe_api)
    login(make_user(Role.ORGANISER))
    db.session.commit()
    stripe_api.fail_with = 402
    response = client.post(
        f"/organiser/registrations/{registration.id}/refund", data={"confirm": "y"}
    )
    assert response.status_code == 409
    assert fresh(Registration, registration.id).status == "confirmed"
    assert fresh(Payment, payment.id).status == "paid"


def test_refund_in_stripe_dashboard_refunds_registration(client, login, stripe_api, outbox):
    registration, payment = paid_registration(client, login, stripe_api)
    seats = fresh(Event, registration.event_id).seats_taken
    charge = stripe_api.refund_in_dashboard(
        stripe_api.charge_for(payment.checkout_session_id)["id"]
    )

    response = post_event(client, "charge.refunded", charge)

    assert response.json["outcome"] == "refunded; seat freed"
    assert stripe_api.calls("GET", f"/v1/charges/{charge['id']}")
    assert fresh(Registration, registration.id).status == "refunded"
    assert fresh(Payment, payment.id).status == "refunded"
    assert fresh(Event, registration.event_id).seats_taken == seats - 1


def test_partial_refund_in_dashboard_keeps_the_place(client, login, stripe_api):
    registration, payment = paid_registration(client, login, stripe_api)
    charge = stripe_api.charge_for(payment.checkout_session_id)
    charge["amount_refunded"] = 1000
    response = post_event(client, "charge.refunded", dict(charge))
    assert response.json["outcome"] == "partial refund of 1000 recorded"
    assert fresh(Registration, registration.id).status == "confirmed"
    assert fresh(Payment, payment.id).refunded_pence == 1000


# --- revenue --------------------------------------------------------------------------------------


def test_revenue_per_ticket_type(client, login, stripe_api, count_queries):
    from app.events.models import TicketType
    from app.registration.services import mark_paid

    event = make_paid_event(capacity=20)
    dinner = event.ticket_types[0]
    dinner.name = "Dinner"
    free = TicketType(event_id=event.id, name="Delegate", price_pence=0, position=1)
    db.session.add(free)
    db.session.commit()
    paid_registration(client, login, stripe_api, event)  # card, £45
    refunded, _ = paid_registration(client, login, stripe_api, event)
    invoice = make_pending_registration(event)
    organiser = make_user(Role.ORGANISER)
    mark_paid(invoice, organiser, amount_pence=PRICE)
    make_pending_registration(event)  # awaiting payment
    user = make_user(organisation=make_organisation())
    from app.registration.services import register_delegate

    register_delegate(user, event, free)
    db.session.commit()
    login(organiser)
    client.post(f"/organiser/registrations/{refunded.id}/refund", data={"confirm": "y"})

    with count_queries() as queries:
        response = client.get(f"/organiser/events/{event.id}/revenue")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    from app.payments.revenue import revenue_by_ticket_type

    rows = {r.ticket_type.name: r for r in revenue_by_ticket_type(fresh(Event, event.id))}
    dinner_row = rows["Dinner"]
    assert (
        dinner_row.paid_count,
        dinner_row.awaiting_count,
        dinner_row.refunded_count,
        dinner_row.gross_pence,
        dinner_row.refunded_pence,
        dinner_row.net_pence,
    ) == (2, 1, 1, 3 * PRICE, PRICE, 2 * PRICE)
    assert (rows["Delegate"].paid_count, rows["Delegate"].net_pence) == (0, 0)
    assert '<div class="fs-4" id="net-total">£90.00</div>' in html
    # The free ticket's price says Free; its sums are figures, not "Free".
    delegate_row = html[html.index("<td>Delegate") :].split("</tr>")[0]
    assert delegate_row.count("£0.00") == 3 and delegate_row.count("Free") == 1
    assert len(queries) <= 8  # fixed, whatever the number of payments


def test_revenue_is_for_organisers_only(client, login, stripe_api):
    event = make_paid_event()
    user = make_user()
    db.session.commit()
    login(user)
    assert client.get(f"/organiser/events/{event.id}/revenue").status_code == 403
