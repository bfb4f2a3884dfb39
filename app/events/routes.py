"""Public pages: the home page and an event's page."""

from flask import Blueprint, abort, render_template

from app.events.services import public_event_or_none, upcoming_events

bp = Blueprint("events", __name__)


@bp.get("/")
def home():
    return render_template("events/home.html", groups=upcoming_events())


@bp.get("/events/<slug>")
def event_detail(slug: str):
    event = public_event_or_none(slug)
    if event is None:
        abort(404, "There is no published event at this address.")
    ticket_types = [t for t in event.ticket_types if not t.hidden]
    return render_template("events/event.html", event=event, ticket_types=ticket_types)
