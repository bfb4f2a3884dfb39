"""Public agenda pages."""

from flask import Blueprint, abort, render_template

from app.events.services import public_event_or_none

bp = Blueprint("agenda", __name__)


@bp.get("/events/<slug>/agenda")
def agenda(slug: str):
    event = public_event_or_none(slug)
    if event is None:
        abort(404)
    return render_template("events/agenda.html", event=event)
