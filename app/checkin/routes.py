"""The door: scanner page, scan API, name search, undo."""

from __future__ import annotations

from functools import wraps

from flask import (
    Blueprint,
    abort,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_limiter.util import get_remote_address
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from app.auth.roles import check_roles, login_required_json
from app.auth.sessions import ACTOR_VIEWS
from app.checkin.door_list import door_list
from app.checkin.fastscan import (
    fast_path,
    good_code,
    good_nonce,
    is_door_scan,
    read_signed_in,
    redeem_at_door,
    release_scan_connection,
)
from app.checkin.scan_event import scan_event_for_staff
from app.checkin.search import search_attendees
from app.checkin.services import (
    RESULTS,
    CheckinError,
    CheckinForbidden,
    CheckinInputError,
    CheckinNotFound,
    NonceReplay,
    checkin_points,
    event_for_staff,
    events_for_staff,
    redeem_ticket,
    undo_checkin,
)
from app.checkin.sync import apply_synced_scan, check_sessions, in_scan_order, parse_batch
from app.converters import id_arg
from app.events.models import Event
from app.extensions import csrf, db, limiter
from app.hosts.gate import hosted_organisation_id
from app.timeutil import to_local

bp = Blueprint("checkin", __name__)


def _per_user() -> str:
    return f"user:{current_user.id}" if current_user.is_authenticated else get_remote_address()


def _scan_limit() -> str:
    return current_app.config.get("CHECKIN_SCAN_RATE_LIMIT", "600 per minute")


def _door_list_limit() -> str:
    return current_app.config.get("CHECKIN_DOOR_LIST_RATE_LIMIT", "60 per minute")


def _sync_limit() -> str:
    return current_app.config.get("CHECKIN_SYNC_RATE_LIMIT", "60 per minute")


def _search_limit() -> str:
    return current_app.config.get("CHECKIN_SEARCH_RATE_LIMIT", "120 per minute")


def _signed_in_with_csrf() -> None:
    """401 for a signed-out device first (its page's token died with its session), then the
    CSRF check in the X-CSRFToken header, as the app-wide check would do."""
    login_required_json()
    if current_app.config.get("WTF_CSRF_ENABLED", True):
        csrf.protect()


def _staff_event(slug: str) -> Event:
    try:
        return event_for_staff(slug, current_user)
    except CheckinNotFound as exc:
        abort(404, str(exc))
    except CheckinForbidden as exc:
        abort(403, str(exc))


# ---------------------------------------------------------------- pages


def door_access(view):
    """Door staff and organisers; also a site visit's hosts, whose events_for_staff and
    event_for_staff are their own visits."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if not (current_user.is_authenticated and hosted_organisation_id(current_user)):
            check_roles("door_staff", "organiser")
        return view(*args, **kwargs)

    return wrapped


@bp.get("/checkin")
@door_access
def choose_event():
    events = events_for_staff(current_user)
    if len(events) == 1 and not current_user.is_organiser and "all" not in request.args:
        return redirect(url_for("checkin.scanner", slug=events[0].slug))  # no choice to make
    return render_template("checkin/choose_event.html", events=events)


@bp.get("/checkin/<slug>")
@door_access
def scanner(slug: str):
    event = _staff_event(slug)
    points = [
        {
            "id": s.id,
            "label": f"{to_local(s.starts_at, event.timezone):%a %H:%M} · {s.title}"
            + (" (booking needed)" if s.is_bookable else ""),
        }
        for s in checkin_points(event)
    ]
    return render_template("checkin/scanner.html", event=event, points=points, results=RESULTS)


# ---------------------------------------------------------------- JSON API


def _json_body() -> dict:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        abort(400, "Send a JSON object.")
    return body


def _optional_int(body: dict, key: str) -> int | None:
    value = body.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 2**31:
        abort(400, f"{key} must be a whole number or null.")
    return value


def _device(body: dict) -> str:
    device = body.get("device")
    return (device if isinstance(device, str) else request.headers.get("User-Agent", ""))[:120]


@bp.post("/api/checkin/<slug>/scan")
@csrf.exempt  # checked in the view, after the sign-in check
@limiter.limit(_scan_limit, key_func=_per_user)
def scan_api(slug: str):
    _signed_in_with_csrf()
    actor = current_user._get_current_object()  # once, not through the proxy at every use
    body = request.get_json(silent=True)
    try:
        if is_door_scan(body) and fast_path():
            result = redeem_at_door(
                slug, actor, code=body["code"], nonce=body["nonce"], device=_device(body)
            )
        else:
            result = _redeem(slug, actor)
    except CheckinNotFound as exc:
        abort(404, str(exc))
    except CheckinForbidden as exc:
        abort(403, str(exc))
    except NonceReplay as replay:
        db.session.rollback()
        return jsonify(replay.response)
    except CheckinInputError as exc:
        db.session.rollback()
        abort(400, str(exc))
    if db.session().in_transaction():
        db.session.commit()
    return jsonify(result.as_dict())


def _redeem(slug: str, actor):
    """A scan on the ORM session: the event check first, then the body's."""
    event = scan_event_for_staff(slug, actor)
    body = _json_body()
    code = body.get("code")
    if code is not None and not good_code(code):
        abort(400, "code must be the text read from the ticket.")
    registration_id = _optional_int(body, "registration_id")
    session_id = _optional_int(body, "session_id")
    nonce = body.get("nonce")
    if not good_nonce(nonce):
        abort(400, "nonce must be a unique string of 8 to 64 characters (a UUID).")
    return redeem_ticket(
        event,
        actor,
        code=code,
        registration_id=registration_id,
        session_id=session_id,
        nonce=nonce,
        device=_device(body),
    )


# The scan's current_user is a SignedInActor, read with the scan's event and ticket.
ACTOR_VIEWS["checkin.scan_api"] = read_signed_in
bp.teardown_request(release_scan_connection)


@bp.get("/api/checkin/<slug>/search")
@limiter.limit(_search_limit, key_func=_per_user)
def search_api(slug: str):
    login_required_json()
    event = _staff_event(slug)
    session_id = request.args.get("session_id", type=id_arg)
    try:
        found = search_attendees(event, current_user, request.args.get("q", ""), session_id)
    except CheckinInputError as exc:
        abort(400, str(exc))
    return jsonify(results=[a.__dict__ for a in found])


@bp.post("/api/checkin/<slug>/undo")
@csrf.exempt  # checked in the view, after the sign-in check
@limiter.limit(_search_limit, key_func=_per_user)
def undo_api(slug: str):
    _signed_in_with_csrf()
    event = _staff_event(slug)
    checkin_id = _optional_int(_json_body(), "checkin_id")
    if checkin_id is None:
        abort(400, "checkin_id is required.")
    try:
        checkin = undo_checkin(event, current_user, checkin_id)
    except CheckinForbidden as exc:
        db.session.rollback()
        abort(403, str(exc))
    except CheckinInputError as exc:
        db.session.rollback()
        abort(404, str(exc))
    except CheckinError as exc:
        db.session.rollback()
        abort(409, str(exc))
    db.session.commit()
    return jsonify(result="undone", checkin_id=checkin.id, message="Admission undone.")


@bp.get("/api/checkin/<slug>/door-list")
@limiter.limit(_door_list_limit, key_func=_per_user)
def door_list_api(slug: str):
    """The event's door list for judging scans offline; `?since=<version>` for what changed."""
    login_required_json()
    event = _staff_event(slug)
    since = request.args.get("since")
    if since is not None:
        if not since.isdigit() or len(since) > 15:
            abort(400, "since must be a version from an earlier door list.")
        since = int(since)
    body = door_list(event, since)
    # A scanner opened from its offline copy holds an old page: this keeps its token current.
    body["csrf_token"] = generate_csrf()
    response = jsonify(body)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/api/checkin/<slug>/sync")
@csrf.exempt  # checked in the view, after the sign-in check
@limiter.limit(_sync_limit, key_func=_per_user)
def sync_api(slug: str):
    """Scans made offline, in batches: each answered as the scan API would, in the order sent."""
    _signed_in_with_csrf()
    event = _staff_event(slug)
    try:
        device, scans = parse_batch(_json_body())
        check_sessions(event, scans)
    except CheckinInputError as exc:
        abort(400, str(exc))
    answers: dict[int, dict] = {}
    for scan in in_scan_order(scans):
        try:
            answers[scan.index] = apply_synced_scan(event, current_user, device, scan)
        except NonceReplay as replay:  # the same scan, sent again at this very moment
            db.session.rollback()
            answers[scan.index] = {"nonce": scan.nonce, **replay.response}
        else:
            db.session.commit()  # each admission stands on its own (see app/checkin/sync.py)
    return jsonify(results=[answers[i] for i in range(len(scans))])
