"""Public pages: the home page and an event's page."""

from flask import Blueprint, abort, render_template
from flask_login import current_user

from app import pagecache
from app.benchmark.recommendations import weak_pillars_by_event
from app.events.availability import availability, price_range
from app.events.public_agenda import public_agenda
from app.events.services import public_event_or_none, upcoming_events
from app.registration.services import live_registration

bp = Blueprint("events", __name__)


@bp.get("/")
def home():
    if pagecache.anonymous():
        # The same for every visitor who is not signed in, until the version moves or one of
        # the events it lists ends.
        return pagecache.page(("home",), lambda: _home(signed_in=False))
    return _home(signed_in=current_user.is_authenticated)[0]


def _home(signed_in: bool) -> tuple:
    """The page, and when it next changes by itself (the first of its events to end)."""
    by_event = None
    if signed_in:
        by_event = weak_pillars_by_event(current_user.organisation_id)
    recommended = by_event or {}
    groups = upcoming_events()
    events = sorted((e for g in groups.values() for e in g), key=lambda e: e.starts_at)
    html = render_template(
        "events/home.html",
        groups=groups,
        coming_up=events[:3],
        places={e.id: availability(e) for e in events},
        prices={e.id: price_range(e.ticket_types) for e in events},
        has_benchmark=by_event is not None,
        recommended=recommended,
        weakest=sorted({title for titles in recommended.values() for title in titles}),
    )
    return html, min((e.ends_at for e in events), default=None), ()


@bp.get("/events/<slug>")
def event_detail(slug: str):
    if pagecache.anonymous():
        return pagecache.page(("event", slug), lambda: _event_page(slug, None))
    return _event_page(slug, pagecache.signed_in())


def _event_page(slug: str, user) -> str:
    event = public_event_or_none(slug)
    if event is None:
        abort(404, "There is no published event at this address.")
    ticket_types = [t for t in event.ticket_types if not t.hidden]
    mine = None
    if user is not None:
        mine = live_registration(user.id, event.id)
    # The speakers of its published agenda, from the parts the agenda page keeps per version.
    speakers = []
    if event.agenda_published_at is not None:
        view = public_agenda(event, version=pagecache.public_version())
        speakers = sorted(view.speakers.values(), key=lambda sp: sp.name.split()[-1:])
    return render_template(
        "events/event.html", event=event, ticket_types=ticket_types, mine=mine, speakers=speakers,
        places=availability(event, ticket_types),
    )  # fmt: skip
