"""The gatehouse list: the host downloads who is coming (CSV and a printable A4 page), with
vehicle registrations when the brief asks for them and access needs when given."""

import csv
import io

import pytest

from app.events.models import EventKind
from app.extensions import db
from app.hosts import brief as briefs
from app.hosts.models import HostMember, VisitSettings
from app.questions import services as questions
from app.registration import services as registrations
from tests.factories import make_event, make_organisation, make_user
from tests.factories_benchmark import make_submission


def _visitor(event, name, business, plate="", access=None):
    org = make_organisation(business)
    user = make_user(name=name, job_title="Engineer", organisation=org)
    make_submission(org, user=user)
    registration = registrations.register_delegate(user, event, event.ticket_types[0])
    if access is not None:
        [question] = [q for q in questions.questions_for(event.id) if q.preset == "access"]
        parsed = questions.parse_answers(
            [question], registration.ticket_type_id, {f"q-{question.id}": [access]}
        )
        questions.save_answers(registration, parsed)
    briefs.record_consent(registration, briefs.Consent(None, plate))
    return registration


@pytest.fixture
def visit():
    org = make_organisation("Loddon Laser Ltd")
    host = make_user(email="hal@loddon.example", organisation=org)
    other_org = make_organisation("Acle Alloys Ltd")
    other_host = make_user(email="ola@acle.example", organisation=other_org)
    organiser = make_user(role="organiser")
    db.session.flush()
    db.session.add(HostMember(user_id=host.id, organisation_id=org.id))
    db.session.add(HostMember(user_id=other_host.id, organisation_id=other_org.id))
    event = make_event(kind=EventKind.SITE_VISIT, host_organisation_id=org.id,
                       title="Visit Loddon Laser", slug="visit-loddon")  # fmt: skip
    make_event(kind=EventKind.SITE_VISIT, host_organisation_id=other_org.id, slug="visit-acle")
    briefs.save_brief(host, event, ppe=["hi_vis"], asks_vehicle=True, ask_for="Pat")
    questions.add_preset(organiser, event, "access")
    db.session.flush()
    _visitor(event, "Zoe Zed", "Cam Sensors Ltd", plate="AB12 CDE", access="Step-free route")
    _visitor(event, "=cmd Amy", "Wensum Welding Ltd")
    # Awaiting the host: not on the gate's list yet.
    db.session.add(VisitSettings(event_id=event.id, requires_approval=True))
    db.session.flush()
    _visitor(event, "Will Waiting", "Bure Bearings Ltd")
    db.session.commit()
    return event, host, other_host


def test_the_csv_lists_approved_visitors_with_plates_and_access_needs(client, login, visit):
    event, host, _ = visit
    login(host)
    response = client.get("/host/visit-loddon/visitors.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Cache-Control"] == "private, no-store"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows == [
        ["Name", "Business", "Job title", "Vehicle registration", "Access needs", "Status"],
        ["'=cmd Amy", "Wensum Welding Ltd", "Engineer", "", "", "confirmed"],
        ["Zoe Zed", "Cam Sensors Ltd", "Engineer", "AB12 CDE", "Step-free route", "confirmed"],
    ]


def test_without_the_vehicle_question_the_list_has_no_vehicle_column(client, login, visit):
    event, host, _ = visit
    briefs.save_brief(host, event, ppe=["hi_vis"], asks_vehicle=False)
    db.session.commit()
    login(host)
    header = client.get("/host/visit-loddon/visitors.csv").get_data(as_text=True).splitlines()[0]
    assert "Vehicle" not in header
    assert "Vehicle" not in client.get("/host/visit-loddon/visitors/print").get_data(as_text=True)


def test_the_printable_page_is_a4_with_each_visitor(client, login, visit):
    event, host, _ = visit
    login(host)
    response = client.get("/host/visit-loddon/visitors/print")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "@page { size: A4" in page
    assert "Zoe Zed" in page and "AB12 CDE" in page and "Step-free route" in page
    assert "2 visitors" in page and "host contact: Pat" in page
    assert "Will Waiting" not in page


def test_another_host_and_delegates_cannot_download_the_list(client, login, visit):
    event, host, other_host = visit
    for user in (other_host, make_user(email="dee@example.com")):
        db.session.commit()
        login(user)
        assert client.get("/host/visit-loddon/visitors.csv").status_code == 403
        assert client.get("/host/visit-loddon/visitors.xlsx").status_code == 403
        assert client.get("/host/visit-loddon/visitors/print").status_code == 403
    login(make_user(role="organiser"))
    assert client.get("/host/visit-loddon/visitors/print").status_code == 200


def test_the_lists_take_the_same_queries_for_any_number_of_visitors(
    client, login, visit, count_queries
):
    event, host, _ = visit
    login(host)
    urls = ["/host/visit-loddon/visitors.csv", "/host/visit-loddon/visitors/print",
            "/host/visit-loddon"]  # fmt: skip

    def queries() -> list[int]:
        counts = []
        for url in urls:
            with count_queries() as statements:
                assert client.get(url).status_code == 200
            counts.append(len(statements))
        return counts

    before = queries()
    db.session.get(VisitSettings, event.id).requires_approval = False  # confirmed at once
    for n in range(6):
        _visitor(event, f"Extra {n}", f"Extra Co {n}", plate=f"EX{n} AAA", access="Ramp")
    db.session.commit()
    assert client.get(urls[0]).get_data(as_text=True).count("Extra Co") == 6
    assert queries() == before
