"""The door's name search: a ticket holder found by name, business or email, when their QR
code will not scan."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import and_, func, or_, select

from app.auth.models import Organisation, User
from app.checkin.errors import CheckinInputError
from app.checkin.models import CheckIn
from app.checkin.services import point_key_of, scan_point_session
from app.events.models import AgendaSession, Event, TicketType
from app.extensions import db
from app.questions.services import access_needs_of
from app.registration.models import Registration, SessionBooking
from app.timeutil import to_local


@dataclass
class Attendee:
    registration_id: int
    name: str
    email: str
    organisation: str | None
    ticket_type: str
    status: str
    checked_in_at_local: str | None  # at the chosen point
    bookings: list[str] = field(default_factory=list)  # titles of the sessions they booked
    access_needs: str | None = None  # their answer to the event's Access needs question


def _mask_email(email: str) -> str:
    local, _, domain = email.partition("@")
    return f"{local[:1]}{'•' * min(max(len(local) - 1, 1), 6)}@{domain}"


def _like(term: str) -> str:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def search_attendees(
    event: Event, actor: User, query: str, session_id: int | None = None, limit: int = 25
) -> list[Attendee]:
    """Registrations of the event matching a name, organisation or email (all statuses, so the
    door sees why someone cannot come in), with their check-in time at the chosen point."""
    term = " ".join((query or "").split()).lower()
    if len(term) < 2:
        raise CheckinInputError("Type at least 2 letters.")
    if len(term) > 80:
        raise CheckinInputError("That search is too long.")
    scan_point_session(event, session_id)
    pattern = _like(term)
    point_key = point_key_of(session_id)
    rows = db.session.execute(
        select(
            Registration.id,
            User.name,
            User.email,
            Organisation.name,
            TicketType.name,
            Registration.status,
            CheckIn.checked_in_at,
        )
        .join(User, User.id == Registration.user_id)
        .outerjoin(Organisation, Organisation.id == User.organisation_id)
        .join(TicketType, TicketType.id == Registration.ticket_type_id)
        .outerjoin(
            CheckIn,
            and_(CheckIn.registration_id == Registration.id, CheckIn.point_key == point_key),
        )
        .where(
            Registration.event_id == event.id,
            or_(
                func.lower(User.name).like(pattern, escape="\\"),
                func.lower(User.email).like(pattern, escape="\\"),
                func.lower(Organisation.name).like(pattern, escape="\\"),
            ),
        )
        .order_by((Registration.status == "confirmed").desc(), User.name, Registration.id)
        .limit(limit)
    ).all()
    booked: dict[int, list[str]] = defaultdict(list)
    if rows:
        for reg_id, title in db.session.execute(
            select(SessionBooking.registration_id, AgendaSession.title)
            .join(AgendaSession, AgendaSession.id == SessionBooking.session_id)
            .where(
                SessionBooking.registration_id.in_([r[0] for r in rows]),
                SessionBooking.status == "booked",
            )
            .order_by(AgendaSession.starts_at, AgendaSession.id)
        ):
            booked[reg_id].append(title)
    needs = access_needs_of([r[0] for r in rows])
    return [
        Attendee(
            registration_id=r[0],
            name=r[1],
            email=_mask_email(r[2]),
            organisation=r[3],
            ticket_type=r[4],
            status=r[5],
            checked_in_at_local=to_local(r[6], event.timezone).strftime("%H:%M") if r[6] else None,
            bookings=booked.get(r[0], []),
            access_needs=needs.get(r[0]),
        )
        for r in rows
    ]
