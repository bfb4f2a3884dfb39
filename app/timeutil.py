"""Time helpers. Datetimes are stored as naive UTC and shown in the event's time zone."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

LONDON = "Europe/London"


def utcnow() -> datetime:
    """Naive UTC now, the form every datetime column holds."""
    return datetime.now(UTC).replace(tzinfo=None)


def to_local(value: datetime, tz: str = LONDON) -> datetime:
    return value.replace(tzinfo=UTC).astimezone(ZoneInfo(tz))


def to_utc(local: datetime, tz: str = LONDON) -> datetime:
    """A naive wall-clock time in `tz` → naive UTC."""
    if local.tzinfo is None:
        local = local.replace(tzinfo=ZoneInfo(tz))
    return local.astimezone(UTC).replace(tzinfo=None)
