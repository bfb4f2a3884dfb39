"""/api/v1: thin views over the same services as the web forms. Every answer is JSON; lists
are {"data": [...], "next_cursor": ...} in id order."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from email_validator import EmailNotValidError, validate_email
from flask import Blueprint, jsonify, request
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app.api import serialise
from app.api.auth import current_token as token
from app.api.auth import error, rate_limit, rate_limit_key, token_required
from app.api.openapi import document
from app.auth.models import Organisation, User
from app.auth.services import AccountError
from app.checkin.errors import CheckinForbidden, CheckinInputError, CheckinNotFound, NonceReplay
from app.checkin.models import CheckIn
from app.checkin.services import event_for_staff, redeem_ticket
from app.events.models import AgendaSession, Event, Speaker, TicketType
from app.events.published import published_sessions
from app.extensions import csrf, db, limiter
from app.outcomes.models import ClaimStatus, OutcomeClaim
from app.registration.colleagues import register_on_behalf
from app.registration.models import Registration, RegistrationStatus
from app.registration.services import EventFullError, RegistrationError, cancel_registration

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)  # no cookies: a Bearer token cannot be sent by another site's form
limiter.limit(rate_limit, key_func=rate_limit_key)(bp)

DEFAULT_LIMIT, MAX_LIMIT = 50, 200


class BadRequest(ValueError):
    pass


@bp.errorhandler(BadRequest)
def _bad_request(exc: BadRequest):
    return error(400, "invalid", str(exc))


def _event(slug: str) -> Event:
    event = db.session.execute(
        select(Event).where(Event.slug == slug).options(joinedload(Event.venue))
    ).scalar_one_or_none()
    if event is None:
        raise _NotFound("No event with this slug.")
    return event


class _NotFound(LookupError):
    pass


@bp.errorhandler(_NotFound)
def _not_found(exc: _NotFound):
    return error(404, "not_found", str(exc))


def _page_args() -> tuple[int | None, int]:
    after = None
    if cursor := request.args.get("cursor"):
        after = serialise.decode_cursor(cursor)
        if after is None:
            raise BadRequest("cursor is not one this API gave out.")
    raw = request.args.get("limit", str(DEFAULT_LIMIT))
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_LIMIT:
        raise BadRequest(f"limit must be a whole number from 1 to {MAX_LIMIT}.")
    return after, int(raw)


def _page(query, model, serialise_row, limit: int, after: int | None):
    if after is not None:
        query = query.where(model.id > after)
    rows = list(db.session.execute(query.order_by(model.id).limit(limit + 1)).unique().scalars())
    more = len(rows) > limit
    rows = rows[:limit]
    return jsonify(
        data=[serialise_row(r) for r in rows],
        next_cursor=serialise.encode_cursor(rows[-1].id) if more else None,
    )


def _since(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise BadRequest("updated_since must be an ISO 8601 date-time.") from exc
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(UTC).replace(tzinfo=None)
    return parsed


# ---- reading --------------------------------------------------------------------------------


@bp.get("/openapi.json")
@limiter.exempt
def openapi():
    return jsonify(document())


@bp.get("/events")
@token_required("read")
def events():
    after, limit = _page_args()
    query = select(Event).options(joinedload(Event.venue))
    return _page(query, Event, serialise.event, limit, after)


@bp.get("/events/<slug>")
@token_required("read")
def event_detail(slug: str):
    return jsonify(data=serialise.event(_event(slug)))


@bp.get("/events/<slug>/ticket-types")
@token_required("read")
def ticket_types(slug: str):
    event = _event(slug)
    rows = db.session.execute(
        select(TicketType).where(TicketType.event_id == event.id).order_by(TicketType.id)
    ).scalars()
    return jsonify(data=[serialise.ticket_type(t) for t in rows], next_cursor=None)


@bp.get("/events/<slug>/registrations")
@token_required("read")
def registrations(slug: str):
    event = _event(slug)
    after, limit = _page_args()
    query = (
        select(Registration)
        .where(Registration.event_id == event.id)
        .options(
            joinedload(Registration.user).joinedload(User.organisation),
            joinedload(Registration.ticket_type),
        )
    )
    if status := request.args.get("status"):
        if status not in {s.value for s in RegistrationStatus}:
            choices = ", ".join(s.value for s in RegistrationStatus)
            raise BadRequest(f"status must be one of: {choices}.")
        query = query.where(Registration.status == status)
    if (since := _since(request.args.get("updated_since"))) is not None:
        query = query.where(Registration.updated_at >= since)
    return _page(query, Registration, serialise.registration, limit, after)


@bp.get("/events/<slug>/check-ins")
@token_required("read")
def check_ins(slug: str):
    event = _event(slug)
    after, limit = _page_args()
    query = select(CheckIn).where(CheckIn.event_id == event.id)
    if after is not None:
        query = query.where(CheckIn.id > after)
    rows = list(db.session.execute(query.order_by(CheckIn.id).limit(limit + 1)).scalars())
    more, rows = len(rows) > limit, rows[:limit]
    regs = {
        r.id: r
        for r in db.session.execute(
            select(Registration)
            .where(Registration.id.in_({c.registration_id for c in rows}))
            .options(joinedload(Registration.user))
        ).scalars()
    }
    titles = dict(
        db.session.execute(
            select(AgendaSession.id, AgendaSession.title).where(
                AgendaSession.id.in_({c.session_id for c in rows if c.session_id})
            )
        ).all()
    )
    return jsonify(
        data=[
            serialise.check_in(c, regs[c.registration_id], titles.get(c.session_id)) for c in rows
        ],
        next_cursor=serialise.encode_cursor(rows[-1].id) if more else None,
    )


@bp.get("/events/<slug>/sessions")
@token_required("read")
def sessions(slug: str):
    """The published agenda (what delegates see), cancelled sessions included."""
    event = _event(slug)
    published = published_sessions(event.id)
    speaker_ids = {i for s in published for i in s.speaker_ids}
    known = set(db.session.execute(select(Speaker.id).where(Speaker.id.in_(speaker_ids))).scalars())
    return jsonify(data=[serialise.session(s, event, known) for s in published], next_cursor=None)


@bp.get("/events/<slug>/speakers")
@token_required("read")
def speakers(slug: str):
    event = _event(slug)
    ids = {i for s in published_sessions(event.id) for i in s.speaker_ids}
    rows = db.session.execute(select(Speaker).where(Speaker.id.in_(ids)).order_by(Speaker.id))
    return jsonify(data=[serialise.speaker(s) for s in rows.scalars()], next_cursor=None)


@bp.get("/outcomes")
@token_required("read")
def outcomes():
    """Outcomes businesses claimed for the programme, filtered by review status."""
    after, limit = _page_args()
    query = select(OutcomeClaim, Organisation.name).join(
        Organisation, Organisation.id == OutcomeClaim.organisation_id
    )
    if status := request.args.get("status"):
        if status not in {s.value for s in ClaimStatus}:
            raise BadRequest("status must be one of: " + ", ".join(s.value for s in ClaimStatus))
        query = query.where(OutcomeClaim.status == status)
    if after is not None:
        query = query.where(OutcomeClaim.id > after)
    rows = db.session.execute(query.order_by(OutcomeClaim.id).limit(limit + 1)).all()
    more, rows = len(rows) > limit, rows[:limit]
    return jsonify(
        data=[serialise.outcome(claim, name) for claim, name in rows],
        next_cursor=serialise.encode_cursor(rows[-1][0].id) if more else None,
    )


# ---- writing --------------------------------------------------------------------------------


def _json_body() -> dict:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise BadRequest("Send a JSON object.")
    return body


def _text(body: dict, key: str, max_length: int, required: bool = False) -> str | None:
    value = body.get(key)
    if value is None or value == "":
        if required:
            raise BadRequest(f"{key} is required.")
        return None
    if not isinstance(value, str) or len(value) > max_length:
        raise BadRequest(f"{key} must be text of up to {max_length} characters.")
    return value.strip()


@bp.post("/events/<slug>/registrations")
@token_required("write")
def create_registration(slug: str):
    """Register someone as an organiser does on the Add delegate page (same rules)."""
    event = _event(slug)
    body = _json_body()
    try:
        email = validate_email(
            _text(body, "email", 254, required=True), check_deliverability=False
        ).normalized
    except EmailNotValidError as exc:
        raise BadRequest(f"email is not a valid address: {exc}") from exc
    ticket_type_id = body.get("ticket_type_id")
    ticket_type = next((t for t in event.ticket_types if t.id == ticket_type_id), None)
    if not isinstance(ticket_type_id, int) or ticket_type is None:
        raise BadRequest("ticket_type_id must be the id of one of this event's ticket types.")
    complimentary = body.get("complimentary", False)
    if not isinstance(complimentary, bool):
        raise BadRequest("complimentary must be true or false.")
    try:
        registration = register_on_behalf(
            token().user, event, ticket_type, email,
            _text(body, "name", 120), _text(body, "organisation", 200),
            complimentary=complimentary,
        )  # fmt: skip
    except EventFullError as exc:
        db.session.rollback()
        return error(409, "full", str(exc))
    except (RegistrationError, AccountError) as exc:
        db.session.rollback()
        return error(422, "refused", str(exc))
    db.session.commit()
    return jsonify(data=serialise.registration(registration)), 201


@bp.post("/registrations/<int:registration_id>/cancel")
@token_required("write")
def cancel(registration_id: int):
    registration = db.session.get(Registration, registration_id)
    if registration is None:
        raise _NotFound("No such registration.")
    try:
        cancel_registration(registration, token().user)
    except RegistrationError as exc:
        db.session.rollback()
        return error(422, "refused", str(exc))
    db.session.commit()
    return jsonify(data=serialise.registration(registration))


@bp.post("/events/<slug>/check-ins")
@token_required("write")
def create_check_in(slug: str):
    """Admit a ticket exactly as the door scanner does (same answers, same log)."""
    body = _json_body()
    code = _text(body, "code", 200, required=True)
    session_id = body.get("session_id")
    if session_id is not None and not isinstance(session_id, int):
        raise BadRequest("session_id must be a session's id or null.")
    nonce = body.get("nonce") or str(uuid.uuid4())
    if not isinstance(nonce, str) or len(nonce) > 64:
        raise BadRequest("nonce must be text of up to 64 characters.")
    actor = token().user
    try:
        event = event_for_staff(slug, actor)
        result = redeem_ticket(
            event, actor, code=code, session_id=session_id, nonce=nonce, device="api"
        )
    except NonceReplay as replay:
        db.session.rollback()
        return jsonify(data=replay.response)
    except CheckinInputError as exc:
        db.session.rollback()
        raise BadRequest(str(exc)) from exc
    except CheckinNotFound as exc:
        db.session.rollback()
        raise _NotFound(str(exc)) from exc
    except CheckinForbidden as exc:
        db.session.rollback()
        return error(403, "forbidden", str(exc))
    db.session.commit()
    return jsonify(data=result.as_dict())
