"""Booking and giving up a workshop seat from the agenda (views of the registration blueprint,
app.registration.routes): JSON for the agenda's script, a flash for a plain form post."""

from __future__ import annotations

from flask import abort, flash, jsonify, redirect, request, url_for
from flask_login import current_user, login_required

from app.auth.roles import verified_required
from app.events.models import AgendaSession
from app.extensions import db
from app.registration import services
from app.registration.forms import ActionForm
from app.registration.routes import _public_event, _safe_next, bp


def _bookable_session(slug: str, session_id: int) -> AgendaSession:
    event = _public_event(slug)
    session = db.session.get(AgendaSession, session_id)
    if session is None or session.event_id != event.id or session.published_at is None:
        abort(404, "There is no such session in this event.")
    return session


@bp.post("/events/<slug>/sessions/<int:session_id>/book")
@login_required
@verified_required
def book_session(slug: str, session_id: int):
    session = _bookable_session(slug, session_id)
    back = _safe_next(url_for("agenda.agenda", slug=slug))
    if not ActionForm().validate_on_submit():
        abort(400, "Your form expired. Please try again.")
    try:
        booking = services.book_session(current_user._get_current_object(), session)
    except services.RegistrationError as exc:
        db.session.rollback()
        return _booking_answer(back, str(exc), "danger", 409)
    db.session.commit()
    if booking.status == services.BOOKED:
        return _booking_answer(
            back, f"Your seat in “{session.title}” is booked. We have emailed you.", "success"
        )
    position = services.session_waitlist_position(booking)
    return _booking_answer(
        back,
        f"“{session.title}” is full: you are number {position} on its waiting list. "
        "If a seat comes up it is yours and we will email you.",
        "info",
    )


def _booking_answer(back: str, message: str, category: str, status: int = 200):
    """The agenda's script asks for JSON and shows the message on the session's card; a
    plain form post gets it as a flash on the page it came from."""
    if request.accept_mimetypes.best == "application/json":
        return jsonify(ok=status == 200, message=message, category=category), status
    flash(message, category)
    return redirect(back, code=303)


@bp.post("/events/<slug>/sessions/<int:session_id>/unbook")
@login_required
def cancel_booking(slug: str, session_id: int):
    session = _bookable_session(slug, session_id)
    back = _safe_next(url_for("agenda.agenda", slug=slug))
    if not ActionForm().validate_on_submit():
        abort(400, "Your form expired. Please try again.")
    try:
        services.cancel_booking(current_user._get_current_object(), session)
    except services.RegistrationError as exc:
        db.session.rollback()
        return _booking_answer(back, str(exc), "danger", 409)
    db.session.commit()
    return _booking_answer(back, f"You have given up your place in “{session.title}”.", "success")
