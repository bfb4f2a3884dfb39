"""Who scans where: organisers assign door staff to an event, new addresses get an account."""

from __future__ import annotations

from flask import render_template
from sqlalchemy import select

from app import mail
from app.auth.models import Role, User
from app.auth.services import create_invited_user
from app.checkin.errors import CheckinError, CheckinForbidden
from app.checkin.models import EventStaff
from app.events.models import Event
from app.extensions import db
from app.registration.emails import queue, url


def assign_door_staff(event: Event, actor: User, email: str, name: str | None = None) -> User:
    """Let an account scan at `event`; a new address with a name gets a door-staff account
    and an email on choosing a password and opening the scanner (sent after COMMIT)."""
    if not actor.is_organiser:
        raise CheckinForbidden("Only organisers assign door staff.")
    user = db.session.execute(
        select(User).where(User.email == User.normalise_email(email or ""))
    ).scalar_one_or_none()
    if user is None:
        if not name:
            raise CheckinError("No account with that email: give their name to create one.")
        user = create_invited_user(email, name, role=Role.DOOR_STAFF)
        db.session.add(EventStaff(event_id=event.id, user_id=user.id))
        db.session.flush()
        _invite_door_staff(event, user)
        return user
    if not user.has_role("door_staff", "organiser"):
        raise CheckinError(f"{user.name} is not a door staff account.")
    if db.session.get(EventStaff, (event.id, user.id)) is not None:
        raise CheckinError(f"{user.name} is already door staff for this event.")
    db.session.add(EventStaff(event_id=event.id, user_id=user.id))
    db.session.flush()
    return user


def _invite_door_staff(event: Event, user: User) -> None:
    ctx = {
        "user": user,
        "event": event,
        "set_password_url": url("auth.request_reset"),
        "scanner_url": url("checkin.scanner", slug=event.slug),
    }
    queue(
        mail.build_message(
            user.email,
            f"You are door staff for {event.title}",
            render_template("checkin/email/door_staff_invitation.txt", **ctx),
            render_template("checkin/email/door_staff_invitation.html", **ctx),
        ),
        kind="door_staff_invitation",
        user_id=user.id,
        event_id=event.id,
    )


def unassign_door_staff(event: Event, actor: User, user_id: int) -> User:
    if not actor.is_organiser:
        raise CheckinForbidden("Only organisers assign door staff.")
    link = db.session.get(EventStaff, (event.id, user_id))
    if link is None:
        raise CheckinError("That person is not door staff for this event.")
    user = link.user
    db.session.delete(link)
    db.session.flush()
    return user


def door_staff_of(event: Event) -> list[User]:
    return list(
        db.session.execute(
            select(User)
            .join(EventStaff, EventStaff.user_id == User.id)
            .where(EventStaff.event_id == event.id)
            .order_by(User.name)
        ).scalars()
    )


def assignable_staff(event: Event) -> list[User]:
    """Door staff accounts not yet assigned to the event."""
    assigned = select(EventStaff.user_id).where(EventStaff.event_id == event.id)
    return list(
        db.session.execute(
            select(User)
            .where(User.role == "door_staff", User.active.is_(True), User.id.not_in(assigned))
            .order_by(User.name)
        ).scalars()
    )
