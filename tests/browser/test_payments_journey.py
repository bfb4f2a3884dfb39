"""In Chromium: the page a delegate lands on after paying waits for Stripe's webhook and
updates by itself when it arrives (the redirect alone never confirms)."""

import os

import pytest

from app.extensions import db
from tests.factories import PASSWORD
from tests.factories_payments import checkout, make_pending_registration
from tests.fakes.stripe_api import event_body, running_fake, sign

pytestmark = [
    pytest.mark.browser,
    pytest.mark.config(STRIPE_SECRET_KEY="sk_test_x", STRIPE_WEBHOOK_SECRET="whsec_test"),
]


@pytest.fixture
def stripe_api(app):
    yield from running_fake(app)


def test_waiting_page_turns_to_paid_when_the_webhook_lands(app, page, stripe_api, artifacts_dir):
    registration = make_pending_registration()
    payment = checkout(registration)
    db.session.commit()
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/auth/login")
    page.get_by_label("Email").fill(registration.user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/")

    page.goto(f"/payments/registrations/{registration.id}")
    page.get_by_text("Waiting for Stripe to confirm your payment").wait_for()
    page.screenshot(path=os.path.join(artifacts_dir, "payment-waiting-phone.png"), full_page=True)

    session = stripe_api.pay(payment.checkout_session_id)
    body = event_body("checkout.session.completed", session)
    response = app.test_client().post(
        "/payments/stripe/webhook", data=body, headers={"Stripe-Signature": sign(body)}
    )
    assert response.status_code == 200

    # No click, no reload by the test: the page polls and reloads itself.
    page.get_by_text("Payment received").wait_for(timeout=15_000)
    assert "£45.00 paid" in page.content()
    assert "Your place is confirmed" in page.content()
    page.screenshot(path=os.path.join(artifacts_dir, "payment-received-phone.png"), full_page=True)
