"""Dates for tests, built from the calendar rather than from "30 days from now".

An event made "30 days ahead" is in GMT for part of the year and in British Summer Time for the
rest, so a test that reads London wall-clock times must say which season it means. These give
the next such day far enough ahead to be a future event whatever today is.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from app.timeutil import utcnow

LEAD = timedelta(days=20)  # comfortably in the future, inside registration windows


def _next(month: int, day: int, hour: int) -> datetime:
    now = utcnow()
    for year in (now.year, now.year + 1, now.year + 2):
        moment = datetime(year, month, day, hour)
        if moment - now >= LEAD:
            return moment
    raise AssertionError("unreachable")


def next_winter_day(hour: int = 8) -> datetime:
    """15 January at `hour` UTC: GMT, so UTC and London wall-clock times agree."""
    return _next(1, 15, hour)


def next_summer_day(hour: int = 8) -> datetime:
    """15 July at `hour` UTC: British Summer Time, London is UTC+1."""
    return _next(7, 15, hour)


def _last_sunday(year: int, month: int) -> date:
    last = date(year, month + 1, 1) - timedelta(days=1)
    return last - timedelta(days=(last.weekday() + 1) % 7)


def next_change_sunday(month: int) -> date:
    """The next last Sunday of March (clocks go forward) or October (clocks go back)."""
    assert month in (3, 10)
    now = utcnow()
    for year in (now.year, now.year + 1, now.year + 2):
        day = _last_sunday(year, month)
        if datetime(day.year, day.month, day.day) - now >= LEAD:
            return day
    raise AssertionError("unreachable")
