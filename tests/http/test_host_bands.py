"""A business's benchmark band on the host's applicant list: shown only when one of its admins
agreed to share it and its latest benchmark is still valid, never its scores."""

from datetime import timedelta

import pytest

from app.auth.models import Organisation
from app.demo import seed_demo
from app.events.models import EventKind
from app.extensions import db
from app.hosts.models import HostMember, VisitSettings
from app.registration import services as registrations
from app.timeutil import utcnow
from tests.factories import make_event, make_organisation, make_user
from tests.factories_benchmark import make_submission


@pytest.fixture
def visit():
    """A site visit needing approval, its host, and an applicant whose business is
    Established (overall 75, all answers at level 3) and has not agreed to share it."""
    org = make_organisation("Loddon Laser Ltd")
    host = make_user(email="hal@loddon.example", name="Hal Host", organisation=org)
    db.session.flush()
    db.session.add(HostMember(user_id=host.id, organisation_id=org.id))
    event = make_event(kind=EventKind.SITE_VISIT, host_organisation_id=org.id, capacity=50,
                       title="Visit Loddon Laser", slug="visit-loddon")  # fmt: skip
    db.session.add(VisitSettings(event_id=event.id, requires_approval=True))
    applicant_org = make_organisation("Cam Sensors Ltd", sector="26")
    admin = make_user(email="amy@cam.example", name="Amy Applicant",
                      organisation=applicant_org, is_business_admin=True)  # fmt: skip
    submission = make_submission(applicant_org, user=admin, level=3)
    db.session.flush()
    registrations.register_delegate(admin, event, event.ticket_types[0])
    db.session.commit()
    assert (submission.band, submission.overall_score) == ("Established", 75.0)
    return event, host, applicant_org, admin, submission


def _host_page(client, login, host) -> str:
    login(host)
    response = client.get("/host/visit-loddon")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _org(org_id: int) -> Organisation:
    db.session.expire_all()
    return db.session.get(Organisation, org_id)


def test_the_band_is_hidden_until_an_admin_shares_it_then_shown_without_scores(
    client, login, visit
):
    event, host, org, admin, submission = visit
    page = _host_page(client, login, host)
    assert "Amy Applicant" in page and "Established" not in page and "benchmark band" not in page
    assert _org(org.id).shares_band is False  # off by default

    login(admin)
    members = client.get("/business/members").get_data(as_text=True)
    assert "Share our benchmark band (e.g. Established) with the hosts" in members
    box = members.split('id="share-band"')[1].split(">")[0]
    assert "checked" not in box
    response = client.post("/business/band-sharing", data={"share": "y"})
    assert response.status_code == 303
    shared = _org(org.id)
    assert shared.shares_band is True
    assert shared.band_sharing_changed_by_id == admin.id
    assert utcnow() - shared.band_sharing_changed_at < timedelta(minutes=5)

    page = _host_page(client, login, host)
    assert "benchmark band <strong>Established</strong>" in page
    assert "75.0" not in page and "75" not in page.split("Amy Applicant")[1][:400]

    # Withdrawn: hidden again, and the change is recorded.
    login(admin)
    assert client.post("/business/band-sharing", data={}).status_code == 303
    assert _org(org.id).shares_band is False
    assert "Established" not in _host_page(client, login, host)


def test_a_benchmark_older_than_twelve_months_shows_no_band(client, login, visit):
    event, host, org, admin, submission = visit
    org.shares_band = True
    submission.submitted_at = utcnow() - timedelta(days=366)
    db.session.commit()
    page = _host_page(client, login, host)
    assert "Amy Applicant" in page and "benchmark band" not in page
    # A newer, valid one is what counts, whichever was submitted first.
    make_submission(org, user=admin, level=2, submitted_at=utcnow() - timedelta(days=30))
    db.session.commit()
    assert "benchmark band <strong>Developing</strong>" in _host_page(client, login, host)


def test_only_the_latest_benchmark_counts(client, login, visit):
    event, host, org, admin, submission = visit
    org.shares_band = True
    make_submission(org, user=admin, level=4, submitted_at=utcnow() - timedelta(days=200))
    db.session.commit()
    # The level-3 one (a day old) is the latest: Established, not the older Advanced.
    page = _host_page(client, login, host)
    assert "benchmark band <strong>Established</strong>" in page and "Advanced" not in page


def test_a_member_who_is_not_an_admin_cannot_change_the_consent(client, login, visit):
    event, host, org, admin, submission = visit
    member = make_user(email="max@cam.example", organisation=org)
    db.session.commit()
    login(member)
    response = client.post("/business/band-sharing", data={"share": "y"})
    assert response.status_code == 403
    shared = _org(org.id)
    assert (shared.shares_band, shared.band_sharing_changed_at) == (False, None)
    # Consent is the business's own: an organiser who is a plain member of a business does
    # not give it for that business, and a host's non-admin member gets 403 like any other.
    own = make_organisation()
    login(make_user(role="organiser", organisation=own))
    client.post("/business/band-sharing", data={"share": "y"})
    assert _org(own.id).shares_band is False
    login(host)
    assert client.post("/business/band-sharing", data={"share": "y"}).status_code == 403
    assert _org(org.id).shares_band is False
    assert _org(host.organisation_id).shares_band is False
    assert "benchmark band" not in _host_page(client, login, host)


def test_someone_without_a_business_gets_404_and_anonymous_is_sent_to_sign_in(client, login):
    login(make_user())
    assert client.post("/business/band-sharing", data={"share": "y"}).status_code == 404
    client.post("/auth/logout")
    response = client.post("/business/band-sharing", data={"share": "y"})
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_the_host_page_runs_the_same_queries_for_2_or_12_sharing_applicants(
    client, login, count_queries, visit
):
    event, host, org, admin, submission = visit
    org.shares_band = True

    def apply(n: int) -> None:
        other = make_organisation(f"Applicant {n} Ltd", shares_band=True)
        user = make_user(organisation=other)
        make_submission(other, user=user, level=n % 5)
        make_submission(other, user=user, level=2, submitted_at=utcnow() - timedelta(days=90))
        registrations.register_delegate(user, event, event.ticket_types[0])

    apply(1)
    db.session.commit()
    login(host)
    with count_queries() as few:
        page = client.get("/host/visit-loddon").get_data(as_text=True)
    assert page.count("benchmark band <strong>") == 2
    for n in range(2, 12):
        apply(n)
    db.session.commit()
    with count_queries() as many:
        page = client.get("/host/visit-loddon").get_data(as_text=True)
    assert page.count("benchmark band <strong>") == 12
    assert len(many) == len(few)


def test_the_demo_applicant_shares_its_band(client):
    seed_demo()
    db.session.commit()
    client.post("/auth/login", data={"email": "host@example.com", "password": "host"})
    page = client.get("/host/site-visit-innovation-centre").get_data(as_text=True)
    card = page.split("Raj Patel", 1)[1].split("</li>", 1)[0]
    assert "Anglia Circuit Assemblies Ltd" in card and "benchmark band <strong>" in card
