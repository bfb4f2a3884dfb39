"""What the API returns for each object: plain JSON-safe dicts, times in UTC ISO 8601."""

from __future__ import annotations

import base64
from datetime import UTC, datetime


def iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC, microsecond=0).isoformat().replace("+00:00", "Z")


def encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(f"id:{last_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int | None:
    """The id after which the next page starts, or None for a cursor we did not make."""
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        return None
    kind, _, value = text.partition(":")
    if kind != "id" or not value.isdigit() or len(value) > 18:
        return None
    return int(value)


def event(e) -> dict:
    return {
        "id": e.id,
        "slug": e.slug,
        "title": e.title,
        "kind": e.kind,
        "status": e.status,
        "summary": e.summary or "",
        "starts_at": iso(e.starts_at),
        "ends_at": iso(e.ends_at),
        "timezone": e.timezone,
        "capacity": e.capacity,
        "seats_taken": e.seats_taken,
        "requires_benchmark": e.requires_benchmark,
        "venue": e.venue.name if e.venue is not None else None,
        "updated_at": iso(e.updated_at),
    }


def ticket_type(t) -> dict:
    return {
        "id": t.id,
        "name": t.name,
        "price_pence": t.price_pence,
        "currency": t.currency,
        "capacity": t.capacity,
        "seats_taken": t.seats_taken,
        "hidden": t.hidden,
    }


def registration(r) -> dict:
    user = r.user
    return {
        "id": r.id,
        "status": r.status,
        "email": user.email,
        "name": user.name,
        "organisation": user.organisation.name if user.organisation is not None else None,
        "ticket_type_id": r.ticket_type_id,
        "ticket_type": r.ticket_type.name,
        "amount_due_pence": r.amount_due_pence,
        "amount_paid_pence": r.amount_paid_pence,
        "paid_at": iso(r.paid_at),
        "created_at": iso(r.created_at),
        "updated_at": iso(r.updated_at),
    }


def check_in(c, registration_row, session_title: str | None) -> dict:
    return {
        "id": c.id,
        "registration_id": c.registration_id,
        "name": registration_row.user.name,
        "email": registration_row.user.email,
        "session_id": c.session_id,
        "point": session_title or "Event entrance",
        "checked_in_at": iso(c.checked_in_at),
        "undone_at": iso(c.undone_at),
    }


def session(s, event_row, speakers: dict) -> dict:
    return {
        "id": s.id,
        "uid": s.uid,
        "title": s.title,
        "abstract": s.abstract,
        "kind": s.kind,
        "status": s.status,
        "starts_at": iso(s.starts_at),
        "ends_at": iso(s.ends_at),
        "room_id": s.room_id,
        "track": s.track or None,
        "capacity": s.capacity,
        "seats_taken": s.seats_taken,
        "speaker_ids": [i for i in s.speaker_ids if i in speakers],
    }


def speaker(s) -> dict:
    return {
        "id": s.id,
        "slug": s.slug,
        "name": s.name,
        "job_title": s.job_title,
        "organisation": s.organisation,
    }


def outcome(c, organisation_name: str) -> dict:
    return {
        "id": c.id,
        "programme_id": c.programme_id,
        "organisation": organisation_name,
        "kind": c.kind,
        "title": c.title,
        "quantity": float(c.quantity),
        "occurred_on": c.occurred_on.isoformat(),
        "status": c.status,
        "reviewed_at": iso(c.reviewed_at),
        "created_at": iso(c.created_at),
    }
