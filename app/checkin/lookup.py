"""The scan's one read: a ticket, its holder, and any admission of it at the point scanned."""

from __future__ import annotations

from sqlalchemy import Select, and_, bindparam, exists, select
from sqlalchemy.orm import aliased

from app.auth.models import Organisation, User
from app.checkin.models import CheckIn
from app.events.models import Event, TicketType
from app.registration.models import Registration, SessionBooking

_LOOKUPS: dict[tuple[bool, bool], Select] = {}


def ticket_lookup(by_code: bool, bookable: bool) -> Select:
    """The ticket, its holder, and any admission of it at this point, in one statement. Built
    once per shape with bound parameters: composing it per scan cost more CPU than running it."""
    key = (by_code, bookable)
    if key in _LOOKUPS:
        return _LOOKUPS[key]
    staff = aliased(User)
    columns = [
        Registration.id, Registration.event_id, Registration.status, User.name,
        Organisation.name, TicketType.name, Event.title,
        CheckIn.checked_in_at.label("first_at"), staff.name.label("first_by"),
    ]  # fmt: skip
    if bookable:
        booked = exists().where(
            SessionBooking.registration_id == Registration.id,
            SessionBooking.session_id == bindparam("session_id"),
            SessionBooking.status == "booked",
        )
        columns.append(booked.label("booked"))
    query = (
        select(*columns)
        .join(User, User.id == Registration.user_id)
        .outerjoin(Organisation, Organisation.id == User.organisation_id)
        .join(TicketType, TicketType.id == Registration.ticket_type_id)
        .join(Event, Event.id == Registration.event_id)
        .outerjoin(
            CheckIn,
            and_(
                CheckIn.registration_id == Registration.id,
                CheckIn.point_key == bindparam("point_key"),
            ),
        )
        .outerjoin(staff, staff.id == CheckIn.staff_id)
    )
    if by_code:
        query = query.where(Registration.ticket_secret == bindparam("code"))
    else:
        query = query.where(
            Registration.id == bindparam("registration_id"),
            Registration.event_id == bindparam("event_id"),
        )
    _LOOKUPS[key] = query
    return query
