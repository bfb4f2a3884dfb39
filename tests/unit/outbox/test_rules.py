"""The retry rules: what is worth another try, and when."""

import smtplib
from datetime import datetime, timedelta

import pytest

from app.outbox.rules import ServerUnavailable, after_failure, describe, is_permanent, retry_delay

NOW = datetime(2026, 3, 29, 0, 30)  # the night the clocks go forward: UTC is unaffected


@pytest.mark.parametrize(
    ("error", "permanent"),
    [
        (ConnectionRefusedError(111, "Connection refused"), False),
        (TimeoutError("timed out"), False),
        (smtplib.SMTPServerDisconnected("gone"), False),
        (ServerUnavailable("cannot log in"), False),
        (smtplib.SMTPDataError(451, b"try again later"), False),
        (smtplib.SMTPSenderRefused(421, b"busy", "events@example.com"), False),
        (smtplib.SMTPRecipientsRefused({"a@example.com": (450, b"mailbox busy")}), False),
        (smtplib.SMTPDataError(554, b"message rejected"), True),
        (smtplib.SMTPSenderRefused(553, b"not allowed", "events@example.com"), True),
        (smtplib.SMTPRecipientsRefused({"a@example.com": (550, b"no such mailbox")}), True),
    ],
)
def test_5xx_is_permanent_everything_else_temporary(error, permanent):
    assert is_permanent(error) is permanent


def test_each_retry_waits_three_times_longer_than_the_last():
    assert [retry_delay(n, 60).total_seconds() for n in range(1, 8)] == [
        60,
        180,
        540,
        1620,
        4860,
        14580,
        43740,
    ]
    # Eight attempts with the default 60 s span about 18 hours.
    assert round(sum(retry_delay(n, 60).total_seconds() for n in range(1, 8)) / 3600, 1) == 18.2


def test_after_failure_retries_until_the_last_attempt():
    refused = ConnectionRefusedError(111, "Connection refused")
    assert after_failure(refused, 1, NOW, 60, 8) == NOW + timedelta(seconds=60)
    assert after_failure(refused, 3, NOW, 10, 8) == NOW + timedelta(seconds=90)
    assert after_failure(refused, 7, NOW, 60, 8) == NOW + timedelta(seconds=43740)
    assert after_failure(refused, 8, NOW, 60, 8) is None  # the eighth attempt was the last
    rejected = smtplib.SMTPDataError(554, b"rejected")
    assert after_failure(rejected, 1, NOW, 60, 8) is None  # 5xx: no retry at all


def test_reasons_read_well():
    assert describe(smtplib.SMTPDataError(451, b"try later")) == "451 try later"
    refused = smtplib.SMTPRecipientsRefused({"a@example.com": (550, b"no such mailbox")})
    assert describe(refused) == "recipient refused: 550 no such mailbox"
    down = ServerUnavailable("x")
    down.__cause__ = ConnectionRefusedError(111, "Connection refused")
    assert describe(down) == (
        "mail server unavailable: ConnectionRefusedError: [Errno 111] Connection refused"
    )
