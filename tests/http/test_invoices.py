"""Invoices for paid tickets, which become receipts once paid; what was paid is shown."""

import pytest
from sqlalchemy import select

from app.extensions import db
from app.registration import services
from app.registration.models import Registration
from tests.factories import make_event, make_user
from tests.factories_registration import make_delegate


def _paid_registration(price=4500):
    event = make_event(title="Dinner", price_pence=price, requires_benchmark=False)
    delegate = make_delegate(name="Dee Delegate")
    registration = services.register_delegate(delegate, event, event.ticket_types[0])
    return registration


@pytest.mark.config(
    INVOICE_ISSUER="Anglia Productivity Programme",
    INVOICE_ADDRESS="1 Innovation Way; Norwich; NR4 7TJ",
    INVOICE_VAT_NUMBER="GB123456789",
    INVOICE_PAYMENT_DETAILS="Sort code 00-00-00, account 12345678.",
)
def test_the_invoice_becomes_a_receipt_once_paid(client, login, outbox):
    registration = _paid_registration()
    login(registration.user)
    db.session.commit()
    url = f"/me/registrations/{registration.id}/invoice"
    # The pending-payment email points to the invoice.
    [pending] = outbox
    assert f"http://localhost{url}" in pending.get_body(("plain",)).get_content()

    page = client.get(url).get_data(as_text=True)
    number = f"JRN-{registration.id:06d}"
    assert '<h1 class="h3 mb-1">Invoice</h1>' in page and number in page
    assert "Anglia Productivity Programme" in page and "NR4 7TJ" in page
    assert "VAT no. GB123456789" in page and "£45.00" in page
    assert "Sort code 00-00-00" in page and "please pay by then" in page
    assert "Dee Delegate" in page

    organiser = make_user("organiser")
    db.session.commit()
    registration = db.session.get(Registration, registration.id)
    services.mark_paid(registration, organiser, amount_pence=4500)
    db.session.commit()
    outbox.clear()
    page = client.get(url).get_data(as_text=True)
    assert '<h1 class="h3 mb-1">Receipt</h1>' in page and "Sort code" not in page
    assert "Paid " in page
    # The ticket page and the confirmation show what was paid.
    assert "paid £45.00" in client.get("/me/tickets").get_data(as_text=True)


def test_the_confirmation_email_says_what_was_paid(app, outbox):
    registration = _paid_registration(price=2500)
    organiser = make_user("organiser")
    db.session.commit()
    outbox.clear()
    services.mark_paid(registration, organiser, amount_pence=2500)
    db.session.commit()
    [confirmation] = outbox
    text = confirmation.get_body(("plain",)).get_content()
    assert "You paid £25.00" in text
    assert f"/me/registrations/{registration.id}/invoice" in text


def test_only_the_delegate_and_organisers_see_an_invoice(client, login):
    registration = _paid_registration()
    free = make_event(requires_benchmark=False)
    free_registration = services.register_delegate(registration.user, free, free.ticket_types[0])
    other = make_user()
    organiser = make_user("organiser")
    db.session.commit()
    url = f"/me/registrations/{registration.id}/invoice"
    assert client.get(url).status_code == 302  # sign in first
    login(other)
    assert client.get(url).status_code == 404
    login(organiser)
    assert client.get(url).status_code == 200
    login(registration.user)
    assert client.get(f"/me/registrations/{free_registration.id}/invoice").status_code == 404
    assert client.get("/me/registrations/99999/invoice").status_code == 404
    assert db.session.execute(select(Registration.status).where(
        Registration.id == registration.id)).scalar_one() == "pending_payment"  # fmt: skip
