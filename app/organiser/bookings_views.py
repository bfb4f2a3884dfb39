"""Organiser views: who booked a workshop (and who is waiting), for its host, as a page and CSV."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import abort, render_template
from sqlalchemy import select
from sqlalchemy.orm import contains_eager

from app.auth.models import Organisation, User
from app.checkin.models import CheckIn
from app.csvexport import csv_response
from app.events.models import AgendaSession, Event
from app.extensions import db
from app.organiser import bp
from app.registration.models import SessionBooking
from app.templating import format_local


@dataclass(frozen=True)
class BookingRow:
    booking: SessionBooking
    position: int | None  # on the waiting list
    checked_in_at: datetime | None


def _session(event_id: int, session_id: int) -> tuple[Event, AgendaSession]:
    event = db.get_or_404(Event, event_id, description="No such event.")
    session = db.session.get(AgendaSession, session_id)
    if session is None or session.event_id != event.id:
        abort(404, "That session is not part of this event.")
    return event, session


def _rows(session: AgendaSession) -> tuple[list[BookingRow], list[BookingRow]]:
    """Booked (in booking order) and waiting (in line), with check-ins here. 2 queries."""
    bookings = db.session.execute(
        select(SessionBooking)
        .join(User, User.id == SessionBooking.user_id)
        .outerjoin(Organisation, Organisation.id == User.organisation_id)
        .where(
            SessionBooking.session_id == session.id,
            SessionBooking.status.in_(("booked", "waitlisted")),
        )
        .options(contains_eager(SessionBooking.user).contains_eager(User.organisation))
        .order_by(SessionBooking.id)
    ).scalars().all()  # fmt: skip
    arrived = dict(
        db.session.execute(
            select(CheckIn.registration_id, CheckIn.checked_in_at).where(
                CheckIn.session_id == session.id, CheckIn.undone_at.is_(None)
            )
        ).all()
    )
    booked = [
        BookingRow(b, None, arrived.get(b.registration_id))
        for b in bookings
        if b.status == "booked"
    ]
    waiting = [
        BookingRow(b, n, None)
        for n, b in enumerate((b for b in bookings if b.status == "waitlisted"), start=1)
    ]
    return booked, waiting


@bp.get("/events/<int:event_id>/agenda/sessions/<int:session_id>/bookings")
def session_bookings(event_id: int, session_id: int):
    event, session = _session(event_id, session_id)
    booked, waiting = _rows(session)
    return render_template(
        "organiser/session_bookings.html",
        event=event,
        session=session,
        booked=booked,
        waiting=waiting,
    )


@bp.get("/events/<int:event_id>/agenda/sessions/<int:session_id>/bookings.csv")
def session_bookings_csv(event_id: int, session_id: int):
    event, session = _session(event_id, session_id)
    booked, waiting = _rows(session)
    tz = event.timezone
    rows = [["status", "waiting_list_position", "name", "job_title", "business", "email",
             "booked_at", "checked_in_at"]]  # fmt: skip
    for row in booked + waiting:
        user = row.booking.user
        rows.append([
            row.booking.status, row.position or "", user.name, user.job_title or "",
            user.organisation.name if user.organisation else "", user.email,
            format_local(row.booking.created_at, "%Y-%m-%d %H:%M", tz),
            format_local(row.checked_in_at, "%Y-%m-%d %H:%M", tz) if row.checked_in_at else "",
        ])  # fmt: skip
    return csv_response(rows, f"bookings-{event.slug}-session-{session.id}.csv")
