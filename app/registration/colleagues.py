"""Colleagues: a delegate sends a colleague instead, or books a place for one as well.

Passing on a place moves it whole (its seat, payment, status and workshop bookings), so nobody
else's chances change; the ticket gets a new secret, so the old QR code admits nobody. Booking
for a colleague is an ordinary registration in their name, under the same rules as their own.
Either way only someone from the delegate's business qualifies (its benchmark counts for them),
and an address without an account gets one, in that business, with an email on signing in.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from app import signals
from app.auth.models import User
from app.auth.services import (
    create_invited_user,
    find_or_create_organisation,
    find_user_by_email,
)
from app.extensions import db
from app.questions.services import clear_answers
from app.registration import emails
from app.registration.labels import status_label
from app.registration.models import ENDED, Registration, RegistrationStatus, SessionBooking
from app.registration.seats import (
    RegistrationError,
    event_reminder_window,
    has_valid_benchmark,
    live_registration,
    log_action,
)
from app.registration.services import (
    confirm_pending_benchmark,
    issue_registration,
    register_delegate,
)
from app.registration.tickets import new_ticket_secret
from app.registration.waitlist import waitlist_position
from app.timeutil import utcnow

S = RegistrationStatus
# The email the new holder gets: the one they would have had on registering themselves.
ARRIVAL_EMAIL = {
    S.CONFIRMED: "confirmation",
    S.PENDING_BENCHMARK: "pending_benchmark",
    S.PENDING_PAYMENT: "pending_payment",
    S.WAITLISTED: "waitlisted",
    S.AWAITING_HOST: "awaiting_host",
}


def _colleague(delegate: User, email: str, name: str | None) -> tuple[User, bool]:
    """The colleague with `email`, or a new account for them in the delegate's business;
    and whether it is new. RegistrationError when the address belongs to someone else's."""
    if delegate.organisation_id is None:
        raise RegistrationError(
            "Tell us which business you are from first: this is for colleagues."
        )
    colleague = find_user_by_email(email)
    if colleague is None:
        if not name:
            raise RegistrationError(
                "Give your colleague's name: this email address has no account yet."
            )
        if not delegate.is_business_admin:
            # A new account would join the business: that is for its admins to grant.
            raise RegistrationError(
                f"Only an admin of {delegate.organisation.name} can add someone new to the "
                "business. Ask an admin, or ask your colleague to create an account and join."
            )
        colleague = create_invited_user(email, name, organisation=delegate.organisation)
        return colleague, True
    if colleague.id == delegate.id:
        raise RegistrationError("That is your own email address.")
    if colleague.organisation_id != delegate.organisation_id:
        # Never the owner's name: the form must not tell who holds an address.
        raise RegistrationError(
            f"That address does not belong to a colleague at {delegate.organisation.name}. Only a "
            "colleague qualifies; the organisers can help otherwise."
        )
    return colleague, False


def _invite(registration: Registration) -> None:
    emails.send_registration_email(
        registration,
        "account_invitation",
        extra={"set_password_url": emails.url("auth.request_reset")},
    )


def register_colleague(
    delegate: User,
    event,
    ticket_type,
    email: str,
    name: str | None = None,
    *,
    join_waitlist: bool = False,
    now: datetime | None = None,
) -> Registration:
    """Book a place in a colleague's name: their registration, their ticket and emails, under
    the rules and seat guarantee of their own. Raises RegistrationError (EventFullError when
    full), having changed nothing."""
    colleague, invited = _colleague(delegate, email, name)
    existing = live_registration(colleague.id, event.id)
    if existing is not None:
        raise RegistrationError(
            f"{colleague.name} is already registered for {event.title} "
            f"({status_label(existing.status)})."
        )
    registration = register_delegate(
        colleague, event, ticket_type, now=now, join_waitlist=join_waitlist, actor=delegate
    )
    if invited:
        _invite(registration)
    return registration


def register_on_behalf(
    actor: User,
    event,
    ticket_type,
    email: str,
    name: str | None = None,
    organisation_name: str | None = None,
    *,
    complimentary: bool = False,
) -> Registration:
    """An organiser registers someone (see services.issue_registration); an address without
    an account gets one, in the business named, with an email on signing in."""
    user = find_user_by_email(email)
    invited = user is None
    if invited:
        if not name:
            raise RegistrationError("Give their name: this email address has no account yet.")
        organisation = find_or_create_organisation(organisation_name) if organisation_name else None
        user = create_invited_user(email, name, organisation=organisation)
    registration = issue_registration(actor, event, ticket_type, user, complimentary=complimentary)
    if invited:
        _invite(registration)
    return registration


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
    colleague, invited = _colleague(owner, email, name)
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
    # The answers (dietary, access needs) were the previous holder's; the colleague gives theirs.
    clear_answers(registration)
    log_action(registration, "transferred", actor, f"from {owner.name} to {colleague.name}")
    arrival = {"passed_on_by": owner.name}
    if registration.status == S.WAITLISTED:
        arrival["position"] = waitlist_position(registration)
    emails.send_registration_email(registration, ARRIVAL_EMAIL[registration.status], extra=arrival)
    if invited:
        _invite(registration)
    emails.send_registration_email(
        registration, "transferred", extra={"recipient": owner, "colleague_name": colleague.name}
    )
    db.session.flush()
    return colleague


def _on_membership_granted(sender, **kwargs) -> None:
    # A new member's places that waited on the benchmark go ahead on the business's own.
    if has_valid_benchmark(sender.id):
        confirm_pending_benchmark(sender, kwargs.get("actor"))


signals.membership_granted.connect(_on_membership_granted)
