"""VTIMEZONE built from yearly rules (RRULE), never from lists of dates (RDATE).

Outlook approximates a VTIMEZONE from TZID, DTSTART, RRULE and the offsets only: it ignores
RDATE (MS-STANOICAL 2.2.47), so an RDATE-based Europe/London shifted events by an hour there.
Here each zone gets one STANDARD and, where it has summer time, one DAYLIGHT component whose
RRULE (e.g. last Sunday of March / October) is read from the zoneinfo database.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import icalendar

WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
# DTSTART of each rule: its first occurrence in this year (what most producers use).
RULE_EPOCH = 1970


class _YearlyRule(icalendar.vRecur):
    """Written FREQ;BYMONTH;BYDAY, the order RFC 5545's own examples use."""

    canonical_order = ("FREQ", "BYMONTH", "BYDAY")


@dataclass(frozen=True)
class Transition:
    at_utc: datetime  # aware UTC instant the offset changes
    offset_from: timedelta
    offset_to: timedelta
    name: str  # abbreviation after the change (BST, GMT)

    @property
    def local_before(self) -> datetime:
        """Wall-clock time of the change in the offset before it (naive), as RFC 5545 wants."""
        return (self.at_utc + self.offset_from).replace(tzinfo=None)


def transitions(tzid: str, year: int) -> list[Transition]:
    """The offset changes of `tzid` during `year` (hourly scan, then to the minute)."""
    zone = ZoneInfo(tzid)
    found = []
    at = datetime(year, 1, 1, tzinfo=UTC)
    end = datetime(year + 1, 1, 1, tzinfo=UTC)
    before = at.astimezone(zone).utcoffset()
    while at < end:
        step = at + timedelta(hours=1)
        after = step.astimezone(zone).utcoffset()
        if after != before:
            exact = at
            while exact.astimezone(zone).utcoffset() == before:
                exact += timedelta(minutes=1)
            found.append(Transition(exact, before, after, exact.astimezone(zone).tzname() or ""))
            before = after
        at = step
    return found


def _byday(day: datetime) -> str:
    """ "-1SU" for the last Sunday of its month, "2SU" for the second, and so on."""
    weekday = WEEKDAYS[day.weekday()]
    next_month = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    if day + timedelta(days=7) >= next_month:
        return f"-1{weekday}"
    return f"{(day.day - 1) // 7 + 1}{weekday}"


def _first_occurrence(year: int, month: int, byday: str, at: datetime) -> datetime:
    """The day in `year`/`month` that matches `byday`, at the time of day of `at`."""
    nth, weekday = int(byday[:-2]), WEEKDAYS.index(byday[-2:])
    days = []
    day = datetime(year, month, 1, at.hour, at.minute)
    while day.month == month:
        if day.weekday() == weekday:
            days.append(day)
        day += timedelta(days=1)
    return days[nth - 1] if nth > 0 else days[nth]


def _offset_name(tzid: str, year: int) -> tuple[timedelta, str]:
    local = datetime(year, 1, 15, 12, tzinfo=UTC).astimezone(ZoneInfo(tzid))
    return local.utcoffset() or timedelta(0), local.tzname() or ""


def _component(kind, transition: Transition) -> icalendar.cal.Component:
    part = kind()
    start = transition.local_before
    byday = _byday(start)
    part.add("dtstart", _first_occurrence(RULE_EPOCH, start.month, byday, start))
    part.add("rrule", _YearlyRule(freq="YEARLY", bymonth=start.month, byday=byday))
    part.add("tzoffsetfrom", transition.offset_from)
    part.add("tzoffsetto", transition.offset_to)
    if transition.name:
        part.add("tzname", transition.name)
    return part


@lru_cache(maxsize=32)
def vtimezone(tzid: str, year: int) -> icalendar.Timezone:
    """A VTIMEZONE for `tzid` with the rules in force in `year`."""
    tz = icalendar.Timezone()
    tz.add("tzid", tzid)
    changes = transitions(tzid, year)
    if len(changes) == 2:
        for change in changes:
            summer = change.offset_to > change.offset_from
            kind = icalendar.TimezoneDaylight if summer else icalendar.TimezoneStandard
            tz.add_component(_component(kind, change))
        return tz
    # No summer time (or an irregular year): one STANDARD with the offset of the year.
    offset, name = _offset_name(tzid, year)
    standard = icalendar.TimezoneStandard()
    standard.add("dtstart", datetime(RULE_EPOCH, 1, 1))
    standard.add("tzoffsetfrom", offset)
    standard.add("tzoffsetto", offset)
    if name:
        standard.add("tzname", name)
    tz.add_component(standard)
    return tz
