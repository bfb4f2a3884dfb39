"""iCalendar feeds: the event, one session, and a delegate's personal feed."""

from flask import Blueprint

from app.feeds.links import calendar_links

bp = Blueprint("feeds", __name__)


@bp.record_once
def _template_helpers(state) -> None:
    # Used by macros/calendar.html (add_to_calendar), which any page may import.
    state.app.jinja_env.globals["calendar_links"] = calendar_links
