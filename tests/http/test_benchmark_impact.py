"""The programme's impact: change since the baseline, for businesses that took part on a pillar
and those that did not; aggregates only."""

import secrets
from datetime import timedelta

from app.benchmark.impact import programme_impact
from app.benchmark.models import BenchmarkResponse
from app.checkin.models import CheckIn
from app.events.models import EventKind
from app.extensions import db
from app.timeutil import utcnow
from tests.factories import make_event, make_organisation, make_session, make_user, organiser
from tests.factories_checkin import make_registration

PILLARS = ("leadership", "lean", "quality", "people", "digital", "automation", "innovation",
           "sustainability")  # fmt: skip


def _submission(org, user, days_ago: int, lean: float, others: float = 40.0):
    scores = {key: others for key in PILLARS} | {"lean": lean}
    response = BenchmarkResponse(
        public_id=secrets.token_hex(16), organisation_id=org.id, submitted_by_id=user.id,
        status="submitted", questionnaire_version="1", pillar_scores=scores,
        overall_score=sum(scores.values()) / len(scores),
        submitted_at=utcnow() - timedelta(days=days_ago),
    )  # fmt: skip
    db.session.add(response)
    return response


def _business(lean_before: float, lean_after: float):
    org = make_organisation()
    user = make_user(organisation=org)
    _submission(org, user, 300, lean_before)
    _submission(org, user, 10, lean_after)
    return org, user


def _checked_in(event, user, days_ago: int, session=None, undone=False):
    registration = make_registration(event, user=user)
    db.session.add(
        CheckIn(event_id=event.id, registration_id=registration.id,
                session_id=session.id if session else None,
                checked_in_at=utcnow() - timedelta(days=days_ago),
                undone_at=utcnow() if undone else None)
    )  # fmt: skip


def _by_key():
    return {row.key: row for row in programme_impact()}


def test_took_part_is_attendance_on_the_pillar_between_baseline_and_latest(app):
    lean_workshop = make_event(kind=EventKind.WORKSHOP, pillars=["lean"],
                               starts_in=timedelta(days=-100))  # fmt: skip
    conference = make_event(kind=EventKind.CONFERENCE, pillars=["lean", "digital"],
                            starts_in=timedelta(days=-50))  # fmt: skip
    lean_talk = make_session(conference, pillars=["lean"])
    # Five took part on lean: four at the workshop, one at a lean conference session.
    for n in range(4):
        _org, user = _business(30, 50 + n)  # +20..+23
        _checked_in(lean_workshop, user, 100)
    _org, user = _business(30, 40)  # +10
    _checked_in(conference, user, 50, session=lean_talk)
    # Five did not: the conference door alone, a check-in undone, one before the baseline,
    # and two that never came.
    _org, user = _business(30, 32)
    _checked_in(conference, user, 50)
    _org, user = _business(30, 31)
    _checked_in(lean_workshop, user, 100, undone=True)
    _org, user = _business(30, 30)
    old_workshop = make_event(kind=EventKind.WORKSHOP, pillars=["lean"],
                              starts_in=timedelta(days=-400))  # fmt: skip
    _checked_in(old_workshop, user, 400)
    _business(30, 29)
    _business(30, 33)
    # One submission only: not re-assessed, not counted.
    single = make_organisation()
    _submission(single, make_user(organisation=single), 10, 90)
    db.session.commit()

    rows = _by_key()
    lean = rows["lean"]
    assert lean.everyone.organisations == 10
    assert (lean.took_part.organisations, lean.took_part.improved) == (5, 5)
    assert lean.took_part.mean == round((20 + 21 + 22 + 23 + 10) / 5, 1)
    assert (lean.did_not.organisations, lean.did_not.mean) == (5, round((2 + 1 + 0 - 1 + 3) / 5, 1))
    assert lean.did_not.improved == 3
    # Nobody took part on quality: every business is in "did not", all unchanged.
    quality = rows["quality"]
    assert (quality.took_part.organisations, quality.did_not.mean) == (0, 0.0)
    assert rows["overall"].everyone.organisations == 10


def test_groups_under_five_are_not_shown(app):
    workshop = make_event(kind=EventKind.WORKSHOP, pillars=["lean"], starts_in=timedelta(days=-90))
    for n in range(4):
        _org, user = _business(30, 60 + n)
        _checked_in(workshop, user, 90)
    db.session.commit()
    lean = _by_key()["lean"]
    assert lean.everyone.organisations == 4
    assert (lean.everyone.mean, lean.everyone.improved) == (None, None)
    assert lean.took_part.mean is None and lean.did_not.organisations == 0


def test_the_organiser_page_shows_the_impact_table(client, login, count_queries):
    staff = organiser()
    workshop = make_event(kind=EventKind.WORKSHOP, pillars=["lean"], starts_in=timedelta(days=-90))
    for n in range(5):
        _org, user = _business(30, 45 + n)
        _checked_in(workshop, user, 90)
    db.session.commit()
    login(staff)
    html = client.get("/organiser/benchmark").get_data(as_text=True)
    assert "Improvement since the baseline" in html
    assert "+17.0" in html and "(5 of 5 up)" in html  # lean: 15..19 points up
    with count_queries() as queries:
        client.get("/organiser/benchmark")
    few = len(queries)
    for n in range(10):
        _org, user = _business(30, 45 + n)
        _checked_in(workshop, user, 90)
    db.session.commit()
    with count_queries() as queries:
        client.get("/organiser/benchmark")
    assert len(queries) == few
