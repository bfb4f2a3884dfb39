"""Printable name badges for an event."""

from flask import abort, render_template, request

from app.events.models import Event
from app.extensions import db
from app.organiser import bp
from app.registration.badges import badges


@bp.get("/events/<int:event_id>/badges")
def event_badges(event_id: int):
    event = db.get_or_404(Event, event_id, description="No such event.")
    raw = request.args.get("ticket_type", "")
    ticket_type = None
    if raw:
        ticket_type = next((t for t in event.ticket_types if str(t.id) == raw), None)
        if ticket_type is None:
            abort(404, "That ticket type is not part of this event.")
    return render_template(
        "organiser/badges.html",
        event=event,
        badges=badges(event, ticket_type.id if ticket_type else None),
        ticket_type=ticket_type,
    )
