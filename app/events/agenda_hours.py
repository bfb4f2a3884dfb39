"""The event's own hours, as the agenda builder shades them and as drops must respect them.

A session created or edited through its form may sit anywhere on the event's days (a dinner
after the close, an early registration desk); a drag in the builder that lands outside the
hours is far more often a slip of the mouse, so the builder refuses it and says why (unless
the session was outside them already: see agenda_services._check_stays_within_hours).
"""

from __future__ import annotations

from datetime import date, datetime

from app.events.models import Event
from app.timeutil import to_local


def hours_on(event: Event, day: date) -> tuple[str, str]:
    """The event's hours on `day` as HH:MM in its time zone: a day it neither starts nor ends
    on is open all day ("00:00"–"24:00")."""
    tz = event.timezone
    starts, ends = to_local(event.starts_at, tz), to_local(event.ends_at, tz)
    return (
        starts.strftime("%H:%M") if starts.date() == day else "00:00",
        ends.strftime("%H:%M") if ends.date() == day else "24:00",
    )


def outside_hours(event: Event, starts_at: datetime, ends_at: datetime) -> str | None:
    """Why a session from `starts_at` to `ends_at` (naive UTC) would run outside the event's
    hours, or None when it fits. Reads nothing from the database."""
    if event.starts_at <= starts_at and ends_at <= event.ends_at:
        return None
    tz = event.timezone
    s, e = to_local(starts_at, tz), to_local(ends_at, tz)
    opens, closes = hours_on(event, s.date())
    return f"{s:%H:%M}–{e:%H:%M} is outside the event's hours on {s:%a %-d %b} ({opens}–{closes})."
