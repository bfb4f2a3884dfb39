"""Announcements: an organiser writes once; each delegate in the chosen group gets their own
email (greeted by name, Reply-To the organiser), queued in the outbox with the announcement and
logged per person; workers build and send them, so a group of thousands is one quick request.

Plain functions: they flush, never commit. Scheduling lives in `scheduling.py`, previews and
test copies in `drafts.py`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from typing import NamedTuple

from flask import render_template
from sqlalchemy import Select, func, insert, literal, select
from sqlalchemy.orm import joinedload

from app import mail
from app.auth.models import User
from app.events.models import AgendaSession, Event
from app.extensions import db
from app.markup import render_markdown
from app.messages.models import SCHEDULED, SENT, Announcement
from app.outbox import writer
from app.outbox.models import OutboxMessage
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
    "everyone": (
        "Everyone registered (with a place or on the waiting list)",
        (S.CONFIRMED, S.PENDING_PAYMENT, S.PENDING_BENCHMARK, S.WAITLISTED),
    ),
    "pending_benchmark": ("Waiting on their business's benchmark", (S.PENDING_BENCHMARK,)),
    "pending_payment": ("Waiting on payment", (S.PENDING_PAYMENT,)),
    "waitlisted": ("On the waiting list", (S.WAITLISTED,)),
}
# How each state reads in "This goes to 214 people: 200 confirmed, 14 on the waiting list".
STATE_WORDS = {
    S.CONFIRMED: "confirmed",
    S.PENDING_PAYMENT: "waiting on payment",
    S.PENDING_BENCHMARK: "waiting on their benchmark",
    S.WAITLISTED: "on the waiting list",
}


class MessageError(ValueError):
    """The announcement cannot be sent; the message says why."""


@dataclass(frozen=True)
class Choice:
    key: str
    label: str
    count: int
    parts: tuple[tuple[int, str], ...] = ()  # (how many, state word), the non-empty ones

    @property
    def summary(self) -> str:
        """'This goes to 214 people: 200 confirmed, 14 on the waiting list.'"""
        if not self.count:
            return "Nobody is in this group yet."
        who = "1 person" if self.count == 1 else f"{self.count} people"
        detail = ", ".join(f"{n} {word}" for n, word in self.parts)
        return f"This goes to {who}: {detail}." if detail else f"This goes to {who}."


class Recipient(NamedTuple):
    registration_id: int
    user_id: int
    email: str
    name: str


def audience_choices(event: Event) -> list[Choice]:
    """Every group an organiser can write to, with how many people are in it (2 queries)."""
    by_status = dict(
        db.session.execute(
            select(Registration.status, func.count())
            .where(Registration.event_id == event.id)
            .group_by(Registration.status)
        ).all()
    )
    choices = []
    for key, (label, states) in AUDIENCES.items():
        parts = tuple((by_status[s], STATE_WORDS[s]) for s in states if by_status.get(s))
        choices.append(Choice(key, label, sum(n for n, _ in parts), parts))
    booked = db.session.execute(
        select(AgendaSession.id, AgendaSession.title, func.count(SessionBooking.id))
        .join(SessionBooking, SessionBooking.session_id == AgendaSession.id)
        .join(Registration, SessionBooking.registration_id == Registration.id)
        .where(AgendaSession.event_id == event.id, SessionBooking.status == "booked")
        .where(Registration.status == S.CONFIRMED)
        .group_by(AgendaSession.id, AgendaSession.title, AgendaSession.starts_at)
        .order_by(AgendaSession.starts_at, AgendaSession.id)
    ).all()
    choices += [
        Choice(f"{SESSION_PREFIX}{sid}", f"Booked on “{title}”", n, ((n, "confirmed"),))
        for sid, title, n in booked
    ]
    return choices


def choice_for(event: Event, audience: str) -> Choice | None:
    return next((c for c in audience_choices(event) if c.key == audience), None)


def _group(event: Event, audience: str) -> tuple[Select, AgendaSession | None]:
    """The SELECT of the registrations and users in `audience` (one row per registration)."""
    query = select(Registration.id, User.id, User.email, User.name).join(
        User, Registration.user_id == User.id
    )
    if audience.startswith(SESSION_PREFIX):
        session = _session_of(event, audience.removeprefix(SESSION_PREFIX))
        query = (
            query.join(SessionBooking, SessionBooking.registration_id == Registration.id)
            .where(SessionBooking.session_id == session.id, SessionBooking.status == "booked")
            .where(Registration.status == S.CONFIRMED)
        )
        return query, session
    if audience in AUDIENCES:
        query = query.where(Registration.event_id == event.id).where(
            Registration.status.in_(AUDIENCES[audience][1])
        )
        return query, None
    raise MessageError("Choose who should receive the message.")


def first_in_group(event: Event, audience: str) -> tuple[Recipient | None, AgendaSession | None]:
    """The first person in `audience` by name (whose details a preview shows), and its session
    for a workshop's bookers (1–2 queries, whatever the group's size)."""
    query, session = _group(event, audience)
    first = db.session.execute(
        query.order_by(func.lower(User.name), Registration.id).limit(1)
    ).first()
    return (Recipient(*first) if first else None), session


def group_size(event: Event, audience: str) -> tuple[int, AgendaSession | None]:
    query, session = _group(event, audience)
    count = db.session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    return count, session


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


def already_made(token: str, event: Event) -> Announcement | None:
    """The announcement this form token made before (a double click, a resubmitted page)."""
    made = find_sent(token)
    if made is not None and made.event_id != event.id:
        raise MessageError("This form was for another event. Please start again.")
    return made


def new_announcement(
    actor: User, event: Event, session: AgendaSession | None, **columns
) -> Announcement:
    """The announcement's row, flushed: `columns` give what was written (audience, subject,
    body, form_token) and its state (sent or scheduled, with its time)."""
    announcement = Announcement(
        event_id=event.id,
        session_id=session.id if session else None,
        sent_by_id=actor.id,
        **columns,
    )
    db.session.add(announcement)
    db.session.flush()
    return announcement


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
    sent = already_made(token, event)
    if sent is not None:
        return sent
    _, session = _group(event, audience)
    announcement = new_announcement(
        actor, event, session, audience=audience, subject=subject, body=body, form_token=token,
        recipients=0, status=SENT, sent_at=now or utcnow(),
    )  # fmt: skip
    if not queue_emails(announcement, event):
        raise MessageError("Nobody is in that group yet, so nothing was sent.")
    return announcement


def queue_emails(announcement: Announcement, event: Event) -> int:
    """One outbox row and one log line for each person in the announcement's group as it is
    now, each written by one INSERT … SELECT: no email is built and no row goes through Python
    here (the workers build each one), so thousands of people cost a fraction of a second.
    Sets and returns how many (0: nothing written)."""
    announcement.recipients = 0
    try:
        query, _ = _group(event, announcement.audience)
    except MessageError:  # its session is gone since it was scheduled: nobody to write to
        return 0
    registration_id, user_id, email, _name = query.selected_columns
    payload = {"announcement_id": announcement.id}
    outbox = OutboxMessage.__table__.c
    ids = writer.add_deferred_from(
        RENDERER,
        query.with_only_columns(
            literal("announcement", outbox.kind.type).label("kind"),
            email.label("to"),
            literal(announcement.subject, outbox.subject.type).label("subject"),
            writer.message_ids_from(registration_id).label("message_id"),
            literal(payload, outbox.payload.type).label("payload"),
            user_id.label("user_id"),
            registration_id.label("registration_id"),
            literal(event.id).label("event_id"),
            literal(batch_of(announcement), outbox.batch.type).label("batch"),
            maintain_column_froms=True,
        ),
        ["kind", "to", "subject", "message_id", "payload", "user_id", "registration_id",
         "event_id", "batch"],
    )  # fmt: skip
    if ids:
        log = EmailLog.__table__.c
        db.session.execute(
            insert(EmailLog.__table__).from_select(
                ["registration_id", "to", "subject", "kind", "extra", "created_at"],
                query.with_only_columns(
                    registration_id, email, literal(announcement.subject, log.subject.type),
                    literal("announcement", log.kind.type), literal(payload, log.extra.type),
                    literal(utcnow(), log.created_at.type), maintain_column_froms=True,
                ),
            )
        )  # fmt: skip
    announcement.recipients = len(ids)
    return len(ids)


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


def compose(
    *,
    to: str,
    user: User,
    event: Event,
    session: AgendaSession | None,
    subject: str,
    body: str,
    sender: User,
) -> EmailMessage:
    """One person's copy: what the worker sends, what the preview shows and what a test
    copy carries, from the same templates."""
    ctx = {
        "event": event,
        "session": session,
        "body_html": render_markdown(body),
        "body_text": body,
        "sender": sender,
        "tickets_url": url("registration.my_tickets"),
        "event_url": url("events.event_detail", slug=event.slug),
        "user": user,
    }
    message = mail.build_message(
        to,
        subject,
        render_template("messages/email/announcement.txt", **ctx),
        render_template("messages/email/announcement.html", **ctx),
    )
    message["Reply-To"] = sender.email
    return message


@renderer(RENDERER, prepare=_preload)
def render_announcement(row) -> EmailMessage:
    """One delegate's copy, greeted by name, Reply-To the organiser who wrote it (in the worker)."""
    announcement = db.session.get(Announcement, (row.payload or {}).get("announcement_id") or 0)
    user = db.session.get(User, row.user_id or 0)
    if announcement is None or user is None:
        raise Unrenderable("the announcement or its recipient no longer exists")
    return compose(
        to=user.email,
        user=user,
        event=announcement.event,
        session=announcement.session,
        subject=announcement.subject,
        body=announcement.body,
        sender=announcement.sent_by,
    )


def event_announcements(event: Event) -> list[Announcement]:
    """Everything written for this event (1 query): the scheduled ones, soonest first, then
    the rest by when they went (or were due, if cancelled), latest first. A scheduled one that
    went after others were sent is listed above them, though it was written before."""
    rows = db.session.execute(
        select(Announcement)
        .where(Announcement.event_id == event.id)
        .options(joinedload(Announcement.sent_by), joinedload(Announcement.session))
    ).scalars()
    waiting, done = [], []
    for a in rows:
        (waiting if a.status == SCHEDULED else done).append(a)
    waiting.sort(key=lambda a: (a.scheduled_for or datetime.min, a.id))
    done.sort(key=lambda a: (a.sent_at or a.scheduled_for or datetime.min, a.id), reverse=True)
    return waiting + done


def audience_label(announcement: Announcement) -> str:
    if announcement.session is not None:
        return f"Booked on “{announcement.session.title}”"
    return AUDIENCES.get(announcement.audience, (announcement.audience,))[0]
