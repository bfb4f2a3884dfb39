"""The retry rules, pure: which failures are worth another try, and when."""

from __future__ import annotations

import smtplib
from datetime import datetime, timedelta

# Each retry waits this many times longer than the one before: with the defaults (60 s, 8
# attempts) the last attempt comes about 18 hours after the first.
BACKOFF_FACTOR = 3


class ServerUnavailable(Exception):
    """Could not reach or log in to the mail server: says nothing about the message itself."""


def is_permanent(exc: BaseException) -> bool:
    """A 5xx answer to this message (a refused mailbox, a rejected body) will not change on a
    retry. Everything else (connection refused or dropped, timeouts, 4xx) is temporary."""
    if isinstance(exc, ServerUnavailable):
        return False
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        return bool(codes) and all(code >= 500 for code in codes)
    if isinstance(exc, smtplib.SMTPResponseException):
        return exc.smtp_code >= 500
    return False


def retry_delay(attempts: int, first_delay_seconds: int) -> timedelta:
    """How long to wait after the `attempts`-th failed attempt (1 → the first delay)."""
    return timedelta(seconds=first_delay_seconds * BACKOFF_FACTOR ** max(attempts - 1, 0))


def after_failure(
    exc: BaseException, attempts: int, now: datetime, first_delay_seconds: int, max_attempts: int
) -> datetime | None:
    """When to try again after this failure, or None when the message has failed for good."""
    if is_permanent(exc) or attempts >= max_attempts:
        return None
    return now + retry_delay(attempts, first_delay_seconds)


def describe(exc: BaseException) -> str:
    """A short, readable reason for organisers (the SMTP answer when there is one)."""
    if isinstance(exc, ServerUnavailable) and exc.__cause__ is not None:
        return "mail server unavailable: " + describe(exc.__cause__)
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        parts = [f"{code} {_text(msg)}" for code, msg in exc.recipients.values()]
        return "recipient refused: " + "; ".join(parts)
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"{exc.smtp_code} {_text(exc.smtp_error)}"
    text = str(exc) or type(exc).__name__
    return f"{type(exc).__name__}: {text}"[:1000]


def _text(value) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
