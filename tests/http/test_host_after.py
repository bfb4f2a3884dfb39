"""After the visit the host sees its feedback, anonymous and only from five answers, and how
many visitors' businesses later recorded outcomes that mention the visit."""

from datetime import date, timedelta

import pytest

from app.events.models import EventKind
from app.extensions import db
from app.feedback.services import save_feedback
from app.hosts import after
from app.hosts.models import HostMember
from app.outcomes.models import OutcomeClaim
from app.pillars import pillar_title
from app.timeutil import utcnow
from tests.factories import make_event, make_organisation, make_user
from tests.factories_checkin import make_registration
from tests.factories_outcomes import make_programme


@pytest.fixture
def past_visit():
    org = make_organisation("Loddon Laser Ltd")
    host = make_user(email="hal@loddon.example", organisation=org)
    other_org = make_organisation("Acle Alloys Ltd")
    other_host = make_user(email="ola@acle.example", organisation=other_org)
    db.session.flush()
    db.session.add(HostMember(user_id=host.id, organisation_id=org.id))
    db.session.add(HostMember(user_id=other_host.id, organisation_id=other_org.id))
    event = make_event(kind=EventKind.SITE_VISIT, host_organisation_id=org.id,
                       starts_in=timedelta(days=-30), title="Laser cutting open day",
                       slug="visit-loddon")  # fmt: skip
    visitors = [
        make_registration(event, make_user(name=f"Visitor {n}",
                                           organisation=make_organisation(f"Visitor Co {n}")))
        for n in range(6)
    ]  # fmt: skip
    db.session.commit()
    return event, host, other_host, visitors


def _feedback(registrations, comments=("",)):
    for n, registration in enumerate(registrations):
        save_feedback(registration, rating=4 + n % 2, recommend=n % 3 != 0,
                      pillars=["automation"], actions="",
                      comments=comments[n % len(comments)])  # fmt: skip
    db.session.commit()


def test_feedback_stays_hidden_below_five_answers(client, login, past_visit):
    event, host, _, visitors = past_visit
    _feedback(visitors[:4], comments=("Loved the fibre laser",))
    login(host)
    page = client.get("/host/visit-loddon").get_data(as_text=True)
    assert "After the visit" in page and "once at least 5 visitors have answered" in page
    assert "Loved the fibre laser" not in page and "average rating" not in page


def test_from_five_answers_the_host_sees_an_anonymous_summary(client, login, past_visit):
    event, host, _, visitors = past_visit
    _feedback(visitors[:5], comments=("Zesty demo", "Loved the fibre laser"))
    login(host)
    page = client.get("/host/visit-loddon").get_data(as_text=True)
    assert "5 visitors gave feedback" in page and "average rating <strong>4.4</strong>" in page
    assert "<strong>60%</strong> would recommend" in page
    assert f"{pillar_title('automation')} (5)" in page.replace("&amp;", "&")
    # The remarks, alphabetically, with no names beside them.
    assert page.index("Loved the fibre laser") < page.index("Zesty demo")
    remarks = page[
        page.index("feedback-remarks") : page.index("</ul>", page.index("feedback-remarks"))
    ]
    assert "Visitor" not in remarks


def test_outcomes_mentioning_the_visit_are_counted_by_business(client, login, past_visit):
    event, host, other_host, visitors = past_visit
    programme = make_programme()
    now = utcnow()

    def claim(registration, description, created_at=now, status="claimed", title=""):
        db.session.add(OutcomeClaim(
            programme_id=programme.id, organisation_id=registration.user.organisation_id,
            kind="product", description=description, title=title, occurred_on=date.today(),
            status=status, created_by_id=registration.user_id, created_at=created_at))  # fmt: skip

    claim(visitors[0], "New bracket after the Loddon Laser visit")  # host's name, no "Ltd"
    claim(visitors[0], "Another idea from LASER CUTTING OPEN DAY")  # same business: once
    claim(visitors[1], "Unrelated", title="Inspired by loddon laser ltd")
    claim(visitors[2], "Loddon Laser again", created_at=event.starts_at - timedelta(days=1))
    claim(visitors[3], "Loddon Laser", status="rejected")
    claim(visitors[4], "Nothing to do with it")
    db.session.commit()
    assert after.outcome_businesses(event) == 2
    login(host)
    page = client.get("/host/visit-loddon").get_data(as_text=True)
    assert "<strong>2</strong> visitors' businesses later recorded outcomes" in page
    login(other_host)
    assert client.get("/host/visit-loddon").status_code == 403


def test_a_coming_visit_has_no_after_section(client, login, past_visit):
    event, host, *_ = past_visit
    event.starts_at = utcnow() + timedelta(days=10)
    event.ends_at = event.starts_at + timedelta(hours=3)
    db.session.commit()
    login(host)
    assert "After the visit" not in client.get("/host/visit-loddon").get_data(as_text=True)
