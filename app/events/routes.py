"""Public pages: the home page and an event's page."""

from flask import Blueprint, abort, render_template
from flask_login import current_user

from app.benchmark.services import latest_submitted, recommendations
from app.events.agenda_services import agenda_version, public_agenda
from app.events.services import public_event_or_none, upcoming_events
from app.registration.services import live_registration

bp = Blueprint("events", __name__)


@bp.get("/")
def home():
    has_benchmark, recommended = _recommended_for_business()
    return render_template(
        "events/home.html",
        groups=upcoming_events(),
        has_benchmark=has_benchmark,
        recommended=recommended,
        weakest=sorted({title for titles in recommended.values() for title in titles}),
    )


def _recommended_for_business() -> tuple[bool, dict[str, list[str]]]:
    """Whether the signed-in delegate's business has a benchmark, and event slug -> the
    titles of its weakest pillars that the event (or a session in it) addresses."""
    if not current_user.is_authenticated or current_user.organisation_id is None:
        return False, {}
    if latest_submitted(current_user.organisation_id) is None:
        return False, {}
    result: dict[str, list[str]] = {}
    for rec in recommendations(current_user.organisation_id):
        for item in rec.items:
            titles = result.setdefault(item.event_slug, [])
            if rec.title not in titles:
                titles.append(rec.title)
    return True, result


@bp.get("/events/<slug>")
def event_detail(slug: str):
    event = public_event_or_none(slug)
    if event is None:
        abort(404, "There is no published event at this address.")
    ticket_types = [t for t in event.ticket_types if not t.hidden]
    mine = None
    if current_user.is_authenticated:
        mine = live_registration(current_user.id, event.id)
    # The speakers of its published agenda, from the parts the agenda page keeps per version.
    speakers = []
    if event.agenda_published_at is not None:
        view = public_agenda(event, version=agenda_version(event))
        speakers = sorted(view.speakers.values(), key=lambda sp: sp.name.split()[-1:])
    return render_template(
        "events/event.html", event=event, ticket_types=ticket_types, mine=mine, speakers=speakers
    )
