"""Organiser views of delegates' feedback on an event."""

from flask import render_template

from app.csvexport import csv_response
from app.events.models import Event
from app.extensions import db
from app.feedback.forms import RATINGS
from app.feedback.services import csv_rows, summary
from app.organiser import bp


@bp.get("/events/<int:event_id>/feedback")
def event_feedback(event_id: int):
    event = db.get_or_404(Event, event_id, description="No such event.")
    return render_template(
        "organiser/feedback.html",
        event=event,
        s=summary(event),
        labels={c.value: c.label for c in RATINGS},
    )


@bp.get("/events/<int:event_id>/feedback.csv")
def event_feedback_csv(event_id: int):
    event = db.get_or_404(Event, event_id, description="No such event.")
    return csv_response(csv_rows(event), f"feedback-{event.slug}.csv")
