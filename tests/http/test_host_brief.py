"""A visit's safety brief and versioned confidentiality terms: edited by its hosts and the
organisers, shown on the registration form, accepted by version and kept with its time."""

import json
from datetime import timedelta
from io import BytesIO

import pytest
from sqlalchemy import func, select

from app.events.models import EventKind
from app.extensions import db
from app.hosts import brief as briefs
from app.hosts.models import (
    HostMember,
    VisitAcceptance,
    VisitAcceptanceLog,
    VisitBrief,
    VisitSettings,
    VisitTerms,
)
from app.registration import services as registrations
from app.registration.models import Registration
from app.timeutil import to_local, utcnow
from tests.factories import PASSWORD, make_event, make_organisation, make_user
from tests.factories_benchmark import make_submission

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
BRIEF = {
    "ppe": ["safety_boots", "hi_vis"],
    "ppe_notes": "Boots are lent at reception.",
    "photography": "none",
    "meeting_point": "Gatehouse 2",
    "parking": "Bays 10 to 20",
    "ask_for": "Pat at goods in",
    "asks_vehicle": "y",
}


@pytest.fixture
def visit():
    org = make_organisation("Loddon Laser Ltd")
    host = make_user(email="hal@loddon.example", name="Hal Host", organisation=org)
    other_org = make_organisation("Acle Alloys Ltd")
    other_host = make_user(email="ola@acle.example", organisation=other_org)
    db.session.flush()
    db.session.add_all(
        [
            HostMember(user_id=host.id, organisation_id=org.id),
            HostMember(user_id=other_host.id, organisation_id=other_org.id),
        ]
    )
    event = make_event(kind=EventKind.SITE_VISIT, host_organisation_id=org.id,
                       title="Visit Loddon Laser", slug="visit-loddon")  # fmt: skip
    make_event(kind=EventKind.SITE_VISIT, host_organisation_id=other_org.id, slug="visit-acle")
    db.session.add(VisitSettings(event_id=event.id, requires_approval=True))
    applicant_org = make_organisation("Cam Sensors Ltd")
    applicant = make_user(email="amy@cam.example", name="Amy", organisation=applicant_org)
    make_submission(applicant_org, user=applicant)
    db.session.commit()
    return event, host, other_host, applicant


def _count(model) -> int:
    return db.session.execute(select(func.count()).select_from(model)).scalar()


def test_the_host_writes_the_brief_and_another_host_cannot(client, login, visit):
    event, host, other_host, _ = visit
    login(other_host)
    assert client.get("/host/visit-loddon/brief").status_code == 403
    assert client.post("/host/visit-loddon/brief", data=BRIEF).status_code == 403
    assert client.post("/host/visit-loddon/terms", data={"text": "Secret"}).status_code == 403
    assert _count(VisitBrief) == 0 and _count(VisitTerms) == 0
    login(host)
    assert client.post("/host/visit-loddon/brief", data=BRIEF).status_code == 302
    brief = db.session.get(VisitBrief, event.id)
    assert brief.ppe == ["safety_boots", "hi_vis"] and brief.photography == "none"
    assert (brief.meeting_point, brief.parking, brief.ask_for) == (
        "Gatehouse 2",
        "Bays 10 to 20",
        "Pat at goods in",
    )
    assert brief.asks_vehicle and brief.updated_by_id == host.id
    page = client.get("/host/visit-loddon/brief").get_data(as_text=True)
    assert "openstreetmap.org/search?query=NR1+1AA" in page
    # Bad values are refused by name and change nothing.
    bad = client.post("/host/visit-loddon/brief", data={**BRIEF, "ppe": ["chainmail"]})
    assert bad.status_code == 409 and "chainmail" in bad.get_data(as_text=True)
    bad = client.post("/host/visit-loddon/brief", data={**BRIEF, "photography": "maybe"})
    assert bad.status_code == 409
    db.session.expire_all()
    assert db.session.get(VisitBrief, event.id).ppe == ["safety_boots", "hi_vis"]


def test_organisers_edit_any_visits_brief(client, login, visit):
    event, *_ = visit
    login(make_user(role="organiser"))
    overview = client.get(f"/organiser/events/{event.id}").get_data(as_text=True)
    assert 'href="/host/visit-loddon"' in overview  # the way in from the event's page
    assert client.post("/host/visit-loddon/brief", data=BRIEF).status_code == 302
    assert db.session.get(VisitBrief, event.id).ppe_notes == "Boots are lent at reception."


def test_editing_the_terms_makes_a_new_version_and_keeps_the_old(client, login, visit):
    event, host, *_ = visit
    login(host)
    url = "/host/visit-loddon/terms"
    client.post(url, data={"text": "Do not disclose client work."})
    client.post(url, data={"text": "Do not disclose client work."})  # unchanged: no version
    client.post(url, data={"text": "Do not disclose client work or prices."})
    versions = db.session.execute(
        select(VisitTerms.version, VisitTerms.text).order_by(VisitTerms.version)
    ).all()
    assert versions == [
        (1, "Do not disclose client work."),
        (2, "Do not disclose client work or prices."),
    ]
    # A PDF upload is a version too; a later text edit keeps the PDF.
    response = client.post(
        url,
        data={"text": "Do not disclose client work or prices.", "pdf": (BytesIO(PDF), "nda.pdf")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    assert briefs.current_terms(event.id).version == 3
    client.post(url, data={"text": "See the attached NDA."})
    current = briefs.current_terms(event.id)
    assert (current.version, current.pdf_name, current.pdf) == (4, "nda.pdf", PDF)
    pdf = client.get("/events/visit-loddon/visit-terms/4.pdf")
    assert pdf.status_code == 200 and pdf.data == PDF and pdf.mimetype == "application/pdf"
    old = client.get("/events/visit-loddon/visit-terms/1").get_data(as_text=True)
    assert "Do not disclose client work." in old
    assert client.get("/events/visit-loddon/visit-terms/1.pdf").status_code == 404
    assert client.get("/events/visit-loddon/visit-terms/9").status_code == 404
    # Not a PDF: refused, nothing written.
    bad = client.post(
        url, data={"text": "x", "pdf": (BytesIO(b"MZ\x90\x00"), "nda.pdf")},
        content_type="multipart/form-data",
    )  # fmt: skip
    assert bad.status_code == 409 and "not a complete PDF" in bad.get_data(as_text=True)
    assert _count(VisitTerms) == 4
    # Withdrawn: applicants accept the brief alone; the versions stay on record.
    client.post(url, data={"withdraw": "y"})
    assert briefs.current_terms(event.id) is None and _count(VisitTerms) == 5


def _with_brief(event, host, terms: str | None = "Do not disclose client work."):
    briefs.save_brief(host, event, ppe=["safety_boots", "hi_vis"], meeting_point="Gatehouse 2",
                      parking="Bays 10 to 20", ask_for="Pat", asks_vehicle=True)  # fmt: skip
    if terms:
        briefs.save_terms(host, event, terms)
    db.session.commit()


def test_the_form_shows_the_brief_and_requires_consent_naming_the_version(client, login, visit):
    event, host, _, applicant = visit
    _with_brief(event, host)
    login(applicant)
    form = client.get("/events/visit-loddon/register").get_data(as_text=True)
    for text in ("Safety boots", "A hi-vis vest", "Gatehouse 2", "Bays 10 to 20", "Pat",
                 "Confidentiality terms, version 1", "Do not disclose client work.",
                 "accept the confidentiality terms (version 1)", 'value="1" required',
                 "Vehicle registration"):  # fmt: skip
        assert text in form, text
    ticket = event.ticket_types[0].id
    url = "/events/visit-loddon/register"
    # No consent: refused, nothing written.
    response = client.post(url, data={"ticket_type": ticket})
    assert response.status_code == 422 and "Tick the box" in response.get_data(as_text=True)
    assert _count(Registration) == 0
    # The host changed the terms while the page was open: the old version is refused.
    briefs.save_terms(host, event, "Do not disclose anything.")
    db.session.commit()
    response = client.post(url, data={"ticket_type": ticket, "visit_consent": "1"})
    assert response.status_code == 422
    assert "changed the terms" in response.get_data(as_text=True)
    assert _count(Registration) == 0 and _count(VisitAcceptance) == 0
    # A bad number plate: refused.
    response = client.post(
        url, data={"ticket_type": ticket, "visit_consent": "2", "vehicle_registration": "<b>"}
    )
    assert response.status_code == 422 and _count(Registration) == 0
    before = utcnow()
    response = client.post(
        url, data={"ticket_type": ticket, "visit_consent": "2", "vehicle_registration": "ab12 cde"}
    )
    # Awaiting the host: to the ticket's card, which says the host decides next.
    assert response.status_code == 302 and "/me/tickets#registration-" in response.location
    registration = db.session.execute(select(Registration)).scalar_one()
    acceptance = db.session.get(VisitAcceptance, registration.id)
    assert acceptance.terms_version == 2
    assert db.session.get(VisitTerms, acceptance.terms_id).text == "Do not disclose anything."
    assert before <= acceptance.accepted_at <= registration.created_at
    assert acceptance.vehicle_registration == "AB12 CDE"


def test_without_terms_the_consent_covers_the_brief_alone(client, login, visit):
    event, host, _, applicant = visit
    _with_brief(event, host, terms=None)
    login(applicant)
    form = client.get("/events/visit-loddon/register").get_data(as_text=True)
    assert "follow its photography rule" in form and "confidentiality terms" not in form
    response = client.post(
        "/events/visit-loddon/register",
        data={"ticket_type": event.ticket_types[0].id, "visit_consent": "brief"},
    )
    assert response.status_code == 302
    acceptance = db.session.execute(select(VisitAcceptance)).scalar_one()
    assert (acceptance.terms_id, acceptance.terms_version) == (None, None)


def test_a_visit_without_a_brief_asks_no_consent(client, login, visit):
    event, host, _, applicant = visit
    login(applicant)
    form = client.get("/events/visit-loddon/register").get_data(as_text=True)
    assert "visit_consent" not in form
    response = client.post(
        "/events/visit-loddon/register", data={"ticket_type": event.ticket_types[0].id}
    )
    assert response.status_code == 302 and _count(VisitAcceptance) == 0


def test_terms_of_an_unpublished_visit_are_for_its_hosts_only(client, login, visit):
    event, host, other_host, _ = visit
    _with_brief(event, host)
    event.status = "draft"
    db.session.commit()
    assert client.get("/events/visit-loddon/visit-terms/1").status_code == 404
    login(other_host)
    assert client.get("/events/visit-loddon/visit-terms/1").status_code == 404
    login(host)
    assert client.get("/events/visit-loddon/visit-terms/1").status_code == 200


def test_my_data_holds_the_acceptance_and_erasure_removes_the_number_plate(client, login, visit):
    event, host, _, applicant = visit
    _with_brief(event, host)
    login(applicant)
    client.post(
        "/events/visit-loddon/register",
        data={"ticket_type": event.ticket_types[0].id, "visit_consent": "1",
              "vehicle_registration": "AB12 CDE"},
    )  # fmt: skip
    data = json.loads(client.get("/me/data.json").data)
    [registration] = data["registrations"]
    accepted = registration["site_visit_terms_accepted"]
    assert accepted["confidentiality_terms_version"] == 1
    assert accepted["vehicle_registration"] == "AB12 CDE" and accepted["accepted_at"]
    # The visit is over; the account is erased: the acceptance stays, the plate does not.
    event.starts_at -= timedelta(days=60)
    event.ends_at -= timedelta(days=60)
    db.session.commit()
    response = client.post("/me/delete", data={"password": PASSWORD, "understood": "y"})
    assert response.status_code == 303
    db.session.expire_all()
    acceptance = db.session.execute(select(VisitAcceptance)).scalar_one()
    assert acceptance.vehicle_registration == "" and acceptance.terms_version == 1


def test_a_place_given_without_the_form_asks_for_acceptance_on_the_ticket(client, login, visit):
    """Registered by an organiser (or a colleague, or before the brief was written): the
    ticket asks the delegate to accept, and the host sees who has not."""
    event, host, other_host, applicant = visit
    _with_brief(event, host)
    registration = registrations.register_delegate(applicant, event, event.ticket_types[0])
    db.session.commit()
    url = f"/me/registrations/{registration.id}/visit-brief"
    login(host)
    page = client.get("/host/visit-loddon").get_data(as_text=True)
    assert "has not accepted the current safety brief" in page
    # Only its delegate may accept.
    assert client.get(url).status_code == 404
    login(applicant)
    tickets = client.get("/me/tickets").get_data(as_text=True)
    assert f'href="{url}"' in tickets
    form = client.get(url).get_data(as_text=True)
    assert "accept the confidentiality terms (version 1)" in form and "Safety boots" in form
    response = client.post(url, data={})
    assert response.status_code == 422 and _count(VisitAcceptance) == 0
    response = client.post(url, data={"visit_consent": "1", "vehicle_registration": "xy99 zzz"})
    assert response.status_code == 302
    acceptance = db.session.get(VisitAcceptance, registration.id)
    assert (acceptance.terms_version, acceptance.vehicle_registration) == (1, "XY99 ZZZ")
    assert f'href="{url}"' not in client.get("/me/tickets").get_data(as_text=True)
    # New terms: asked again; accepting them replaces the earlier acceptance.
    briefs.save_terms(host, event, "New terms.")
    db.session.commit()
    assert f'href="{url}"' in client.get("/me/tickets").get_data(as_text=True)
    assert client.post(url, data={"visit_consent": "2"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(VisitAcceptance, registration.id).terms_version == 2
    # Withdrawn terms ask nothing more of those who accepted the brief.
    briefs.withdraw_terms(host, event)
    db.session.commit()
    assert f'href="{url}"' not in client.get("/me/tickets").get_data(as_text=True)


def test_every_acceptance_stays_on_record_when_new_terms_are_accepted(client, login, visit):
    """Accepting version 2 replaces what the gate sees, not the record that version 1 was
    accepted first: the host's page and the delegate's own data show both, newest first."""
    event, host, _, applicant = visit
    _with_brief(event, host)
    registration = registrations.register_delegate(applicant, event, event.ticket_types[0])
    db.session.commit()
    url = f"/me/registrations/{registration.id}/visit-brief"
    login(applicant)
    first = utcnow() - timedelta(days=2)
    briefs.record_consent(registration, briefs.Consent(briefs.current_terms(event.id), ""), first)
    db.session.commit()
    briefs.save_terms(host, event, "New terms.")
    db.session.commit()
    assert client.post(url, data={"visit_consent": "2"}).status_code == 302
    log = db.session.execute(
        select(VisitAcceptanceLog.terms_version).order_by(VisitAcceptanceLog.id)
    ).scalars()
    assert list(log) == [1, 2]
    assert db.session.get(VisitAcceptance, registration.id).terms_version == 2
    data = json.loads(client.get("/me/data.json").data)
    every = data["registrations"][0]["site_visit_terms_accepted"]["every_acceptance"]
    assert [e["confidentiality_terms_version"] for e in every] == [1, 2]
    login(host)
    page = client.get("/host/visit-loddon").get_data(as_text=True)
    when = to_local(first, event.timezone)
    assert f"; before that, terms version 1 on {when:%-d %b %Y, %H:%M}" in page
    assert "Accepted terms version 2 on " in page
