"""Turning what happened into webhook deliveries, in the transaction that made it happen.

Packages are not asked to call anything: session hooks note the rows a transaction inserts
(registration log entries, check-ins, agenda versions, verified outcomes), and just before it
commits, one delivery row is inserted per active endpoint that wants the type. The rows
commit, or roll back, with their cause.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Callable

from flask import current_app
from sqlalchemy import event, insert, select
from sqlalchemy.orm import Session

from app.auth.models import Organisation
from app.checkin.models import CheckIn
from app.events.models import AgendaVersion, Event
from app.outcomes.models import OutcomeAudit, OutcomeClaim
from app.registration.models import Registration, RegistrationLog
from app.timeutil import utcnow
from app.webhooks.models import QUEUED, WebhookDelivery, WebhookEndpoint

# Registration log actions → webhook event types.
LOG_EVENTS = {
    "confirmed": "registration.confirmed",
    "cancelled": "registration.cancelled",
    "waitlisted": "registration.waitlisted",
    "paid": "payment.succeeded",
    "refunded": "payment.refunded",
}


def _registration(session: Session, registration_id: int) -> dict:
    r = session.get(Registration, registration_id)
    return {
        "id": r.id,
        "status": r.status,
        "event": r.event.slug,
        "email": r.user.email,
        "name": r.user.name,
        "ticket_type_id": r.ticket_type_id,
        "amount_paid_pence": r.amount_paid_pence,
    }


def _claim(session: Session, claim_id: int) -> dict:
    c = session.get(OutcomeClaim, claim_id)
    organisation = session.get(Organisation, c.organisation_id)
    return {
        "outcome": {
            "id": c.id,
            "programme_id": c.programme_id,
            "organisation": organisation.name,
            "kind": c.kind,
            "title": c.title,
            "quantity": float(c.quantity),
            "occurred_on": c.occurred_on.isoformat(),
        }
    }


def _happenings(new: list) -> list[tuple[str, Callable[[Session], dict]]]:
    """(event type, how to build its data): built only if an endpoint wants the type."""
    found: list[tuple[str, Callable[[Session], dict]]] = []
    for obj in new:
        if isinstance(obj, RegistrationLog) and obj.action in LOG_EVENTS:
            rid = obj.registration_id
            found.append(
                (LOG_EVENTS[obj.action], lambda s, rid=rid: {"registration": _registration(s, rid)})
            )
        elif isinstance(obj, OutcomeAudit) and obj.action == "claim_verified":
            found.append(("outcome.verified", lambda s, c=obj.claim_id: _claim(s, c)))
        elif isinstance(obj, AgendaVersion):
            event_id, number, changes = obj.event_id, obj.number, len(obj.changes or [])
            found.append(
                (
                    "agenda.published",
                    lambda s, e=event_id, n=number, c=changes: {
                        "event": s.get(Event, e).slug, "version": n, "changes": c,
                    },
                )
            )  # fmt: skip
    return found


def active_endpoints(session: Session) -> list[tuple[int, list[str]]]:
    """Active endpoints and their types, kept per app for a few seconds: a scan or a
    registration must not pay a query for webhooks nobody registered. Adding or switching an
    endpoint clears it in this process; other processes see the change within ENDPOINT_TTL."""
    cache = current_app.extensions.get(ENDPOINTS)
    now = time.monotonic()
    if cache is None or cache[0] < now:
        rows = session.connection().execute(
            select(WebhookEndpoint.id, WebhookEndpoint.event_types).where(WebhookEndpoint.active)
        )
        cache = (now + ENDPOINT_TTL, [(i, list(t)) for i, t in rows])
        current_app.extensions[ENDPOINTS] = cache
    return cache[1]


def forget_endpoints() -> None:
    current_app.extensions.pop(ENDPOINTS, None)


PENDING = "webhook_pending"
ENDPOINTS = "journey_webhook_endpoints"
ENDPOINT_TTL = 10  # seconds


@event.listens_for(Session, "before_flush")
def _note_new(session: Session, flush_context, instances) -> None:
    watched = (RegistrationLog, AgendaVersion, OutcomeAudit)
    wanted = [o for o in session.new if isinstance(o, watched)]
    if wanted:
        session.info.setdefault("webhook_new", []).extend(wanted)


@event.listens_for(Session, "after_flush")
def _collect(session: Session, flush_context) -> None:
    new = session.info.pop("webhook_new", None)
    if new:
        session.info.setdefault(PENDING, []).extend(_happenings(new))


@event.listens_for(Session, "do_orm_execute")
def _check_ins(state) -> None:
    """The door admits with one Core INSERT … ON CONFLICT DO NOTHING (no ORM object to
    see): read the new row's id from its RETURNING and note the admission."""
    statement = state.statement
    if not state.is_insert or getattr(statement, "table", None) is not CheckIn.__table__:
        return None
    frozen = state.invoke_statement().freeze()
    row = frozen().first()
    if row is not None:
        values = statement.compile().params
        check_in = {
            "id": row[0],
            "session_id": values.get("session_id"),
            "checked_in_at": values["checked_in_at"].isoformat() + "Z",
        }
        rid = values["registration_id"]
        state.session.info.setdefault(PENDING, []).append(
            (
                "checkin.created",
                lambda s, c=check_in, rid=rid: {
                    "check_in": c, "registration": _registration(s, rid),
                },
            )
        )  # fmt: skip
    return frozen()


@event.listens_for(Session, "after_soft_rollback")
def _forget(session: Session, previous_transaction) -> None:
    session.info.pop(PENDING, None)
    session.info.pop("webhook_new", None)


@event.listens_for(Session, "before_commit")
def _emit(session: Session) -> None:
    """One delivery row per interested endpoint, in the transaction being committed."""
    if session.info.get("webhook_new"):
        session.flush()
    pending = session.info.pop(PENDING, None)
    if not pending:
        return
    endpoints = active_endpoints(session)
    rows = []
    now = utcnow()
    for event_type, build in pending:
        targets = [endpoint_id for endpoint_id, types in endpoints if event_type in types]
        if not targets:
            continue
        data = build(session)
        event_id = "evt_" + secrets.token_hex(12)
        body = json.dumps(
            {"id": event_id, "type": event_type, "created": int(time.time()), "data": data},
            separators=(",", ":"),
        )
        for endpoint_id in targets:
            rows.append(
                {
                    "endpoint_id": endpoint_id, "event_id": event_id,
                    "event_type": event_type, "body": body, "status": QUEUED,
                    "attempts": 0, "next_attempt_at": now, "created_at": now,
                }
            )  # fmt: skip
    if rows:
        session.connection().execute(insert(WebhookDelivery), rows)
