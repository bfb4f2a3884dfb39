"""Follow-up emails to assisted businesses, 3 and 12 months on, each sent once."""

from datetime import date, datetime

import pytest
from sqlalchemy import select

from app.extensions import db
from app.outcomes.follow_ups import months_after, send_follow_ups
from app.outcomes.models import FollowUp
from tests.factories import make_organisation, make_user
from tests.factories_checkin import make_registration
from tests.factories_outcomes import admit, dated_event, declare, make_programme

ASSISTED_ON = date(2026, 7, 14)


@pytest.fixture
def assisted(app):
    programme = make_programme()
    org = make_organisation("Alpha Castings Ltd")
    people = [make_user(organisation=org, is_business_admin=True), make_user(organisation=org)]
    admit(make_registration(dated_event(ASSISTED_ON, 9, hours=12), people[0]))
    declare(programme, org, actor=people[0], signed_on=date(2026, 2, 1))
    unassisted = make_organisation()
    admit(
        make_registration(dated_event(ASSISTED_ON, 9, hours=3), make_user(organisation=unassisted))
    )
    db.session.commit()
    return people


def _send(now: datetime, outbox) -> list[str]:
    before = len(outbox)
    count = send_follow_ups(now=now)
    db.session.commit()
    assert count == len(outbox) - before
    return sorted(m["To"] for m in outbox[before:])


def test_three_then_twelve_months_after_each_once(assisted, outbox):
    emails = sorted(p.email for p in assisted)
    assert _send(datetime(2026, 10, 13, 12), outbox) == []
    assert _send(datetime(2026, 10, 14, 12), outbox) == emails
    assert _send(datetime(2026, 10, 15, 12), outbox) == []
    assert _send(datetime(2027, 7, 13, 12), outbox) == []
    assert _send(datetime(2027, 7, 14, 12), outbox) == emails
    assert _send(datetime(2027, 7, 15, 12), outbox) == []
    message = outbox[0].get_body(preferencelist=("plain",)).get_content()
    assert "/business/outcomes" in message and "14 July 2026" in message


def test_first_seen_after_a_year_gets_only_the_twelve_month_one(assisted, outbox):
    assert len(_send(datetime(2027, 8, 1, 12), outbox)) == 2
    assert sorted(db.session.execute(select(FollowUp.months)).scalars()) == [3, 12]
    assert _send(datetime(2027, 8, 2, 12), outbox) == []


def test_months_after_keeps_to_the_month():
    assert months_after(date(2026, 11, 30), 3) == date(2027, 2, 28)
    assert months_after(date(2026, 7, 14), 12) == date(2027, 7, 14)
