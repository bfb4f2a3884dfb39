"""Public agenda pages: the agenda itself, its JSON export, a printable copy, and stars."""

from __future__ import annotations

import hashlib
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

from app.events.agenda_services import (
    KIND_LABELS,
    AgendaError,
    AgendaItem,
    PublicAgenda,
    agenda_version,
    agenda_versions,
    latest_version_number,
    public_agenda,
    star_session,
    unstar_session,
)
from app.events.models import Event
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


def _not_modified(etag: str):
    """304 when the browser already holds this version; otherwise None."""
    if etag in request.if_none_match:
        response = current_app.response_class(status=304)
        response.set_etag(etag)
        return response
    return None


def _event_feed_url(event: Event) -> str | None:
    """The event's calendar feed (DESIGN.md contract), once the feeds area serves it."""
    for rule in current_app.url_map.iter_rules():
        if rule.rule == "/events/<slug>/calendar.ics":
            return url_for(rule.endpoint, slug=event.slug)
    return None


def _etag(event: Event, *parts: str, version: str | None = None) -> str:
    raw = "|".join((version or agenda_version(event), *parts))
    return hashlib.sha256(raw.encode()).hexdigest()[:32]


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


def _bounded(name: str, limit: int) -> dict:
    cache = current_app.extensions.setdefault(name, {})
    if len(cache) >= limit:
        cache.clear()  # crude, but these caches refill in one request
    return cache


def _calendar_button(event: Event, urls: dict[str, str]):
    """The feeds area's add-to-calendar macro for a session, remembered per published version."""
    macro = get_template_attribute("macros/calendar.html", "add_to_calendar")
    venue = event.venue.full_address if event.venue else ""
    # The calendar entry links back to the session (the .ics download carries the abstract).
    page = current_app.config["BASE_URL"] + url_for("agenda.agenda", slug=event.slug)

    def button(item: AgendaItem) -> Markup:
        s = item.session
        key = (s.id, s.published_at, item.room.name if item.room else "", venue)
        cache = _bounded("agenda_calendar_buttons", 5000)
        html = cache.get(key)
        if html is None:
            location = f"{item.room.name}, {venue}" if item.room else venue
            html = cache[key] = macro(
                s.title, s.starts_at, s.ends_at, location, f"{page}#s-{s.id}",
                urls["ics"].format(s.id),
            )  # fmt: skip
        return html

    return button


_CSRF, _HERE = "__journey_csrf__", "__journey_here__"  # filled in per request


def _item_renderer(event: Event, urls: dict, signed_in: bool, version: str):
    """Renders one session of the agenda, remembered by everything the HTML depends on: the
    published agenda's version, the session's place on the grid and seats, and the delegate's
    star and booking. The CSRF token and page address are placeholders (see _render_days)."""
    macro = get_template_attribute("events/_agenda_item.html", "agenda_item")
    endpoints = current_app.view_functions
    calendar_button = _calendar_button(event, urls) if "ics" in urls else None
    cache = _bounded("agenda_items", 20_000)

    def render(item: AgendaItem) -> Markup:
        s = item.session
        key = (version, s.id, s.seats_taken, item.row, item.rows, item.col, item.cols,
               item.starred, item.booking, signed_in)  # fmt: skip
        html = cache.get(key)
        if html is None:
            html = cache[key] = macro(
                item, KIND_LABELS, urls, signed_in, _CSRF if signed_in else "", _HERE,
                "ics" in urls, "registration.book_session" in endpoints,
                "registration.cancel_booking" in endpoints, calendar_button,
            )  # fmt: skip
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
    event = _public_event(slug)
    track = request.args.get("track", "").strip()[:80]
    pillar = request.args.get("pillar", "").strip()
    pillar = pillar if pillar in PILLARS else ""
    mine = request.args.get("mine") == "1"
    user = current_user if current_user.is_authenticated else None
    urls = _urls(event, user is not None)
    version = agenda_version(event)
    if user is None:
        # Visitors who are not signed in all see the same page: browsers revalidate with the
        # ETag, and the days are rendered once per published version and filter.
        etag = _etag(event, track, pillar, version=version)
        cached = _not_modified(etag)
        if cached is not None:
            return cached
        cache = _bounded("agenda_days", 64)
        entry = cache.get(etag)
        if entry is None:
            view = public_agenda(event, None, track=track, pillar=pillar, version=version)
            entry = cache[etag] = (
                _summary(view),
                _render_days(event, view, None, False, urls, version),
            )
    else:
        view = public_agenda(event, user, track=track, pillar=pillar, mine=mine, version=version)
        entry = (_summary(view), _render_days(event, view, user, mine, urls, version))
    summary, days_html = entry
    response = current_app.make_response(
        render_template(
            "events/agenda.html",
            event=event,
            agenda=summary,
            days_html=days_html,
            track=track,
            pillar=pillar,
            mine=mine,
            view_functions=current_app.view_functions,
            event_feed_url=_event_feed_url(event),
        )
    )
    if user is None:
        response.set_etag(etag)
        response.headers["Cache-Control"] = "public, no-cache"
    else:
        response.headers["Cache-Control"] = "private, no-cache"
    return response


def _summary(view: PublicAgenda) -> AgendaSummary:
    return AgendaSummary(
        total=view.total,
        tracks=view.tracks,
        pillars=view.pillars,
        days=[d.day for d in view.days],
    )


@bp.get("/events/<slug>/agenda/print")
def printable(slug: str):
    event = _public_event(slug)
    view = public_agenda(event)
    return render_template("events/agenda_print.html", event=event, agenda=view, kinds=KIND_LABELS)


@bp.get("/events/<slug>/agenda/changes")
def changes(slug: str):
    """The change log: what each publish of the agenda added, moved, cancelled or updated."""
    event = _public_event(slug)
    etag = _etag(event, "changes")
    cached = _not_modified(etag)
    if cached is not None:
        return cached
    response = current_app.make_response(
        render_template(
            "events/agenda_changes.html",
            event=event,
            versions=agenda_versions(event),
            sections=CHANGE_SECTIONS,
        )
    )
    response.set_etag(etag)
    response.headers["Cache-Control"] = "public, no-cache"
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


def _export(event: Event, kind: str, mimetype: str, build, **headers):
    """An export of the published agenda for screens and apps: built once per agenda version
    (kept per process), ETag and 304, readable from any origin."""
    etag = _etag(event, kind)
    response = _not_modified(etag)
    if response is None:
        cache = _bounded(f"agenda_{kind}", 32)
        body = cache.get(etag)
        if body is None:
            body = cache[etag] = build()
        response = current_app.response_class(body, mimetype=mimetype)
        response.set_etag(etag)
        response.headers["Cache-Control"] = "public, no-cache"
        response.headers.update(headers)
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


@bp.get("/events/<slug>/agenda.json")
def agenda_json(slug: str):
    """The published agenda for screens and apps; schema in docs/agenda-json.md."""
    event = _public_event(slug)
    return _export(
        event, "json", "application/json",
        lambda: json.dumps(_agenda_document(event), ensure_ascii=False).encode(),
    )  # fmt: skip


@bp.get("/events/<slug>/schedule.xml")
def schedule_xml(slug: str):
    """The published agenda for conference schedule apps (frab schedule.xml)."""
    event = _public_event(slug)
    base_url = current_app.config["BASE_URL"]
    agenda_url = base_url + url_for("agenda.agenda", slug=event.slug)
    return _export(
        event, "schedule.xml", "application/xml",
        lambda: build_schedule_xml(
            event, public_agenda(event), latest_version_number(event), agenda_url, base_url
        ),
        **{"Content-Disposition": f'inline; filename="{event.slug}-schedule.xml"'},
    )  # fmt: skip


@bp.get("/events/<slug>/schedule.json")
def schedule_json(slug: str):
    """The published agenda for conference schedule apps (frab JSON, as pretalx serves)."""
    event = _public_event(slug)
    base_url = current_app.config["BASE_URL"]

    def build() -> bytes:
        version = latest_version_number(event)
        document = build_schedule_json(event, public_agenda(event), version, base_url)
        return json.dumps(document, ensure_ascii=False).encode()

    return _export(
        event, "schedule.json", "application/json", build,
        **{"Content-Disposition": f'inline; filename="{event.slug}-schedule.json"'},
    )  # fmt: skip


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
