"""Emails about registrations and bookings.

A message is rendered while the transaction is open (so it shows what is being committed) and
logged in EmailLog in the same transaction, but handed to the mail server only after COMMIT:
a registration that is rolled back (a lost race, an error) never emails anyone.
"""

from __future__ import annotations

from contextlib import contextmanager
from email.message import EmailMessage

from flask import current_app, render_template
from sqlalchemy import event as sa_event
from sqlalchemy import insert

from app import mail
from app.extensions import db
from app.registration.models import EmailLog, Registration
from app.registration.qr import qr_png

_QUEUE = "journey_registration_mail"
_QUIET = "journey_registration_mail_quiet"

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
}
# Emails to ticket holders that carry the event as an .ics file, so a calendar adds the
# event, or updates the entry it has (same UID, higher SEQUENCE).
WITH_CALENDAR = ("confirmation", "event_changed", "event_cancelled")
# Emails that show the ticket's QR code inline.
WITH_QR = ("confirmation", "event_reminder")


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


def queue(message: EmailMessage) -> None:
    db.session.info.setdefault(_QUEUE, []).append(message)


def _send_queued(session) -> None:
    # One SMTP connection for the lot; failures are logged there and never undo the commit.
    mail.send_all(session.info.pop(_QUEUE, []))


def _drop_queued(session, previous_transaction=None) -> None:
    session.info.pop(_QUEUE, None)


sa_event.listen(db.session, "after_commit", _send_queued)
sa_event.listen(db.session, "after_soft_rollback", _drop_queued)


def send_registration_email(
    registration: Registration, kind: str, *, extra: dict | None = None
) -> EmailMessage | None:
    """Render, log and queue one email about `registration` (sent after commit)."""
    if db.session.info.get(_QUIET):
        return None
    message, log_row = _render(registration, kind, dict(extra or {}))
    db.session.add(EmailLog(**log_row))
    queue(message)
    return message


def send_registration_emails(kind: str, items: list[tuple[Registration, dict]]) -> None:
    """The same kind of email to many registrations, each with its own `extra`; logged in
    one INSERT, whatever their number (sent after commit)."""
    if db.session.info.get(_QUIET) or not items:
        return
    logs = []
    for registration, extra in items:
        message, log_row = _render(registration, kind, dict(extra))
        logs.append(log_row)
        queue(message)
    db.session.execute(insert(EmailLog), logs)


def _render(registration: Registration, kind: str, extra: dict) -> tuple[EmailMessage, dict]:
    """The message, and its EmailLog row as a dict."""
    event = registration.event
    # Usually the delegate holding the registration; someone else when `recipient` says so.
    user = extra.pop("recipient", None) or registration.user
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
    if kind == "hold_reminder" and not extra.get("until"):
        subject_kind = "hold_reminder_kept"
    else:
        subject_kind = kind
    subject = SUBJECTS[subject_kind].format(
        title=event.title,
        until=extra.get("until", ""),
        session=extra.get("session_title", ""),
        when=extra.get("when", ""),
    )
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
    message = mail.build_message(
        user.email,
        subject,
        render_template(f"{template}.txt", **ctx),
        render_template(f"{template}.html", **ctx),
        attachments=attachments,
        inline_images=images,
    )
    log_row = {
        "registration_id": registration.id,
        "user_id": user.id,
        "to": user.email,
        "subject": subject,
        "kind": kind,
        "extra": {k: v for k, v in extra.items() if isinstance(v, str | int | None)},
    }
    return message, log_row


def event_calendar(event) -> bytes:
    """The event as an .ics file (one entry per day), built by the feeds package."""
    from app.feeds.ical import event_ticket_calendar

    return event_ticket_calendar(event, current_app.config["BASE_URL"])
