"""Factories for payment tests: a paid event and a delegate holding a seat, awaiting payment."""

from __future__ import annotations

from app.events.models import Event
from app.extensions import db
from app.registration.models import Registration
from app.registration.services import register_delegate
from tests.factories import make_event, make_organisation, make_user

PRICE = 4500  # £45.00, the dinner


def make_paid_event(price_pence: int = PRICE, capacity: int = 10, **kw) -> Event:
    kw.setdefault("requires_benchmark", False)
    return make_event(price_pence=price_pence, capacity=capacity, **kw)


def make_pending_registration(event: Event | None = None, user=None, **kw) -> Registration:
    """A delegate registered for a paid ticket: pending_payment, seat held."""
    event = event or make_paid_event()
    user = user or make_user(organisation=make_organisation())
    registration = register_delegate(user, event, event.ticket_types[0], **kw)
    db.session.flush()
    return registration


def checkout(registration: Registration, actor=None, now=None, session_minutes: int = 30, **urls):
    """The two steps the checkout view takes, with its commit between them (no row lock is
    held while Stripe is called)."""
    from app.payments import services

    actor = actor or registration.user
    plan = services.prepare_checkout(registration, actor, now=now, session_minutes=session_minutes)
    db.session.commit()
    urls.setdefault("success_url", "http://localhost/ok?session_id={CHECKOUT_SESSION_ID}")
    urls.setdefault("cancel_url", "http://localhost/cancel")
    return services.open_checkout(plan, actor, now=now, **urls)
