"""Publishing an event's agenda: a numbered version with its changes, and the emails to booked
delegates and speakers whose sessions moved."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from app import mail
from app.auth.models import User
from app.events.agenda_services import describe_changes, room_name, span
from app.events.models import (
    AgendaSession,
    AgendaVersion,
    Event,
    Room,
    SessionStatus,
    Speaker,
)
from app.events.published import SCHEDULE_FIELDS, snapshot
from app.extensions import db
from app.timeutil import utcnow

# --- publishing -----------------------------------------------------------------------------


@dataclass
class PublishResult:
    published: int = 0
    rescheduled: list[AgendaSession] = field(default_factory=list)
    notified: int = 0
    speakers_notified: int = 0
    version: AgendaVersion | None = None


def publish_agenda(actor: User, event: Event, now: datetime | None = None) -> PublishResult:
    """Make the draft public and record what changed as a new agenda version. Sessions whose
    time, room or status changed get a new calendar SEQUENCE, and the delegates booked on them
    and their speakers are emailed once each with every change."""
    now = now or utcnow()
    sessions = (
        db.session.execute(
            select(AgendaSession)
            .where(AgendaSession.event_id == event.id)
            .options(selectinload(AgendaSession.speaker_links))
            .order_by(AgendaSession.starts_at, AgendaSession.id)
        )
        .scalars()
        .all()
    )
    rooms = _rooms_of(sessions)
    result = PublishResult()
    previous: dict[int, dict] = {}
    changes: list[dict] = []
    for session in sessions:
        snap = snapshot(session)
        before = session.published if session.published_at is not None else None
        if before == snap:
            continue
        if before is None and session.status == SessionStatus.CANCELLED:
            continue  # never public: nothing to announce
        changes.append(
            {
                "session_id": session.id,
                "title": session.title,
                "change": _change_kind(before, snap),
                "notes": describe_changes(session, rooms, event.timezone),
            }
        )
        if before is not None and any(before.get(f) != snap[f] for f in SCHEDULE_FIELDS):
            session.sequence += 1
            result.rescheduled.append(session)
            previous[session.id] = before
        session.published = snap
        session.published_at = now
        result.published += 1
    if result.published or event.agenda_published_at is None:
        event.agenda_published_at = now
    if changes:
        result.version = _record_version(event, actor, changes, now)
    db.session.flush()
    if result.rescheduled:
        result.notified = _notify_booked_delegates(event, result.rescheduled, previous, rooms)
        result.speakers_notified = _notify_speakers(event, result.rescheduled, previous, rooms)
    return result


def _change_kind(before: dict | None, now: dict) -> str:
    if before is None:
        return "new"
    if before.get("status") != now["status"]:
        return "cancelled" if now["status"] == SessionStatus.CANCELLED else "restored"
    if any(before.get(f) != now[f] for f in SCHEDULE_FIELDS):
        return "moved"
    return "updated"


def latest_version_number(event: Event) -> int:
    """How many times the agenda has been published with changes (0: never)."""
    return (
        db.session.execute(
            select(func.max(AgendaVersion.number)).where(AgendaVersion.event_id == event.id)
        ).scalar_one()
        or 0
    )


def _record_version(event: Event, actor: User, changes: list[dict], now: datetime):
    version = AgendaVersion(
        event_id=event.id,
        number=latest_version_number(event) + 1,
        published_at=now,
        published_by_id=actor.id if actor else None,
        changes=changes,
    )
    db.session.add(version)
    return version


def agenda_versions(event: Event) -> list[AgendaVersion]:
    """The change log, newest first (1 query)."""
    return list(
        db.session.execute(
            select(AgendaVersion)
            .where(AgendaVersion.event_id == event.id)
            .order_by(AgendaVersion.number.desc())
        ).scalars()
    )


def _rooms_of(sessions: list[AgendaSession]) -> dict[int, Room]:
    """Every room these sessions are or were in (1 query)."""
    ids = {s.room_id for s in sessions} | {(s.published or {}).get("room_id") for s in sessions}
    ids.discard(None)
    if not ids:
        return {}
    return {r.id: r for r in db.session.execute(select(Room).where(Room.id.in_(ids))).scalars()}


def _notify_booked_delegates(
    event: Event, changed: list[AgendaSession], previous: dict[int, dict], rooms: dict[int, Room]
) -> int:
    from app.registration.models import EmailLog, SessionBooking

    bookings = db.session.execute(
        select(SessionBooking)
        .where(
            SessionBooking.session_id.in_([s.id for s in changed]),
            SessionBooking.status == "booked",
        )
        .options(joinedload(SessionBooking.user))
        .order_by(SessionBooking.id)
    ).scalars()
    by_user: dict[int, list[SessionBooking]] = defaultdict(list)
    for booking in bookings:
        by_user[booking.user_id].append(booking)
    if not by_user:
        return 0
    by_id = {s.id: s for s in changed}
    tz = event.timezone
    base = current_app.config["BASE_URL"]
    link = f"{base}/events/{event.slug}/agenda"
    for user_bookings in by_user.values():
        user = user_bookings[0].user
        lines = [
            _change_line(by_id[b.session_id], previous[b.session_id], rooms, tz)
            for b in user_bookings
        ]
        text = (
            f"Hello {user.name},\n\n"
            f"The agenda of {event.title} has changed for sessions you booked:\n\n"
            + "\n".join(f"- {line}" for line in lines)
            + f"\n\nThe full agenda: {link}\n"
            "Calendars subscribed to your Journey feed update by themselves.\n"
        )
        subject = f"Agenda change: {event.title}"
        mail.send(
            mail.build_message(user.email, subject, text),
            kind="agenda_change",
            user_id=user.id,
            registration_id=user_bookings[0].registration_id,
            event_id=event.id,
        )
        db.session.add(
            EmailLog(
                registration_id=user_bookings[0].registration_id,
                to=user.email,
                subject=subject,
                kind="agenda_change",
                extra={"session_ids": [b.session_id for b in user_bookings]},
            )
        )
    db.session.flush()
    return len(by_user)


def _notify_speakers(
    event: Event, changed: list[AgendaSession], previous: dict[int, dict], rooms: dict[int, Room]
) -> int:
    """Speakers with an account hear when their own sessions move or are cancelled."""
    from app.registration.models import EmailLog

    speaker_ids = {link.speaker_id for s in changed for link in s.speaker_links}
    if not speaker_ids:
        return 0
    speakers = db.session.execute(
        select(Speaker)
        .where(Speaker.id.in_(speaker_ids), Speaker.user_id.is_not(None))
        .options(joinedload(Speaker.user))
    ).scalars()
    by_speaker = {sp.id: sp for sp in speakers}
    link = f"{current_app.config['BASE_URL']}/events/{event.slug}/agenda"
    sent = 0
    for speaker in sorted(by_speaker.values(), key=lambda sp: sp.id):
        theirs = [s for s in changed if any(k.speaker_id == speaker.id for k in s.speaker_links)]
        lines = [_change_line(s, previous[s.id], rooms, event.timezone) for s in theirs]
        lines = [line.replace(" Your booking no longer applies.", "") for line in lines]
        subject = f"Your session at {event.title} has changed"
        text = (
            f"Hello {speaker.name},\n\n"
            f"The published agenda of {event.title} has changed for your sessions:\n\n"
            + "\n".join(f"- {line}" for line in lines)
            + f"\n\nThe full agenda: {link}\n"
            "Please tell the organisers at once if you cannot make the new time.\n"
        )
        mail.send(
            mail.build_message(speaker.user.email, subject, text),
            kind="speaker_agenda_change",
            user_id=speaker.user_id,
            event_id=event.id,
        )
        db.session.add(
            EmailLog(
                to=speaker.user.email,
                subject=subject,
                kind="speaker_agenda_change",
                extra={"speaker_id": speaker.id, "session_ids": [s.id for s in theirs]},
            )
        )
        sent += 1
    db.session.flush()
    return sent


def _change_line(session: AgendaSession, before: dict, rooms: dict[int, Room], tz: str) -> str:
    if session.status == SessionStatus.CANCELLED:
        return f"“{session.title}” has been cancelled. Your booking no longer applies."
    old_when = span(
        datetime.fromisoformat(before["starts_at"]), datetime.fromisoformat(before["ends_at"]), tz
    )
    old = f"{old_when}, {room_name(rooms, before.get('room_id'))}"
    new = f"{span(session.starts_at, session.ends_at, tz)}, {room_name(rooms, session.room_id)}"
    if before.get("status") == SessionStatus.CANCELLED:
        return f"“{session.title}” is back on: {new}."
    return f"“{session.title}” has moved: it was {old}; it is now {new}."
