"""One small mail layer: console or file in development, SMTP in production, memory in tests.

Services build a message with `build_message` and hand it to `send`; nothing else
talks to a mail server.
"""

from __future__ import annotations

import logging
import smtplib
import sys
import uuid
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

from flask import current_app

log = logging.getLogger(__name__)


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


def send(msg: EmailMessage) -> None:
    backend = current_app.config["MAIL_BACKEND"]
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
    elif backend == "smtp":
        _send_smtp(msg)
    else:
        raise RuntimeError(f"Unknown MAIL_BACKEND {backend!r}")


def send_all(messages: list[EmailMessage]) -> list[EmailMessage]:
    """Send every message and return the ones that could not be sent (each failure logged).
    Over SMTP they share one connection: an announcement to 500 delegates is one login, not 500."""
    if not messages:
        return []
    if current_app.config["MAIL_BACKEND"] != "smtp":
        failed = []
        for msg in messages:
            try:
                send(msg)
            except Exception:
                log.exception("could not send %r to %s", msg["Subject"], msg["To"])
                failed.append(msg)
        return failed
    failed, done = [], 0
    try:
        with _smtp() as smtp:
            for msg in messages:
                try:
                    smtp.send_message(msg)
                except _ONE_MESSAGE_ERRORS:  # refused for this message only; carry on
                    log.exception("could not send %r to %s", msg["Subject"], msg["To"])
                    failed.append(msg)
                done += 1
    except (OSError, smtplib.SMTPException):
        log.exception("mail server failed; %d message(s) not sent", len(messages) - done)
        failed += messages[done:]
    return failed


_ONE_MESSAGE_ERRORS = (
    smtplib.SMTPRecipientsRefused,
    smtplib.SMTPSenderRefused,
    smtplib.SMTPDataError,
)


def _send_smtp(msg: EmailMessage) -> None:
    with _smtp() as smtp:
        smtp.send_message(msg)


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
