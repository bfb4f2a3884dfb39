"""After an event ends, each confirmed delegate who has not given feedback is asked once."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from app.events.models import Event, EventStatus
from app.extensions import db
from app.feedback.models import Feedback, FeedbackInvitation
from app.feedback.services import OPEN_DAYS_AFTER
from app.registration.emails import send_templated, url
from app.registration.models import Registration
from app.registration.models import RegistrationStatus as S
from app.timeutil import utcnow

# Events that ended longer ago than this are not chased (nor, on a first run, anyone's past).
INVITE_WITHIN = timedelta(days=7)


def send_feedback_invitations(now: datetime | None = None) -> int:
    """Queue the invitations now due (sent after COMMIT); returns how many. Idempotent."""
    now = now or utcnow()
    sent = 0
    for registration in due_invitations(now):
        if claim(registration, now):
            _invite(registration)
            sent += 1
    return sent


def due_invitations(now: datetime) -> list[Registration]:
    """Confirmed registrations of events that ended in the last week, not yet asked (1 query)."""
    return list(
        db.session.execute(
            select(Registration)
            .join(Event, Event.id == Registration.event_id)
            .where(
                Registration.status == S.CONFIRMED,
                Event.status == EventStatus.PUBLISHED,
                Event.ends_at <= now,
                Event.ends_at > now - INVITE_WITHIN,
                ~exists().where(FeedbackInvitation.registration_id == Registration.id),
                ~exists().where(Feedback.registration_id == Registration.id),
            )
            .options(joinedload(Registration.user), joinedload(Registration.event))
            .order_by(Registration.id)
        ).scalars()
    )


def claim(registration: Registration, now: datetime) -> bool:
    """True if this round may send the invitation; False if another machine already did."""
    try:
        with db.session.begin_nested():
            db.session.add(FeedbackInvitation(registration_id=registration.id, sent_at=now))
    except IntegrityError:
        return False
    return True


def _invite(registration: Registration) -> None:
    event, user = registration.event, registration.user
    send_templated(
        user,
        f"How was {event.title}? Two minutes of feedback",
        "feedback/email/invitation",
        "feedback_invitation",
        registration_id=registration.id,
        event_id=event.id,
        event=event,
        feedback_url=url("feedback.give", slug=event.slug),
        closes_at=event.ends_at + timedelta(days=OPEN_DAYS_AFTER),
        tickets_url=url("registration.my_tickets"),
        event_url=url("events.event_detail", slug=event.slug),
    )
