"""The hours rule: sessions, door spans less breaks, overlaps once, undo, the threshold date."""

from datetime import date
from decimal import Decimal

import pytest

from app.checkin.services import undo_checkin
from app.events.models import SessionKind
from app.extensions import db
from app.outcomes.hours import Filters
from app.outcomes.report import build_report
from tests.factories import make_organisation, make_user, organiser
from tests.factories_checkin import make_registration
from tests.factories_outcomes import (
    admit,
    dated_event,
    declare,
    local,
    make_programme,
    session_at,
)

DAY = date(2026, 7, 14)  # British Summer Time: local 09:00 is 08:00 UTC


def _row(report, org):
    return next(r for r in report.rows if r.organisation_id == org.id)


@pytest.fixture
def programme(app):
    return make_programme()


def test_door_checkin_counts_event_span_less_breaks(programme):
    org = make_organisation()
    event = dated_event(DAY, 9, hours=8)
    session_at(event, 12, 30, minutes=60, kind=SessionKind.BREAK)
    session_at(event, 15, 0, minutes=15, kind=SessionKind.BREAK)
    admit(make_registration(event, make_user(organisation=org)))
    assert _row(build_report(programme), org).hours == pytest.approx(6.75)


def test_session_checkins_replace_the_door_and_overlaps_count_once(programme):
    org = make_organisation()
    person = make_user(organisation=org)
    event = dated_event(DAY, 9, hours=8)
    talk = session_at(event, 10, 0, minutes=60)  # 10:00-11:00
    workshop = session_at(event, 10, 30, minutes=90)  # 10:30-12:00, overlaps the talk
    reg = make_registration(event, person)
    admit(reg)  # the door: ignored, this person has session check-ins here
    admit(reg, talk)
    admit(reg, workshop)
    report = build_report(programme)
    assert _row(report, org).hours == pytest.approx(2.0)  # 10:00-12:00 once
    notes = {e.session_title or "door": (round(e.hours, 2), e.note) for e in report.evidence}
    assert notes["door"] == (0, "counted by its sessions")
    assert notes[talk.title] == (1.0, "")
    assert notes[workshop.title] == (1.0, "overlap counted once")


def test_business_hours_are_the_sum_over_its_people(programme):
    org = make_organisation()
    event = dated_event(DAY, 9, hours=3)
    for _ in range(3):
        admit(make_registration(event, make_user(organisation=org)))
    other = make_organisation()
    admit(make_registration(event, make_user(organisation=other)))
    report = build_report(programme)
    assert (_row(report, org).hours, _row(report, org).people) == (9.0, 3)
    assert _row(report, other).hours == 3.0


def test_undoing_a_checkin_takes_its_hours_away(programme):
    org = make_organisation()
    event = dated_event(DAY, 9, hours=4)
    checkin = admit(make_registration(event, make_user(organisation=org)))
    assert _row(build_report(programme), org).hours == 4.0
    undo_checkin(event, organiser(), checkin.id, now=event.starts_at)
    db.session.expire_all()
    assert _row(build_report(programme), org).hours == 0.0


def test_assisted_on_the_date_hours_reach_the_threshold_once_declared(programme):
    org = make_organisation()
    person = make_user(organisation=org)
    days = [date(2026, 3, 3), date(2026, 4, 7), date(2026, 5, 5)]
    for day in days:  # 5 hours each: 5, 10, 15
        admit(make_registration(dated_event(day, 9, hours=5), person))
    row = _row(build_report(programme), org)
    assert (row.hours, row.reached_on) == (15.0, date(2026, 5, 5))
    assert (row.assisted, row.assisted_on, row.awaiting_declaration) == (False, None, True)
    declare(programme, org, signed_on=date(2026, 2, 1))
    row = _row(build_report(programme), org)
    assert (row.assisted, row.assisted_on) == (True, date(2026, 5, 5))


def test_a_late_declaration_sets_the_assisted_date(programme):
    org = make_organisation()
    event = dated_event(DAY, 9, hours=12)
    admit(make_registration(event, make_user(organisation=org)))
    declare(programme, org, signed_on=date(2026, 9, 1))
    declare(programme, org, signed_on=date(2026, 10, 1))  # a second version keeps the first date
    row = _row(build_report(programme), org)
    assert (row.hours, row.assisted, row.assisted_on) == (12.0, True, date(2026, 9, 1))


def test_just_under_the_threshold_is_not_assisted_and_the_threshold_is_configurable(app):
    org = make_organisation()
    event = dated_event(DAY, 9, hours=11.75)
    admit(make_registration(event, make_user(organisation=org)))
    default = make_programme()
    declare(default, org)
    assert _row(build_report(default), org).assisted is False
    lower = make_programme(threshold=11.5)
    assert lower.threshold_hours == Decimal("11.5")
    declare(lower, org)
    assert _row(build_report(lower), org).assisted is True


def test_checkins_outside_the_programme_or_filters_do_not_count(programme):
    from app.outcomes.models import EventNetwork, Network

    org = make_organisation()
    person = make_user(organisation=org)
    before = dated_event(date(2025, 12, 9), 9, hours=6)  # before the programme started
    spring = dated_event(date(2026, 3, 10), 9, hours=2)
    summer = dated_event(DAY, 9, hours=3)
    for event in (before, spring, summer):
        admit(make_registration(event, person))
    north = Network(name="North")
    db.session.add(north)
    db.session.flush()
    db.session.add(EventNetwork(event_id=summer.id, network_id=north.id))
    db.session.flush()
    assert _row(build_report(programme), org).hours == 5.0
    q2_on = Filters(starts_on=date(2026, 4, 1))
    assert _row(build_report(programme, q2_on), org).hours == 3.0
    in_north = Filters(network_id=north.id)
    assert _row(build_report(programme, in_north), org).hours == 3.0
    to_march = Filters(ends_on=date(2026, 3, 31))
    assert _row(build_report(programme, to_march), org).hours == 2.0


def test_an_event_over_several_days_counts_each_day_not_the_nights(programme):
    org = make_organisation()
    # Saturday 09:00 to Monday 17:00, UK time, across the start of British Summer Time.
    event = dated_event(date(2026, 3, 28), 9, hours=1)
    event.ends_at = local(date(2026, 3, 30), 17)
    session_at(event, 12, 30, minutes=60, kind=SessionKind.BREAK)  # Saturday's lunch
    admit(make_registration(event, make_user(organisation=org)))
    assert _row(build_report(programme), org).hours == pytest.approx(3 * 8 - 1)
