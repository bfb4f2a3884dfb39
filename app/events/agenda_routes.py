"""Public agenda pages: the agenda itself, its JSON export, a printable copy, and stars."""

from __future__ import annotations

import hashlib

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app.events.agenda_services import (
    KIND_LABELS,
    AgendaError,
    agenda_version,
    public_agenda,
    star_session,
    unstar_session,
)
from app.events.models import Event
from app.extensions import db
from app.pillars import PILLARS
from app.timeutil import to_local

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


def _etag(event: Event, *parts: str) -> str:
    raw = "|".join((agenda_version(event), *parts))
    return hashlib.sha256(raw.encode()).hexdigest()[:32]


@bp.get("/events/<slug>/agenda")
def agenda(slug: str):
    event = _public_event(slug)
    track = request.args.get("track", "").strip()[:80]
    pillar = request.args.get("pillar", "").strip()
    pillar = pillar if pillar in PILLARS else ""
    mine = request.args.get("mine") == "1"
    user = current_user if current_user.is_authenticated else None
    etag = None
    if user is None:
        # Anonymous pages are the same for everyone: let browsers and proxies revalidate.
        etag = _etag(event, track, pillar)
        cached = _not_modified(etag)
        if cached is not None:
            return cached
    view = public_agenda(event, user, track=track, pillar=pillar, mine=mine and user is not None)
    response = current_app.make_response(
        render_template(
            "events/agenda.html",
            event=event,
            agenda=view,
            track=track,
            pillar=pillar,
            mine=mine,
            kinds=KIND_LABELS,
            view_functions=current_app.view_functions,
            event_feed_url=_event_feed_url(event),
        )
    )
    if etag is not None:
        response.set_etag(etag)
        response.headers["Cache-Control"] = "public, no-cache"
    else:
        response.headers["Cache-Control"] = "private, no-cache"
    return response


@bp.get("/events/<slug>/agenda/print")
def printable(slug: str):
    event = _public_event(slug)
    view = public_agenda(event)
    return render_template("events/agenda_print.html", event=event, agenda=view, kinds=KIND_LABELS)


def _iso(value, tz: str) -> str:
    return to_local(value, tz).isoformat()


@bp.get("/events/<slug>/agenda.json")
def agenda_json(slug: str):
    """The published agenda for screens and apps; schema in docs/agenda-json.md."""
    event = _public_event(slug)
    etag = _etag(event, "json")
    cached = _not_modified(etag)
    if cached is not None:
        cached.headers["Access-Control-Allow-Origin"] = "*"
        return cached
    view = public_agenda(event)
    tz = event.timezone
    base = current_app.config["BASE_URL"]
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
                    "url": f"{base}{url_for('agenda.agenda', slug=event.slug)}#s-{s.id}",
                }
            )
    speakers = sorted(view.speakers.values(), key=lambda sp: sp.name)
    body = {
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
    response = jsonify(body)
    response.set_etag(etag)
    response.headers["Cache-Control"] = "public, no-cache"
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


def _back(event: Event, session_id: int) -> str:
    target = request.form.get("next", "")
    prefix = url_for("agenda.agenda", slug=event.slug)
    if not target.startswith(prefix) or "//" in target or "\\" in target:
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
