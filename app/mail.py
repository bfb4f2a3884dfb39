"""One small mail layer: console or file in development, SMTP in production, memory in tests.

Services build a message with `build_message` and hand it to `send`, which writes it to the
outbox in the current transaction. Only workers (app/outbox/delivery.py) call `deliver_each`,
the one place that talks to a mail server.
"""

from __future__ import annotations

import smtplib
import sys
import uuid
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

from flask import current_app

from app.outbox import writer
from app.outbox.rules import ServerUnavailable


@dataclass
class Attachment:
    filename: str
    content: bytes
    maintype: str
    subtype: str


@dataclass
class InlineImage:
    cid: str  # without angle brackets
    content: bytes
    subtype: str = "png"


@dataclass
class Outbox:
    messages: list[EmailMessage] = field(default_factory=list)


def new_cid(domain: str = "journey") -> str:
    return make_msgid(domain=domain)[1:-1]


def build_message(
    to: str,
    subject: str,
    text: str,
    html: str | None = None,
    attachments: list[Attachment] | None = None,
    inline_images: list[InlineImage] | None = None,
) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = current_app.config["MAIL_DEFAULT_SENDER"]
    msg["To"] = to
    msg["Subject"] = subject
    msg["Message-ID"] = make_msgid(domain="journey")
    msg.set_content(text)
    if html is not None:
        msg.add_alternative(html, subtype="html")
        if inline_images:
            html_part = msg.get_payload()[-1]
            for image in inline_images:
                html_part.add_related(image.content, "image", image.subtype, cid=f"<{image.cid}>")
    for a in attachments or []:
        msg.add_attachment(a.content, maintype=a.maintype, subtype=a.subtype, filename=a.filename)
    return msg


def send(msg: EmailMessage, **about) -> None:
    """Queue `msg` in the outbox, in the current transaction: it leaves after COMMIT, by a
    worker (see app/outbox). `about` may name kind, user_id, registration_id, event_id, batch."""
    writer.add(msg, **about)


def send_all(messages: list[EmailMessage], **about) -> None:
    for msg in messages:
        writer.add(msg, **about)


# --- transport: only workers call these ----------------------------------------------------


def deliver(msg: EmailMessage) -> None:
    """Hand one message to the configured backend now; raises when it cannot."""
    error = deliver_each([msg])[0]
    if error is not None:
        raise error


def deliver_each(messages: list[EmailMessage]) -> list[BaseException | None]:
    """Hand every message to the backend; for each, None or the error that stopped it.
    Over SMTP they share one connection: an announcement to 500 delegates is one login, not
    500. A server that cannot be reached fails each message with ServerUnavailable."""
    if not messages:
        return []
    backend = current_app.config["MAIL_BACKEND"]
    if backend != "smtp":
        outcomes: list[BaseException | None] = []
        for msg in messages:
            try:
                _deliver_locally(backend, msg)
                outcomes.append(None)
            except Exception as exc:
                outcomes.append(exc)
        return outcomes
    try:
        smtp = _smtp()
    except (OSError, smtplib.SMTPException) as exc:
        unavailable = ServerUnavailable(str(exc))
        unavailable.__cause__ = exc
        return [unavailable] * len(messages)
    outcomes = []
    with smtp:
        for n, msg in enumerate(messages):
            try:
                smtp.send_message(msg)
                outcomes.append(None)
            except _ONE_MESSAGE_ERRORS as exc:  # refused for this message only; carry on
                outcomes.append(exc)
            except (OSError, smtplib.SMTPException) as exc:  # the connection is gone
                outcomes += [exc] * (len(messages) - n)
                break
    return outcomes


def _deliver_locally(backend: str, msg: EmailMessage) -> None:
    if backend == "memory":
        outbox(current_app).messages.append(msg)
    elif backend == "console":
        print(f"--- email to {msg['To']}: {msg['Subject']}", file=sys.stderr)
        body = msg.get_body(preferencelist=("plain",))
        print(body.get_content() if body else "", file=sys.stderr)
    elif backend == "file":
        directory = Path(current_app.config["MAIL_FILE_DIR"])
        directory.mkdir(parents=True, exist_ok=True)
        (directory / f"{uuid.uuid4().hex}.eml").write_bytes(msg.as_bytes())
    else:
        raise RuntimeError(f"Unknown MAIL_BACKEND {backend!r}")


_ONE_MESSAGE_ERRORS = (
    smtplib.SMTPRecipientsRefused,
    smtplib.SMTPSenderRefused,
    smtplib.SMTPDataError,
)


def _smtp() -> smtplib.SMTP:
    """A connected, logged-in SMTP client (use it as a context manager)."""
    cfg = current_app.config
    cls = smtplib.SMTP_SSL if cfg["MAIL_USE_SSL"] else smtplib.SMTP
    smtp = cls(cfg["MAIL_SERVER"], cfg["MAIL_PORT"], timeout=20)
    try:
        if cfg["MAIL_USE_TLS"]:
            smtp.starttls()
        if cfg["MAIL_USERNAME"]:
            smtp.login(cfg["MAIL_USERNAME"], cfg["MAIL_PASSWORD"] or "")
    except BaseException:
        smtp.close()
        raise
    return smtp


def outbox(app) -> Outbox:
    """The in-memory outbox (MAIL_BACKEND=memory), used by tests."""
    return app.extensions.setdefault("journey_outbox", Outbox())
