"""Announcements: an organiser writes once; each delegate in the chosen group gets their own
email (greeted by name, Reply-To the organiser), queued in the outbox with the announcement and
logged per person; workers build and send them, so a group of thousands is one quick request."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage

from flask import render_template
from sqlalchemy import func, insert, select
from sqlalchemy.orm import joinedload

from app import mail
from app.auth.models import User
from app.events.models import AgendaSession, Event
from app.extensions import db
from app.markup import render_markdown
from app.messages.models import Announcement
from app.outbox import writer
from app.outbox.renderers import Unrenderable, renderer
from app.registration.emails import url
from app.registration.models import EmailLog, Registration, SessionBooking
from app.registration.models import RegistrationStatus as S
from app.timeutil import utcnow

SESSION_PREFIX = "session-"
RENDERER = "announcement"

# key → (label, registration states in the group)
AUDIENCES: dict[str, tuple[str, tuple[str, ...]]] = {
    "confirmed": ("Confirmed delegates", (S.CONFIRMED,)),
    "with_place": (
        "Everyone with a place (confirmed, or waiting on payment or the benchmark)",
        (S.CONFIRMED, S.PENDING_PAYMENT, S.PENDING_BENCHMARK),
    ),
    "pending_benchmark": ("Waiting on their business's benchmark", (S.PENDING_BENCHMARK,)),
    "pending_payment": ("Waiting on payment", (S.PENDING_PAYMENT,)),
    "waitlisted": ("On the waiting list", (S.WAITLISTED,)),
}


class MessageError(ValueError):
    """The announcement cannot be sent; the message says why."""


@dataclass(frozen=True)
class Choice:
    key: str
    label: str
    count: int


def audience_choices(event: Event) -> list[Choice]:
    """Every group an organiser can write to, with how many people are in it (2 queries)."""
    by_status = dict(
        db.session.execute(
            select(Registration.status, func.count())
            .where(Registration.event_id == event.id)
            .group_by(Registration.status)
        ).all()
    )
    choices = [
        Choice(key, label, sum(by_status.get(s, 0) for s in states))
        for key, (label, states) in AUDIENCES.items()
    ]
    booked = db.session.execute(
        select(AgendaSession.id, AgendaSession.title, func.count(SessionBooking.id))
        .join(SessionBooking, SessionBooking.session_id == AgendaSession.id)
        .where(AgendaSession.event_id == event.id, SessionBooking.status == "booked")
        .group_by(AgendaSession.id, AgendaSession.title, AgendaSession.starts_at)
        .order_by(AgendaSession.starts_at, AgendaSession.id)
    ).all()
    choices += [
        Choice(f"{SESSION_PREFIX}{sid}", f"Booked on “{title}”", n) for sid, title, n in booked
    ]
    return choices


def recipients(event: Event, audience: str) -> tuple[list[Registration], AgendaSession | None]:
    """The registrations of the people in `audience`, one per person, by name (1–2 queries)."""
    if audience.startswith(SESSION_PREFIX):
        session = _session_of(event, audience.removeprefix(SESSION_PREFIX))
        rows = db.session.execute(
            select(Registration)
            .join(SessionBooking, SessionBooking.registration_id == Registration.id)
            .where(SessionBooking.session_id == session.id, SessionBooking.status == "booked")
            .where(Registration.status == S.CONFIRMED)
            .options(joinedload(Registration.user))
        ).scalars()
    elif audience in AUDIENCES:
        session = None
        rows = db.session.execute(
            select(Registration)
            .where(Registration.event_id == event.id)
            .where(Registration.status.in_(AUDIENCES[audience][1]))
            .options(joinedload(Registration.user))
        ).scalars()
    else:
        raise MessageError("Choose who should receive the message.")
    return sorted(rows, key=lambda r: (r.user.name.lower(), r.id)), session


def _session_of(event: Event, raw_id: str) -> AgendaSession:
    session_id = int(raw_id) if raw_id.isdigit() and len(raw_id) < 10 else 0
    session = db.session.get(AgendaSession, session_id) if session_id else None
    if session is None or session.event_id != event.id:
        raise MessageError("That session is not part of this event.")
    return session


def find_sent(token: str) -> Announcement | None:
    return db.session.execute(
        select(Announcement).where(Announcement.form_token == token)
    ).scalar_one_or_none()


def send_announcement(
    actor: User,
    event: Event,
    audience: str,
    subject: str,
    body: str,
    token: str,
    now: datetime | None = None,
) -> Announcement:
    """Record the announcement and queue one email per person; nothing leaves before COMMIT.
    The same form token twice (a double click, a resubmitted page) returns the first send."""
    sent = find_sent(token)
    if sent is not None:
        if sent.event_id != event.id:
            raise MessageError("This form was for another event. Please start again.")
        return sent
    people, session = recipients(event, audience)
    if not people:
        raise MessageError("Nobody is in that group yet, so nothing was sent.")
    announcement = Announcement(
        event_id=event.id,
        audience=audience,
        session_id=session.id if session else None,
        subject=subject,
        body=body,
        recipients=len(people),
        sent_by_id=actor.id,
        sent_at=now or utcnow(),
        form_token=token,
    )
    db.session.add(announcement)
    db.session.flush()
    rows, logs = [], []
    for registration in people:
        user = registration.user
        rows.append(
            {
                "kind": "announcement",
                "to": user.email,
                "subject": subject,
                "user_id": user.id,
                "registration_id": registration.id,
                "event_id": event.id,
                "batch": batch_of(announcement),
                "payload": {"announcement_id": announcement.id},
            }
        )
        logs.append(
            {
                "registration_id": registration.id,
                "to": user.email,
                "subject": subject,
                "kind": "announcement",
                "extra": {"announcement_id": announcement.id},
            }
        )
    # One statement each for the whole group; the workers build and send each email.
    writer.add_deferred(RENDERER, rows)
    db.session.execute(insert(EmailLog), logs)
    return announcement


def batch_of(announcement: Announcement) -> str:
    return f"announcement-{announcement.id}"


def _preload(rows) -> list:
    """The announcements and recipients of a batch of rows (2 queries)."""
    ids = {(row.payload or {}).get("announcement_id") for row in rows}
    loaded: list = list(
        db.session.execute(
            select(Announcement)
            .where(Announcement.id.in_(ids - {None}))
            .options(
                joinedload(Announcement.event),
                joinedload(Announcement.session),
                joinedload(Announcement.sent_by),
            )
        ).scalars()
    )
    users = {row.user_id for row in rows if row.user_id}
    loaded += db.session.execute(select(User).where(User.id.in_(users))).scalars().all()
    return loaded


@renderer(RENDERER, prepare=_preload)
def render_announcement(row) -> EmailMessage:
    """One delegate's copy, greeted by name, Reply-To the organiser who wrote it (in the worker)."""
    announcement = db.session.get(Announcement, (row.payload or {}).get("announcement_id") or 0)
    user = db.session.get(User, row.user_id or 0)
    if announcement is None or user is None:
        raise Unrenderable("the announcement or its recipient no longer exists")
    event = announcement.event
    ctx = {
        "event": event,
        "session": announcement.session,
        "body_html": render_markdown(announcement.body),
        "body_text": announcement.body,
        "sender": announcement.sent_by,
        "tickets_url": url("registration.my_tickets"),
        "event_url": url("events.event_detail", slug=event.slug),
        "user": user,
    }
    message = mail.build_message(
        user.email,
        announcement.subject,
        render_template("messages/email/announcement.txt", **ctx),
        render_template("messages/email/announcement.html", **ctx),
    )
    message["Reply-To"] = announcement.sent_by.email
    return message


def sent_announcements(event: Event) -> list[Announcement]:
    """What has been sent for this event, newest first (1 query)."""
    return list(
        db.session.execute(
            select(Announcement)
            .where(Announcement.event_id == event.id)
            .options(joinedload(Announcement.sent_by), joinedload(Announcement.session))
            .order_by(Announcement.sent_at.desc(), Announcement.id.desc())
        ).scalars()
    )


def audience_label(announcement: Announcement) -> str:
    if announcement.session is not None:
        return f"Booked on “{announcement.session.title}”"
    return AUDIENCES.get(announcement.audience, (announcement.audience,))[0]
