"""Public agenda pages: the agenda itself, its JSON export, a printable copy, and stars."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    get_template_attribute,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required
from flask_wtf.csrf import generate_csrf as csrf_token
from markupsafe import Markup, escape
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app import pagecache
from app.events.agenda_publishing import agenda_versions, latest_version_number
from app.events.agenda_services import KIND_LABELS, AgendaError, star_session, unstar_session
from app.events.models import Event
from app.events.public_agenda import AgendaItem, PublicAgenda, public_agenda
from app.events.schedule_json import schedule_json as build_schedule_json
from app.events.schedule_xml import schedule_xml as build_schedule_xml
from app.extensions import db
from app.pillars import PILLARS
from app.timeutil import to_local
from app.urls import local_path

bp = Blueprint("agenda", __name__)


def _public_event(slug: str) -> Event:
    event = db.session.execute(
        select(Event).where(Event.slug == slug).options(joinedload(Event.venue))
    ).scalar_one_or_none()
    if event is None or not event.is_public:
        abort(404, "There is no published event at this address.")
    return event


def _event_feed_url(event: Event) -> str | None:
    """The event's calendar feed (DESIGN.md contract), once the feeds area serves it."""
    for rule in current_app.url_map.iter_rules():
        if rule.rule == "/events/<slug>/calendar.ics":
            return url_for(rule.endpoint, slug=event.slug)
    return None


@dataclass(frozen=True)
class AgendaSummary:
    """What the page around the days needs: kept with the cached days."""

    total: int
    tracks: list[str]
    pillars: list[str]
    days: list[date]


_PLACEHOLDER = 987654321  # stands for a session id while building URL patterns


def _pattern(endpoint: str, **values) -> str:
    """url_for once, then str.format per session: 300 url_for calls cost more than the page."""
    url = url_for(endpoint, **values)
    return url.replace(str(_PLACEHOLDER), "{}").replace("%7B%7D", "{}")


def _urls(event: Event, signed_in: bool) -> dict[str, str]:
    endpoints = current_app.view_functions
    urls = {
        "speaker": _pattern("speakers.detail", slug="{}"),
        "photo": _pattern("speakers.photo", slug="{}") + "?v={}",
        "login": url_for("auth.login", next=request.path),
    }
    if signed_in:
        urls["star"] = _pattern("agenda.star", slug=event.slug, session_id=_PLACEHOLDER)
        urls["unstar"] = _pattern("agenda.unstar", slug=event.slug, session_id=_PLACEHOLDER)
    for key, endpoint in (
        ("book", "registration.book_session"),
        ("unbook", "registration.cancel_booking"),
        ("ics", "feeds.session_ics"),
    ):
        if endpoint in endpoints:
            urls[key] = _pattern(endpoint, slug=event.slug, session_id=_PLACEHOLDER)
    return urls


def _calendar_button(event: Event, urls: dict[str, str]):
    """The feeds area's add-to-calendar macro for a session, remembered per published version."""
    macro = get_template_attribute("macros/calendar.html", "add_to_calendar")
    venue = event.venue.full_address if event.venue else ""
    # The calendar entry links back to the session (the .ics download carries the abstract).
    page = current_app.config["BASE_URL"] + url_for("agenda.agenda", slug=event.slug)
    kept = pagecache.local("agenda_calendar_buttons", 5000)

    def button(item: AgendaItem) -> Markup:
        s = item.session
        key = (s.id, s.published_at, item.room.name if item.room else "", venue)
        html = kept.get(key)
        if html is None:
            location = f"{item.room.name}, {venue}" if item.room else venue
            html = macro(
                s.title, s.starts_at, s.ends_at, location, f"{page}#s-{s.id}",
                urls["ics"].format(s.id),
            )  # fmt: skip
            kept.set(key, html)
        return html

    return button


_CSRF, _HERE = "__journey_csrf__", "__journey_here__"  # filled in per request


def _item_renderer(event: Event, urls: dict, signed_in: bool, version: str):
    """Renders one session of the agenda, remembered by everything the HTML depends on: the
    public version, the session's place on the grid and seats, and the delegate's star and
    booking, so signed-in pages reuse what visitors' pages rendered. The CSRF token and page
    address are placeholders (see _render_days)."""
    macro = get_template_attribute("events/_agenda_item.html", "agenda_item")
    endpoints = current_app.view_functions
    calendar_button = _calendar_button(event, urls) if "ics" in urls else None
    kept = pagecache.local("agenda_items", 20_000)

    def render(item: AgendaItem) -> Markup:
        s = item.session
        key = (version, s.id, s.seats_taken, item.row, item.rows, item.col, item.cols,
               item.starred, item.booking, signed_in)  # fmt: skip
        html = kept.get(key)
        if html is None:
            html = macro(
                item, KIND_LABELS, urls, signed_in, _CSRF if signed_in else "", _HERE,
                "ics" in urls, "registration.book_session" in endpoints,
                "registration.cancel_booking" in endpoints, calendar_button,
            )  # fmt: skip
            kept.set(key, html)
        return html

    return render


def _render_days(
    event: Event, view: PublicAgenda, user, mine: bool, urls: dict, version: str
) -> Markup:
    html = render_template(
        "events/_agenda_days.html",
        event=event,
        agenda=view,
        mine=mine,
        render_item=_item_renderer(event, urls, user is not None, version),
    )
    if user is not None:
        html = html.replace(_CSRF, str(escape(csrf_token())))
        html = html.replace(_HERE, str(escape(request.full_path.rstrip("?"))))
    return Markup(html)  # noqa: S704 - autoescaped templates, placeholders filled escaped


@bp.get("/events/<slug>/agenda")
def agenda(slug: str):
    track = request.args.get("track", "").strip()[:80]
    pillar = request.args.get("pillar", "").strip()
    pillar = pillar if pillar in PILLARS else ""
    mine = request.args.get("mine") == "1"
    if pagecache.anonymous():
        # Visitors who are not signed in all see the same page: rendered once per version and
        # filter, and a browser holding it gets a 304 before any query.
        return pagecache.page(
            ("agenda", slug, track, pillar, mine),
            lambda: _agenda_page(slug, track, pillar, mine, None),
        )
    response = current_app.make_response(
        _agenda_page(slug, track, pillar, mine, pagecache.signed_in())
    )
    response.headers["Cache-Control"] = "private, no-cache"
    return response


def _agenda_page(slug: str, track: str, pillar: str, mine: bool, user) -> str:
    event = _public_event(slug)
    urls = _urls(event, user is not None)
    version = pagecache.public_version()
    if user is None:
        view = public_agenda(event, None, track=track, pillar=pillar, version=version)
        days_html = _render_days(event, view, None, False, urls, version)
    else:
        view = public_agenda(event, user, track=track, pillar=pillar, mine=mine, version=version)
        days_html = _render_days(event, view, user, mine, urls, version)
    return render_template(
        "events/agenda.html",
        event=event,
        agenda=_summary(view),
        days_html=days_html,
        track=track,
        pillar=pillar,
        mine=mine,
        view_functions=current_app.view_functions,
        event_feed_url=_event_feed_url(event),
    )


def _summary(view: PublicAgenda) -> AgendaSummary:
    return AgendaSummary(
        total=view.total,
        tracks=view.tracks,
        pillars=view.pillars,
        days=[d.day for d in view.days],
    )


@bp.get("/events/<slug>/agenda/print")
def printable(slug: str):
    def render() -> str:
        event = _public_event(slug)
        view = public_agenda(event, version=pagecache.public_version())
        return render_template(
            "events/agenda_print.html", event=event, agenda=view, kinds=KIND_LABELS
        )

    return pagecache.page(("agenda-print", slug), render) if pagecache.anonymous() else render()


@bp.get("/events/<slug>/agenda/changes")
def changes(slug: str):
    """The change log: what each publish of the agenda added, moved, cancelled or updated."""

    def render() -> str:
        event = _public_event(slug)
        return render_template(
            "events/agenda_changes.html",
            event=event,
            versions=agenda_versions(event),
            sections=CHANGE_SECTIONS,
        )

    if pagecache.anonymous():
        return pagecache.page(("agenda-changes", slug), render)
    response = current_app.make_response(render())
    response.headers["Cache-Control"] = "private, no-cache"
    return response


CHANGE_SECTIONS = (
    ("moved", "Moved"),
    ("cancelled", "Cancelled"),
    ("restored", "Back on"),
    ("new", "New"),
    ("updated", "Details updated"),
)


def _iso(value, tz: str) -> str:
    return to_local(value, tz).isoformat()


def _export(slug: str, kind: str, mimetype: str, build, filename: str | None = None):
    """An export of the published agenda for screens and apps, the same for everyone: built
    once per public version, 304 before any query, readable from any origin."""

    def render():
        headers = ()
        if filename:
            headers = (("Content-Disposition", f'inline; filename="{slug}-{filename}"'),)
        return build(_public_event(slug)), None, headers

    response = pagecache.page(("agenda-export", kind, slug), render, mimetype)
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


@bp.get("/events/<slug>/agenda.json")
def agenda_json(slug: str):
    """The published agenda for screens and apps; schema in docs/agenda-json.md."""
    return _export(
        slug, "json", "application/json",
        lambda event: json.dumps(_agenda_document(event), ensure_ascii=False).encode(),
    )  # fmt: skip


@bp.get("/events/<slug>/schedule.xml")
def schedule_xml(slug: str):
    """The published agenda for conference schedule apps (frab schedule.xml)."""
    base_url = current_app.config["BASE_URL"]

    def build(event: Event) -> bytes:
        agenda_url = base_url + url_for("agenda.agenda", slug=event.slug)
        version = latest_version_number(event)
        return build_schedule_xml(event, public_agenda(event), version, agenda_url, base_url)

    return _export(slug, "schedule.xml", "application/xml", build, "schedule.xml")


@bp.get("/events/<slug>/schedule.json")
def schedule_json(slug: str):
    """The published agenda for conference schedule apps (frab JSON, as pretalx serves)."""
    base_url = current_app.config["BASE_URL"]

    def build(event: Event) -> bytes:
        version = latest_version_number(event)
        document = build_schedule_json(event, public_agenda(event), version, base_url)
        return json.dumps(document, ensure_ascii=False).encode()

    return _export(slug, "schedule.json", "application/json", build, "schedule.json")


def _agenda_document(event: Event) -> dict:
    view = public_agenda(event)
    tz = event.timezone
    base = current_app.config["BASE_URL"]
    page = f"{base}{url_for('agenda.agenda', slug=event.slug)}"
    rooms, sessions = {}, []
    for day in view.days:
        for item in day.items:
            s = item.session
            if item.room is not None:
                rooms[item.room.id] = item.room
            sessions.append(
                {
                    "id": s.id,
                    "uid": s.uid,
                    "title": s.title,
                    "abstract": s.abstract,
                    "kind": s.kind,
                    "status": s.status,
                    "day": day.day.isoformat(),
                    "starts_at": _iso(s.starts_at, tz),
                    "ends_at": _iso(s.ends_at, tz),
                    "room_id": s.room_id,
                    "track": s.track or None,
                    "pillars": list(s.pillars),
                    "speaker_ids": list(s.speaker_ids),
                    "capacity": s.capacity,
                    "seats_left": s.seats_left,
                    "sequence": s.sequence,
                    "url": f"{page}#s-{s.id}",
                }
            )
    speakers = sorted(view.speakers.values(), key=lambda sp: sp.name)
    return {
        "version": 1,
        "event": {
            "slug": event.slug,
            "title": event.title,
            "url": f"{base}{url_for('events.event_detail', slug=event.slug)}",
            "timezone": tz,
            "starts_at": _iso(event.starts_at, tz),
            "ends_at": _iso(event.ends_at, tz),
            "status": event.status,
            "venue": (
                {
                    "name": event.venue.name,
                    "address": event.venue.address,
                    "postcode": event.venue.postcode,
                }
                if event.venue
                else None
            ),
        },
        "published_at": (
            event.agenda_published_at.isoformat() + "Z" if event.agenda_published_at else None
        ),
        "agenda_version": latest_version_number(event),
        "rooms": [
            {"id": r.id, "name": r.name, "capacity": r.capacity}
            for r in sorted(rooms.values(), key=lambda r: (r.position, r.id))
        ],
        "speakers": [
            {
                "id": sp.id,
                "slug": sp.slug,
                "name": sp.name,
                "job_title": sp.job_title or None,
                "organisation": sp.organisation or None,
                "url": f"{base}{url_for('speakers.detail', slug=sp.slug)}",
                "photo_url": (
                    f"{base}{url_for('speakers.photo', slug=sp.slug, v=sp.photo_etag)}"
                    if sp.photo_etag
                    else None
                ),
            }
            for sp in speakers
        ],
        "sessions": sessions,
    }


def _back(event: Event, session_id: int) -> str:
    target = local_path(request.form.get("next")) or ""
    prefix = url_for("agenda.agenda", slug=event.slug)
    if not target.startswith(prefix) or "//" in target:
        target = prefix
    return f"{target.split('#')[0]}#s-{session_id}"


@bp.post("/events/<slug>/agenda/sessions/<int:session_id>/star")
@login_required
def star(slug: str, session_id: int):
    event = _public_event(slug)
    try:
        star_session(current_user, event, session_id)
    except AgendaError as exc:
        abort(404, str(exc))
    db.session.commit()
    if request.accept_mimetypes.best == "application/json":
        return jsonify(starred=True)
    flash("Added to your agenda.", "success")
    return redirect(_back(event, session_id))


@bp.post("/events/<slug>/agenda/sessions/<int:session_id>/unstar")
@login_required
def unstar(slug: str, session_id: int):
    event = _public_event(slug)
    try:
        unstar_session(current_user, event, session_id)
    except AgendaError as exc:
        abort(404, str(exc))
    db.session.commit()
    if request.accept_mimetypes.best == "application/json":
        return jsonify(starred=False)
    flash("Removed from your agenda.", "info")
    return redirect(_back(event, session_id))
