"""Scheduled work and reminders: lapsed holds released, reminders before a hold lapses and
before the event, and the emails when a published event moves or is cancelled. Every change
is claimed with a conditional UPDATE, so running it on several machines at once is safe."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import or_, select, update
from sqlalchemy.orm import selectinload

from app import signals
from app.auth.models import User
from app.benchmark.models import BenchmarkResponse
from app.events.models import AgendaSession, Event, EventStatus, Room
from app.events.published import from_row
from app.extensions import db
from app.registration import emails
from app.registration.models import (
    ENDED,
    Registration,
    SessionBooking,
)
from app.registration.seats import (
    BOOKED,
    PAID_REMINDER_EVERY,
    S,
    claim_status,
    confirm,
    event_reminder_window,
    format_when,
    organisations_with_valid_benchmark,
)
from app.registration.services import release_registration
from app.registration.waitlist import promote_waitlist
from app.timeutil import utcnow


@dataclass
class ExpirySummary:
    released: int = 0
    reminded: int = 0
    promoted: int = 0
    confirmed: int = 0
    event_reminders: int = 0

    def __str__(self) -> str:
        return (
            f"released {self.released} expired holds, sent {self.reminded} reminders, "
            f"promoted {self.promoted} from waiting lists, confirmed {self.confirmed}, "
            f"sent {self.event_reminders} event reminders"
        )


def expire_holds(now: datetime | None = None) -> ExpirySummary:
    """Release unpaid or unassessed holds that have lapsed, remind those about to lapse, and
    fill freed seats from the waiting list. Safe to run again and from several machines: every
    change is a conditional UPDATE."""
    now = now or utcnow()
    summary = ExpirySummary()
    reminder_window = timedelta(hours=current_app.config["HOLD_REMINDER_HOURS"])
    pending = db.session.execute(
        select(Registration)
        .where(
            Registration.status.in_([S.PENDING_PAYMENT, S.PENDING_BENCHMARK]),
            Registration.holds_seat.is_(True),
        )
        .options(
            selectinload(Registration.event),
            selectinload(Registration.user),
            selectinload(Registration.ticket_type),
        )
    ).scalars()
    pending = list(pending)
    valid_orgs = organisations_with_valid_benchmark(
        [r.user.organisation_id for r in pending if r.status == S.PENDING_BENCHMARK], now
    )
    for registration in pending:
        if (
            registration.status == S.PENDING_BENCHMARK
            and registration.user.organisation_id in valid_orgs
        ):
            # Submitted but missed (e.g. the benchmark was entered by an organiser): confirm.
            if claim_status(registration, [S.PENDING_BENCHMARK], status=S.CONFIRMED):
                confirm(registration, None, now, "benchmark found at hold check")
                summary.confirmed += 1
            continue
        expires = registration.hold_expires_at
        if expires is not None and expires <= now:
            before = registration.status
            release_registration(registration, None, reason="hold expired", now=now)
            if registration.status == S.CANCELLED and before != S.CANCELLED:
                summary.released += 1
            continue
        if _reminder_due(registration, now, reminder_window):
            claimed = db.session.execute(
                update(Registration)
                .where(
                    Registration.id == registration.id,
                    or_(
                        Registration.reminder_sent_at.is_(None),
                        Registration.reminder_sent_at == registration.reminder_sent_at,
                    ),
                )
                .values(reminder_sent_at=now)
                .execution_options(synchronize_session=False)
            )
            if claimed.rowcount == 1:
                db.session.refresh(registration)
                until = registration.hold_expires_at
                emails.send_registration_email(
                    registration,
                    "hold_reminder",
                    extra={
                        "until": format_when(until, registration.event.timezone) if until else "",
                    },
                )
                summary.reminded += 1
    # Seats may be free with people waiting (capacity raised, an earlier promotion skipped).
    waiting_events = db.session.execute(
        select(Event).where(
            Event.id.in_(select(Registration.event_id).where(Registration.status == S.WAITLISTED)),
            Event.status == EventStatus.PUBLISHED,
            Event.starts_at > now,
            or_(Event.capacity.is_(None), Event.seats_taken < Event.capacity),
        )
    ).scalars()
    for event in list(waiting_events):
        summary.promoted += len(promote_waitlist(event, now=now))
    db.session.flush()
    summary.event_reminders = send_event_reminders(now)
    return summary


def _reminder_due(registration: Registration, now: datetime, window: timedelta) -> bool:
    if registration.event.starts_at <= now:
        return False
    if registration.hold_expires_at is not None:
        due = registration.hold_expires_at - window <= now
        return registration.reminder_sent_at is None and due
    # Paid, waiting for the benchmark, seat kept: a weekly nudge until the event.
    last = registration.reminder_sent_at or registration.created_at
    return last + PAID_REMINDER_EVERY <= now


# --- reminders before the event -----------------------------------------------------------------

# Registrations claimed, rendered and logged per batch: a handful of statements per batch,
# whatever the number of delegates, and SQL parameter lists well inside SQLite's limit.
EVENT_REMINDER_BATCH = 500


def send_event_reminders(now: datetime | None = None) -> int:
    """Email every confirmed delegate of a published event that starts within
    EVENT_REMINDER_HOURS (and has not started): their ticket, the venue, the agenda and the
    sessions they booked. Once per registration, even with cron running on several machines:
    each batch is claimed with a conditional UPDATE before anything is rendered, and only the
    rows this UPDATE changed are emailed (after COMMIT). Returns how many were emailed."""
    now = now or utcnow()
    due = db.session.execute(
        select(Registration)
        .join(Event, Event.id == Registration.event_id)
        .where(
            Registration.status == S.CONFIRMED,
            Registration.event_reminder_sent_at.is_(None),
            Event.status == EventStatus.PUBLISHED,
            Event.starts_at > now,
            Event.starts_at <= now + event_reminder_window(),
        )
        .order_by(Registration.id)
        .options(
            selectinload(Registration.event).selectinload(Event.venue),
            selectinload(Registration.user).selectinload(User.organisation),
            selectinload(Registration.ticket_type),
        )
    ).scalars()
    due = list(due)
    sent = 0
    for start in range(0, len(due), EVENT_REMINDER_BATCH):
        batch = due[start : start + EVENT_REMINDER_BATCH]
        claimed = claim_event_reminders([r.id for r in batch], now)
        mine = [r for r in batch if r.id in claimed]
        if not mine:
            continue
        sessions = _booked_sessions([r.id for r in mine])
        results = _benchmark_results_urls({r.user.organisation_id for r in mine})
        emails.send_registration_emails(
            "event_reminder",
            [(r, _event_reminder_extra(r, sessions, results)) for r in mine],
        )
        sent += len(mine)
    return sent


def claim_event_reminders(registration_ids: list[int], now: datetime) -> set[int]:
    """Mark these registrations' event reminders as sent, unless they already are (by another
    machine, or by confirmation inside the window); the ids this call marked. On PostgreSQL a
    second claimer waits for the first's row locks, then re-checks the WHERE and finds nothing."""
    if not registration_ids:
        return set()
    claimed = db.session.execute(
        update(Registration)
        .where(
            Registration.id.in_(registration_ids),
            Registration.status == S.CONFIRMED,
            Registration.event_reminder_sent_at.is_(None),
        )
        .values(event_reminder_sent_at=now)
        .returning(Registration.id)
        .execution_options(synchronize_session=False)
    ).scalars()
    return set(claimed)


@dataclass(frozen=True)
class ReminderSession:
    title: str
    when: str
    room: str


def _booked_sessions(registration_ids: list[int]) -> dict[int, list[ReminderSession]]:
    """{registration id: the published sessions it has a seat in, in time order} (2 queries).
    Sessions cancelled on the published agenda are left out."""
    rows = db.session.execute(
        select(
            SessionBooking.registration_id,
            AgendaSession.id,
            AgendaSession.event_id,
            AgendaSession.uid,
            AgendaSession.sequence,
            AgendaSession.published,
            AgendaSession.published_at,
            AgendaSession.seats_taken,
            Event.timezone,
        )
        .join(AgendaSession, AgendaSession.id == SessionBooking.session_id)
        .join(Event, Event.id == AgendaSession.event_id)
        .where(
            SessionBooking.registration_id.in_(registration_ids),
            SessionBooking.status == BOOKED,
            AgendaSession.published_at.is_not(None),
        )
    ).all()
    booked = [
        (row.registration_id, row.timezone, published)
        for row in rows
        if (published := from_row(row)) is not None and not published.is_cancelled
    ]
    room_ids = {p.room_id for _, _, p in booked if p.room_id is not None}
    rooms = (
        dict(db.session.execute(select(Room.id, Room.name).where(Room.id.in_(room_ids))).all())
        if room_ids
        else {}
    )
    by_registration: dict[int, list[ReminderSession]] = {}
    for registration_id, tz, p in sorted(booked, key=lambda b: (b[2].starts_at, b[2].id)):
        by_registration.setdefault(registration_id, []).append(
            ReminderSession(
                title=p.title,
                when=_session_when(p.starts_at, p.ends_at, tz),
                room=rooms.get(p.room_id, "") if p.room_id is not None else "",
            )
        )
    return by_registration


def _session_when(starts: datetime, ends: datetime, tz: str) -> str:
    from app.templating import format_local

    return f"{format_when(starts, tz)}–{format_local(ends, '%H:%M', tz)}"


def _benchmark_results_urls(organisation_ids: set[int | None]) -> dict[int, str]:
    """{organisation id: the address of its latest submitted benchmark's results} (1 query)."""
    ids = {i for i in organisation_ids if i is not None}
    if not ids:
        return {}
    rows = db.session.execute(
        select(BenchmarkResponse.organisation_id, BenchmarkResponse.public_id)
        .where(
            BenchmarkResponse.organisation_id.in_(ids),
            BenchmarkResponse.status == "submitted",
        )
        .order_by(BenchmarkResponse.submitted_at, BenchmarkResponse.id)
    ).all()
    latest = dict(rows)  # later rows (newer benchmarks) win
    return {
        org_id: emails.url("benchmark.results", public_id=public_id)
        for org_id, public_id in latest.items()
    }


def _event_reminder_extra(
    registration: Registration,
    sessions: dict[int, list[ReminderSession]],
    results: dict[int, str],
) -> dict:
    event = registration.event
    return {
        "when": format_when(event.starts_at, event.timezone),
        "agenda_url": (
            emails.url("agenda.agenda", slug=event.slug) if event.agenda_published_at else ""
        ),
        "results_url": results.get(registration.user.organisation_id, ""),
        "sessions": sessions.get(registration.id, []),
    }


# --- a published event moves, changes venue or is cancelled --------------------------------------


def notify_event_change(event: Event, change: str, before, now: datetime | None = None) -> int:
    """Email everyone with a live registration (waiting list included) about the change, with
    an updated calendar entry; returns how many. For a move, the "event is soon" reminder is
    sent again before the new date, unless the new date is already inside the reminder window:
    then this email stands in for it."""
    now = now or utcnow()
    if change == "rescheduled":
        reminded = Registration.event_reminder_sent_at.is_not(None)
        if event.starts_at - now > event_reminder_window():
            values, which = {"event_reminder_sent_at": None}, reminded
        else:
            values, which = {"event_reminder_sent_at": now}, ~reminded
        db.session.execute(
            update(Registration)
            .where(Registration.event_id == event.id, which)
            .values(**values)
            .execution_options(synchronize_session="fetch")
        )
    told = list(
        db.session.execute(
            select(Registration)
            .where(Registration.event_id == event.id, Registration.status.not_in(ENDED))
            .order_by(Registration.id)
            .options(selectinload(Registration.user), selectinload(Registration.ticket_type))
        ).scalars()
    )
    kind = "event_cancelled" if change == "cancelled" else "event_changed"
    emails.send_registration_emails(
        kind,
        [
            (r, {"before": before, "when": format_when(event.starts_at, event.timezone)})
            for r in told
        ],
    )
    return len(told)


def _on_event_changed(sender, **kwargs) -> int:
    return notify_event_change(sender, kwargs["change"], kwargs["before"])


signals.event_changed.connect(_on_event_changed)
