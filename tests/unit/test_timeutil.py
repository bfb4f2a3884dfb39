"""London wall-clock conversion on the days that matter: either season and both change-overs."""

from datetime import datetime, timedelta

from app.timeutil import to_local, to_utc
from tests.clock import next_change_sunday, next_summer_day, next_winter_day


def test_gmt_and_bst_days():
    winter, summer = next_winter_day(hour=9), next_summer_day(hour=9)
    assert to_local(winter).hour == 9 and to_local(summer).hour == 10
    assert to_utc(to_local(summer).replace(tzinfo=None)) == summer


def test_spring_change_sunday_has_a_23_hour_day():
    day = next_change_sunday(3)
    midnight = to_utc(datetime(day.year, day.month, day.day))
    next_midnight = to_utc(datetime(day.year, day.month, day.day) + timedelta(days=1))
    assert next_midnight - midnight == timedelta(hours=23)
    assert to_local(midnight + timedelta(hours=1)).hour == 2  # 01:00 UTC is 02:00 BST


def test_autumn_change_sunday_has_a_25_hour_day():
    day = next_change_sunday(10)
    midnight = to_utc(datetime(day.year, day.month, day.day))
    next_midnight = to_utc(datetime(day.year, day.month, day.day) + timedelta(days=1))
    assert next_midnight - midnight == timedelta(hours=25)
    assert to_local(midnight + timedelta(hours=2)).hour == 1  # 01:00 UTC is 01:00 GMT again
