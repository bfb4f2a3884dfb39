"""The door list: what a scanner keeps on the device to judge tickets with no signal.

Each entry carries `code_hash`, the SHA-256 of the ticket code as the QR encodes it, never the
code: a lost phone holds nothing that gets anyone in. The scanner hashes what it reads and
looks the hash up.

The version is a time (milliseconds since 1970, UTC) up to which the list is certainly
complete: when the list was made, less SETTLE, so that a change stamped just before then but
committed a moment later by a slower transaction still comes with the next delta. A scanner
asks for the registrations and bookings changed since the version it holds. Entries are keyed
by registration, so receiving one twice is harmless.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from datetime import datetime, timedelta

from sqlalchemy import or_, select

from app.auth.models import Organisation, User
from app.checkin.services import checkin_points
from app.events.models import AgendaSession, Event
from app.extensions import db
from app.questions.models import RegistrationAnswer, RegistrationQuestion
from app.questions.services import access_needs_of
from app.registration.models import Registration, SessionBooking
from app.timeutil import utcnow

SETTLE = timedelta(minutes=2)
_EPOCH = datetime(1970, 1, 1)


def code_hash(code: str) -> str:
    """Lower-case hex SHA-256 of the ticket code exactly as the QR encodes it."""
    return hashlib.sha256(code.encode()).hexdigest()


def _version_of(value: datetime | None) -> int:
    return 0 if value is None else (value - _EPOCH) // timedelta(milliseconds=1)


def _time_of(version: int) -> datetime:
    return _EPOCH + timedelta(milliseconds=version)


def door_list(event: Event, since: int | None = None, now: datetime | None = None) -> dict:
    """The event's door list (every registration, whatever its status, so the door can say
    why someone cannot come in), or only what changed since the version `since`. A fixed
    number of queries whatever the size of the event."""
    now = now or utcnow()
    changed_booking = (
        select(SessionBooking.registration_id)
        .join(AgendaSession, AgendaSession.id == SessionBooking.session_id)
        .where(AgendaSession.event_id == event.id)
    )
    query = (
        select(
            Registration.id,
            Registration.ticket_secret,
            Registration.status,
            Registration.updated_at,
            User.name,
            Organisation.name,
            Registration.ticket_type_id,
        )
        .join(User, User.id == Registration.user_id)
        .outerjoin(Organisation, Organisation.id == User.organisation_id)
        .where(Registration.event_id == event.id)
        .order_by(Registration.id)
    )
    if since is not None:
        cutoff = _time_of(since)
        changed_answer = (
            select(RegistrationAnswer.registration_id)
            .join(RegistrationQuestion, RegistrationQuestion.id == RegistrationAnswer.question_id)
            .where(
                RegistrationQuestion.event_id == event.id,
                RegistrationQuestion.preset == "access",
                RegistrationAnswer.updated_at > cutoff,
            )
        )
        query = query.where(
            or_(
                Registration.updated_at > cutoff,
                Registration.id.in_(changed_booking.where(SessionBooking.updated_at > cutoff)),
                Registration.id.in_(changed_answer),
            )
        )
    rows = db.session.execute(query).all()
    ids = [r[0] for r in rows]
    bookings: dict[int, list[int]] = defaultdict(list)
    if ids:
        for reg_id, session_id in db.session.execute(
            select(SessionBooking.registration_id, SessionBooking.session_id)
            .where(SessionBooking.registration_id.in_(ids), SessionBooking.status == "booked")
            .order_by(SessionBooking.session_id)
        ):
            bookings[reg_id].append(session_id)
    needs = access_needs_of(ids)
    version = max(_version_of(now - SETTLE), since or 0)
    ticket_types = {t.id: t.name for t in event.ticket_types}
    return {
        "version": version,
        "since": since,
        "generated_at": now.replace(microsecond=0).isoformat() + "Z",
        "event": {"slug": event.slug, "title": event.title, "status": event.status},
        "points": [
            {"id": s.id, "title": s.title, "bookable": s.is_bookable} for s in checkin_points(event)
        ],
        "entries": [
            {
                "registration_id": reg_id,
                "code_hash": code_hash(secret) if secret else None,
                "name": name,
                "organisation": org_name,
                "ticket_type": ticket_types.get(ticket_type_id, ""),
                "status": status,
                "bookings": bookings.get(reg_id, []),
                "access_needs": needs.get(reg_id),
            }
            for reg_id, secret, status, _updated, name, org_name, ticket_type_id in rows
        ],
    }
