"""Sending a colleague instead: a delegate hands their place to someone from the same business.

The place moves whole (its seat, payment, status and workshop bookings), so nobody else's
chances change; the ticket gets a new secret, so the old QR code admits nobody. Only a
colleague can take it: the business's benchmark already counts for them.
"""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from app.auth.models import User
from app.auth.services import create_user, find_user_by_email
from app.extensions import db
from app.registration import emails
from app.registration.models import ENDED, Registration, RegistrationStatus, SessionBooking
from app.registration.services import (
    RegistrationError,
    _log,
    event_reminder_window,
    live_registration,
    status_label,
    waitlist_position,
)
from app.registration.tickets import new_ticket_secret
from app.timeutil import utcnow

S = RegistrationStatus
# The email the new holder gets: the one they would have had on registering themselves.
ARRIVAL_EMAIL = {
    S.CONFIRMED: "confirmation",
    S.PENDING_BENCHMARK: "pending_benchmark",
    S.PENDING_PAYMENT: "pending_payment",
    S.WAITLISTED: "waitlisted",
}


def transfer_registration(
    registration: Registration,
    actor: User,
    email: str,
    name: str | None = None,
    *,
    now: datetime | None = None,
) -> User:
    """Give `registration` to the colleague with `email` (a new account when there is none and
    `name` is given). Returns the colleague; RegistrationError, with nothing changed, if not."""
    now = now or utcnow()
    owner = registration.user
    event = registration.event
    if actor.id != owner.id and not actor.is_organiser:
        raise RegistrationError("You can only pass on your own place.")
    if registration.status in ENDED:
        raise RegistrationError("This registration is cancelled, so there is no place to pass on.")
    if event.starts_at <= now:
        raise RegistrationError("The event has started; please speak to the organisers.")
    if owner.organisation_id is None:
        raise RegistrationError(
            "Tell us which business you are from first: only a colleague can take your place."
        )
    colleague = find_user_by_email(email)
    if colleague is None:
        if not name:
            raise RegistrationError(
                "Give your colleague's name: this email address has no account yet."
            )
        # They choose their own password through the reset page; this one is never told.
        colleague = create_user(
            email, name, secrets.token_urlsafe(32), organisation=owner.organisation
        )
        invited = True
    else:
        invited = False
        if colleague.id == owner.id:
            raise RegistrationError("That is your own email address.")
        if colleague.organisation_id != owner.organisation_id:
            raise RegistrationError(
                f"{colleague.name} is not from {owner.organisation.name}. Only a colleague "
                "can take your place; the organisers can help otherwise."
            )
        existing = live_registration(colleague.id, event.id)
        if existing is not None:
            raise RegistrationError(
                f"{colleague.name} is already registered for {event.title} "
                f"({status_label(existing.status)})."
            )

    try:
        claimed = db.session.execute(
            update(Registration)
            .where(
                Registration.id == registration.id,
                Registration.user_id == owner.id,
                Registration.status == registration.status,
            )
            .values(
                user_id=colleague.id,
                active_user_id=colleague.id,
                ticket_secret=new_ticket_secret() if registration.ticket_secret else None,
                # The new holder has had no reminder; inside the window their confirmation
                # stands in for it.
                event_reminder_sent_at=None
                if event.starts_at - now > event_reminder_window()
                else now,
            )
            .execution_options(synchronize_session=False)
        )
        if claimed.rowcount != 1:
            raise RegistrationError("This registration changed meanwhile; reload and try again.")
        db.session.execute(
            update(SessionBooking)
            .where(
                SessionBooking.registration_id == registration.id,
                SessionBooking.active_user_id.is_not(None),
            )
            .values(user_id=colleague.id, active_user_id=colleague.id)
            .execution_options(synchronize_session=False)
        )
    except IntegrityError:
        # The colleague registered for the event at this very moment: theirs stands.
        db.session.rollback()
        raise RegistrationError(
            f"{colleague.name} is already registered for {event.title}."
        ) from None
    db.session.refresh(registration)
    _log(registration, "transferred", actor, f"from {owner.name} to {colleague.name}")
    arrival = {"passed_on_by": owner.name}
    if registration.status == S.WAITLISTED:
        arrival["position"] = waitlist_position(registration)
    emails.send_registration_email(registration, ARRIVAL_EMAIL[registration.status], extra=arrival)
    if invited:
        emails.send_registration_email(
            registration,
            "account_invitation",
            extra={"set_password_url": emails.url("auth.request_reset")},
        )
    emails.send_registration_email(
        registration, "transferred", extra={"recipient": owner, "colleague_name": colleague.name}
    )
    db.session.flush()
    return colleague
