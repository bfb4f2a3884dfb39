"""Emails about registrations and bookings.

Each email is an outbox row written in the same transaction as the change that causes it,
with what a worker needs to build it (kind, registration, recipient, extra values): the
request never renders a template, draws a QR code or builds a calendar for an email. A
registration that is rolled back (a lost race, an error) never emails anyone. Each is also
logged in EmailLog, the organisers' record of what a delegate was told.
"""

from __future__ import annotations

import dataclasses
from contextlib import contextmanager
from datetime import datetime
from email.message import EmailMessage

from flask import current_app, render_template
from sqlalchemy import insert, select
from sqlalchemy.orm import selectinload

from app import mail
from app.auth.models import User
from app.events.models import Event, EventKind
from app.extensions import db
from app.outbox import writer
from app.outbox.renderers import Unrenderable, renderer
from app.registration.models import EmailLog, Registration
from app.registration.qr import qr_png

_QUIET = "journey_registration_mail_quiet"
RENDERER = "registration"
_TIME = "$time"

SUBJECTS = {
    "confirmation": "Your ticket for {title}",
    "pending_benchmark": "One step left: complete the benchmark for {title}",
    "pending_payment": "Your place at {title} is held: payment due",
    "waitlisted": "You are on the waiting list for {title}",
    "promoted": "A place has come up for you at {title}",
    "cancelled": "Your registration for {title} is cancelled",
    "refunded": "Your registration for {title} is refunded",
    "hold_reminder": "Reminder: your place at {title} is held until {until}",
    # A paid registration waiting for its benchmark keeps its seat: there is no "until".
    "hold_reminder_kept": "Reminder: your place at {title} is waiting for your benchmark",
    "session_booked": "A place has come up for you in {session}",
    "session_confirmed": "Booked: {session}",
    "event_reminder": "Reminder: {title} is on {when}",
    "event_changed": "Changed: {title} is now on {when}",
    "event_cancelled": "Cancelled: {title}",
    "account_invitation": "You are registered for {title}: your Productivity Journey account",
    "transferred": "Your place at {title} has passed to a colleague",
    "awaiting_host": "Your place at {title} is held for the host's approval",
    "host_declined": "About your application to visit {title}",
    "host_undecided": "About your application to visit {title}",
    "host_lapsed": "About your application to visit {title}",
}
# Emails to ticket holders that carry the event as an .ics file, so a calendar adds the
# event, or updates the entry it has (same UID, higher SEQUENCE).
WITH_CALENDAR = ("confirmation", "event_changed", "event_cancelled")
# Emails that show the ticket's QR code inline.
WITH_QR = ("confirmation", "event_reminder")
# A site visit's ticket and reminder repeat what to wear and how to arrive.
WITH_BRIEF = ("confirmation", "event_reminder")


def url(endpoint: str, **values) -> str:
    """An absolute URL built from BASE_URL, usable without a request (CLI, signals)."""
    adapter = current_app.url_map.bind("localhost")
    return current_app.config["BASE_URL"] + adapter.build(endpoint, values)


@contextmanager
def quiet():
    """Send nothing while this block runs (demo data)."""
    db.session.info[_QUIET] = True
    try:
        yield
    finally:
        db.session.info.pop(_QUIET, None)


def queue(message: EmailMessage, **about) -> None:
    """A message built by the caller, into the outbox (sent after COMMIT)."""
    mail.send(message, **about)


def send_templated(
    user: User,
    subject: str,
    template: str,
    kind: str,
    *,
    registration_id: int | None = None,
    event_id: int | None = None,
    **context,
) -> None:
    """Queue an email to `user` made from `template`.txt and .html, and log it for the
    organisers (an email not about one registration: reminders to hosts, renewals, invitations)."""
    context.setdefault("user", user)
    queue(
        mail.build_message(
            user.email,
            subject,
            render_template(f"{template}.txt", **context),
            render_template(f"{template}.html", **context),
        ),
        kind=kind,
        user_id=user.id,
        registration_id=registration_id,
        event_id=event_id,
    )
    db.session.add(
        EmailLog(registration_id=registration_id, to=user.email, subject=subject, kind=kind)
    )


def send_registration_email(
    registration: Registration, kind: str, *, extra: dict | None = None
) -> None:
    """Log and queue one email about `registration` (built and sent by a worker)."""
    send_registration_emails(kind, [(registration, dict(extra or {}))])


def send_registration_emails(kind: str, items: list[tuple[Registration, dict]]) -> None:
    """The same kind of email to many registrations, each with its own `extra`: one INSERT
    into the outbox and one into the log, whatever their number."""
    if db.session.info.get(_QUIET) or not items:
        return
    rows, logs = [], []
    for registration, extra in items:
        extra = dict(extra)
        recipient = extra.pop("recipient", None) or registration.user
        extra = {k: _plain(v) for k, v in extra.items()}
        subject = subject_for(kind, registration.event.title, extra)
        rows.append(
            {
                "kind": kind,
                "to": recipient.email,
                "subject": subject,
                "user_id": recipient.id,
                "registration_id": registration.id,
                "event_id": registration.event_id,
                "payload": {"kind": kind, "recipient_id": recipient.id, "extra": extra},
            }
        )
        logs.append(
            {
                "registration_id": registration.id,
                "to": recipient.email,
                "subject": subject,
                "kind": kind,
                "extra": {k: v for k, v in extra.items() if isinstance(v, str | int | None)},
            }
        )
    writer.add_deferred(RENDERER, rows)
    db.session.execute(insert(EmailLog), logs)


def subject_for(kind: str, title: str, extra: dict) -> str:
    if kind == "hold_reminder" and not extra.get("until"):
        kind = "hold_reminder_kept"  # paid, waiting on the benchmark: the seat is kept
    return SUBJECTS[kind].format(
        title=title,
        until=extra.get("until", ""),
        session=extra.get("session_title", ""),
        when=extra.get("when", ""),
    )


def _plain(value):
    """Extra values as JSON: dataclasses become dicts (templates read them alike), times
    become tagged ISO strings that `_revive` turns back."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        value = {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, datetime):
        return {_TIME: value.isoformat()}
    return value


def _revive(value):
    if isinstance(value, dict):
        if set(value) == {_TIME}:
            return datetime.fromisoformat(value[_TIME])
        return {k: _revive(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_revive(v) for v in value]
    return value


def _preload(rows) -> list:
    """Every registration, its event (and venue), ticket type and delegate, and every
    recipient, for a batch of rows: 5 queries whatever their number."""
    ids = {row.registration_id for row in rows if row.registration_id}
    users = {(row.payload or {}).get("recipient_id") for row in rows} - {None}
    loaded: list = list(
        db.session.execute(
            select(Registration)
            .where(Registration.id.in_(ids))
            .options(
                selectinload(Registration.event).selectinload(Event.venue),
                selectinload(Registration.ticket_type),
                selectinload(Registration.user),
            )
        ).scalars()
    )
    loaded += db.session.execute(select(User).where(User.id.in_(users))).scalars().all()
    return loaded


@renderer(RENDERER, prepare=_preload)
def render_outbox_row(row) -> EmailMessage:
    """Build a registration email from its outbox row (in the worker)."""
    payload = row.payload or {}
    registration = db.session.get(Registration, row.registration_id or 0)
    user = db.session.get(User, payload.get("recipient_id") or 0)
    if registration is None or user is None:
        raise Unrenderable("the registration or its delegate no longer exists")
    return _render(registration, payload["kind"], _revive(payload.get("extra") or {}), user)


def _render(registration: Registration, kind: str, extra: dict, user: User) -> EmailMessage:
    event = registration.event
    ctx = {
        "registration": registration,
        "event": event,
        "user": user,
        "ticket_type": registration.ticket_type,
        "tickets_url": url("registration.my_tickets"),
        "event_url": url("events.event_detail", slug=event.slug),
        "benchmark_url": url("benchmark.index"),
        "account_url": url("registration.account"),
        "home_url": url("events.home"),
        "invoice_url": url("registration.invoice", registration_id=registration.id),
        **extra,
    }
    if kind in WITH_BRIEF and event.kind == EventKind.SITE_VISIT:
        from app.hosts.brief import brief_for  # lazy: the hosts' rules import registration's

        ctx["brief"] = brief_for(event.id)  # what to wear and how to arrive
    attachments: list[mail.Attachment] = []
    images: list[mail.InlineImage] = []
    if kind in WITH_QR and registration.ticket_secret:
        cid = mail.new_cid()
        ctx["qr_cid"] = cid
        images.append(mail.InlineImage(cid, qr_png(registration.ticket_secret)))
    if kind in WITH_CALENDAR and registration.ticket_secret:
        attachments.append(
            mail.Attachment(f"{event.slug}.ics", event_calendar(event), "text", "calendar")
        )
    template = f"registration/email/{kind}"
    return mail.build_message(
        user.email,
        subject_for(kind, event.title, extra),
        render_template(f"{template}.txt", **ctx),
        render_template(f"{template}.html", **ctx),
        attachments=attachments,
        inline_images=images,
    )


def event_calendar(event) -> bytes:
    """The event as an .ics file (one entry per day), built by the feeds package."""
    from app.feeds.ical import event_ticket_calendar

    return event_ticket_calendar(event, current_app.config["BASE_URL"])
