"""Without Stripe keys the app still runs: paid tickets are paid by invoice."""

from __future__ import annotations

from sqlalchemy import func, select

from app.auth.models import Role
from app.extensions import db
from app.payments.models import Payment, StripeEvent
from app.registration.services import mark_paid
from tests.factories import make_user
from tests.factories_payments import PRICE, make_pending_registration
from tests.fakes.stripe_api import event_body, sign


def test_checkout_says_pay_by_invoice_and_creates_nothing(app, client, login):
    registration = make_pending_registration()
    db.session.commit()
    login(registration.user)

    response = client.post(f"/payments/checkout/{registration.id}", follow_redirects=True)

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Pay by invoice" in html and "£45.00" in html
    assert f"quoting the reference <strong>JRN-{registration.id:06d}</strong>" in html
    assert f'href="/me/registrations/{registration.id}/invoice">View and print the invoice' in html
    assert "Pay £45.00 by card" not in html
    assert db.session.execute(select(func.count()).select_from(Payment)).scalar_one() == 0


def test_webhook_answers_503_until_configured(app, client):
    body = event_body("checkout.session.completed", {"id": "cs_1", "object": "checkout.session"})
    response = client.post(
        "/payments/stripe/webhook", data=body, headers={"Stripe-Signature": sign(body)}
    )
    assert response.status_code == 503
    assert response.json["message"] == "Card payments are not configured."
    assert db.session.execute(select(func.count()).select_from(StripeEvent)).scalar_one() == 0


def test_invoice_payment_shows_on_status_and_revenue(app, client, login):
    registration = make_pending_registration()
    organiser = make_user(Role.ORGANISER)
    mark_paid(registration, organiser, amount_pence=PRICE)
    db.session.commit()
    login(registration.user)
    page = client.get(f"/payments/registrations/{registration.id}").get_data(as_text=True)
    assert "Payment received" in page and "£45.00 paid" in page

    login(organiser)
    revenue = client.get(f"/organiser/events/{registration.event_id}/revenue")
    html = revenue.get_data(as_text=True)
    assert revenue.status_code == 200
    assert "Card payments are off (no Stripe keys)" in html
    assert '<div class="fs-4" id="net-total">£45.00</div>' in html
    assert "No card payments yet." in html


def test_organiser_refunds_an_invoice_payment(app, client, login):
    registration = make_pending_registration()
    organiser = make_user(Role.ORGANISER)
    mark_paid(registration, organiser, amount_pence=PRICE)
    db.session.commit()
    login(organiser)
    page = client.get(f"/organiser/registrations/{registration.id}/refund")
    assert "Invoice: return the money by hand" in page.get_data(as_text=True)
    response = client.post(
        f"/organiser/registrations/{registration.id}/refund", data={"confirm": "y"}
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert registration.status == "refunded" and registration.holds_seat is False


def test_refund_of_unknown_registration_is_404(app, client, login):
    login(make_user(Role.ORGANISER))
    db.session.commit()
    assert client.get("/organiser/registrations/99999/refund").status_code == 404
    assert client.get("/payments/registrations/99999").status_code == 404


def test_registration_page_offers_refund_only_once_paid(app, client, login):
    registration = make_pending_registration()
    organiser = make_user(Role.ORGANISER)
    db.session.commit()
    login(organiser)
    link = f'href="/organiser/registrations/{registration.id}/refund"'
    assert link not in client.get(f"/organiser/registrations/{registration.id}").get_data(
        as_text=True
    )
    mark_paid(db.session.merge(registration), organiser, amount_pence=PRICE)
    db.session.commit()
    page = client.get(f"/organiser/registrations/{registration.id}")
    assert page.status_code == 200
    assert link in page.get_data(as_text=True)
