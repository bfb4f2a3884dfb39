"""The host area: hosts see and decide on their own visits only; organisers act as any host."""

import re

import pytest
from sqlalchemy import select

from app.demo import seed_demo
from app.events.models import Event, EventKind
from app.extensions import db
from app.hosts.models import HostDecision, HostMember, VisitSettings
from app.registration import services as registrations
from app.registration.models import Registration, RegistrationLog
from tests.factories import make_event, make_organisation, make_user
from tests.factories_benchmark import make_submission


@pytest.fixture
def visit():
    """A site visit needing approval, its host, a second host's visit, and an applicant."""
    org = make_organisation("Loddon Laser Ltd")
    host = make_user(email="hal@loddon.example", name="Hal Host", organisation=org)
    db.session.flush()
    db.session.add(HostMember(user_id=host.id, organisation_id=org.id))
    event = make_event(kind=EventKind.SITE_VISIT, host_organisation_id=org.id, capacity=1,
                       title="Visit Loddon Laser", slug="visit-loddon")  # fmt: skip
    db.session.add(VisitSettings(event_id=event.id, requires_approval=True))
    other_org = make_organisation("Acle Alloys Ltd")
    other_host = make_user(email="ola@acle.example", organisation=other_org)
    db.session.flush()
    db.session.add(HostMember(user_id=other_host.id, organisation_id=other_org.id))
    other = make_event(kind=EventKind.SITE_VISIT, host_organisation_id=other_org.id,
                       title="Visit Acle Alloys", slug="visit-acle")  # fmt: skip
    applicant_org = make_organisation("Cam Sensors Ltd", sector="26", size_band="small")
    applicant = make_user(email="amy@cam.example", name="Amy Applicant", job_title="Engineer",
                          organisation=applicant_org)  # fmt: skip
    make_submission(applicant_org, user=applicant)
    db.session.flush()
    registration = registrations.register_delegate(applicant, event, event.ticket_types[0])
    db.session.commit()
    return event, host, other, other_host, registration


def _status(registration_id: int) -> str:
    db.session.expire_all()
    return db.session.get(Registration, registration_id).status


def test_an_application_waits_for_the_host_holding_its_seat_without_a_ticket(client, login, visit):
    event, host, *_, registration = visit
    assert registration.status == "awaiting_host"
    assert registration.holds_seat and registration.ticket_secret is None
    assert registration.hold_expires_at is None
    assert db.session.get(Event, event.id).seats_taken == 1
    login(registration.user)
    page = client.get("/me/tickets").get_data(as_text=True)
    assert "awaiting the host" in page.lower()
    assert "/qr.png" not in page


def test_the_host_lists_its_visits_and_sees_each_applicant(client, login, visit):
    event, host, other, *_ = visit
    login(host)
    page = client.get("/host").get_data(as_text=True)
    assert "Visit Loddon Laser" in page and "Visit Acle Alloys" not in page
    assert "1 awaiting your decision" in page and "safety brief not written yet" in page
    page = client.get("/host/visit-loddon").get_data(as_text=True)
    assert "Amy Applicant" in page and "Engineer" in page and "Cam Sensors Ltd" in page
    assert "sector 26" in page and "small" in page
    assert "Approve Amy Applicant" in page


def test_a_host_cannot_see_or_act_on_another_hosts_visit_or_any_organiser_page(
    client, login, visit
):
    event, host, other, other_host, registration = visit
    login(other_host)
    assert client.get("/host/visit-loddon").status_code == 403
    url = f"/host/visit-loddon/registrations/{registration.id}/approve"
    assert client.post(url).status_code == 403
    assert (
        client.post(f"/host/visit-loddon/registrations/{registration.id}/decline").status_code
        == 403
    )
    assert (
        client.post("/host/visit-loddon/settings", data={"requires_approval": ""}).status_code
        == 403
    )
    assert _status(registration.id) == "awaiting_host"
    assert db.session.get(VisitSettings, event.id).requires_approval is True
    # Nor through the other visit's URL with its own applicant's id.
    login(host)
    assert (
        client.post(f"/host/visit-acle/registrations/{registration.id}/approve").status_code == 403
    )
    for url in ("/organiser/", "/organiser/businesses", "/organiser/outcomes"):
        assert client.get(url).status_code == 403, url


def test_delegates_and_former_members_get_403(client, login, visit):
    event, host, *_ = visit
    login(make_user(email="dee@example.com"))
    assert client.get("/host").status_code == 403
    # Hosting lapses with membership.
    host.organisation_id = None
    db.session.commit()
    login(host)
    assert client.get("/host").status_code == 403
    assert client.get("/host/visit-loddon").status_code == 403


def test_anonymous_is_sent_to_sign_in(client):
    response = client.get("/host")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_approval_confirms_and_sends_the_ticket(client, login, visit, outbox):
    event, host, *_, registration = visit
    login(host)
    outbox.clear()
    response = client.post(f"/host/visit-loddon/registrations/{registration.id}/approve")
    assert response.status_code == 302
    db.session.expire_all()
    r = db.session.get(Registration, registration.id)
    assert r.status == "confirmed" and r.ticket_secret.startswith("JRN1-")
    [message] = outbox
    assert (
        message["To"] == "amy@cam.example"
        and message["Subject"] == "Your ticket for Visit Loddon Laser"
    )
    decision = db.session.get(HostDecision, r.id)
    assert (decision.decision, decision.decided_by_id) == ("approved", host.id)
    # Deciding twice is refused, naming why, and changes nothing.
    again = client.post(f"/host/visit-loddon/registrations/{registration.id}/approve")
    assert again.status_code == 409 and "no longer waiting" in again.get_data(as_text=True)
    login(r.user)
    page = client.get("/me/tickets").get_data(as_text=True)
    assert f"/tickets/{r.ticket_secret}/qr.png" in page


def test_a_decline_is_courteous_keeps_the_reason_for_organisers_and_frees_the_seat(
    client, login, visit, outbox
):
    event, host, *_, registration = visit
    org = make_organisation("Wensum Welding Ltd")
    wes = make_user(email="wes@example.com", name="Wes Waiting", organisation=org)
    make_submission(org, user=wes)
    waiting = registrations.register_delegate(
        wes, event, event.ticket_types[0],
        join_waitlist=True,
    )  # fmt: skip
    db.session.commit()
    login(host)
    outbox.clear()
    response = client.post(
        f"/host/visit-loddon/registrations/{registration.id}/decline",
        data={"reason": "They supply our main competitor"},
    )
    assert response.status_code == 302
    assert _status(registration.id) == "cancelled"
    # The seat went to the next in line, who now waits for the host in turn.
    assert _status(waiting.id) == "awaiting_host"
    assert db.session.get(Event, event.id).seats_taken == 1
    declined = next(m for m in outbox if m["To"] == "amy@cam.example")
    assert declined["Subject"] == "About your application to visit Visit Loddon Laser"
    body = declined.get_body(("plain",)).get_content()
    assert "not able to welcome you" in body and "competitor" not in body
    log = db.session.execute(
        select(RegistrationLog).where(
            RegistrationLog.registration_id == registration.id,
            RegistrationLog.action == "cancelled",
        )
    ).scalar_one()
    assert log.detail == "declined by the host: They supply our main competitor"
    # The host's page does not show the reason; an organiser's does.
    assert "main competitor" not in client.get("/host/visit-loddon").get_data(as_text=True)
    login(make_user(role="organiser"))
    assert "main competitor" in client.get("/host/visit-loddon").get_data(as_text=True)


def test_a_reason_too_long_is_refused_and_writes_nothing(client, login, visit):
    event, host, *_, registration = visit
    login(host)
    url = f"/host/visit-loddon/registrations/{registration.id}/decline"
    assert client.post(url, data={"reason": "x" * 2001}).status_code == 400
    assert _status(registration.id) == "awaiting_host"
    assert db.session.get(HostDecision, registration.id) is None


def test_excluded_sectors_are_flagged_never_refused(client, login, visit):
    event, host, *_, registration = visit
    login(host)
    url = "/host/visit-loddon/settings"
    bad = client.post(url, data={"excluded_sectors": "electronics", "excluded_businesses": "Acme"})
    # The visit's page again, the rules as typed and the refusal under the field; nothing saved.
    page = bad.get_data(as_text=True)
    assert bad.status_code == 422 and "Visitor rules" in page
    assert re.search(r'is-invalid"[^>]*>electronics</textarea>', page)
    assert "&#39;electronics&#39; is not a SIC division: give two digits" in page
    assert ">Acme</textarea>" in page and 'id="requires_approval" >' in page  # unticked as sent
    db.session.expire_all()
    settings = db.session.get(VisitSettings, event.id)
    assert (settings.excluded_sectors, settings.excluded_businesses) == ("", "")
    assert settings.requires_approval is True
    client.post(url, data={"requires_approval": "y", "excluded_sectors": "26 electronics"})
    page = client.get("/host/visit-loddon").get_data(as_text=True)
    assert "Flagged: sector 26 on your excluded list" in page
    assert _status(registration.id) == "awaiting_host"
    client.post(url, data={"requires_approval": "y", "excluded_businesses": "cam sensors ltd"})
    page = client.get("/host/visit-loddon").get_data(as_text=True)
    assert "Flagged: business on your excluded list" in page


def test_organisers_act_as_any_host_and_choose_who_hosts(client, login, visit):
    event, host, other, other_host, registration = visit
    login(make_user(role="organiser"))
    page = client.get("/host").get_data(as_text=True)
    assert "Visit Loddon Laser" in page and "Visit Acle Alloys" in page
    member = make_user(email="mia@loddon.example", name="Mia Member",
                       organisation=db.session.get(type(host), host.id).organisation)  # fmt: skip
    db.session.commit()
    assert (
        client.post(f"/host/visit-loddon/hosts/{member.id}", data={"hosting": "y"}).status_code
        == 302
    )
    assert db.session.get(HostMember, member.id).organisation_id == event.host_organisation_id
    # Not a member of this visit's host business: refused.
    assert (
        client.post(f"/host/visit-loddon/hosts/{other_host.id}", data={"hosting": "y"}).status_code
        == 409
    )
    assert (
        client.post(f"/host/visit-loddon/registrations/{registration.id}/approve").status_code
        == 302
    )
    assert _status(registration.id) == "confirmed"
    # Hosts cannot choose hosts.
    login(host)
    assert (
        client.post(f"/host/visit-loddon/hosts/{member.id}", data={"hosting": ""}).status_code
        == 403
    )


def test_demo_host_login_and_the_approval_visit(client):
    seed_demo()
    db.session.commit()
    response = client.post("/auth/login", data={"email": "host@example.com", "password": "host"})
    assert response.status_code == 302
    page = client.get("/host").get_data(as_text=True)
    assert "Fenland Engineering Innovation Centre" in page
    assert "Norfolk Agri" not in page
    assert client.get("/organiser/").status_code == 403
    visit = client.get("/host/site-visit-innovation-centre").get_data(as_text=True)
    assert "Approve Raj Patel" in visit
    assert "Flagged: sector 26 on your excluded list" in visit
    client.post("/auth/logout")
    # The registration form asks for the safety brief and the terms with a required tick box.
    client.post("/auth/login", data={"email": "delegate@example.com", "password": "delegate"})
    form = client.get("/events/site-visit-innovation-centre/register").get_data(as_text=True)
    box = re.search(r'<input[^>]*type="checkbox"[^>]*>', form[form.index("PPE") - 2000 :])
    assert box and "required" in box.group(0)
    assert "I will wear the PPE in the safety brief" in form


def test_the_demo_host_sees_the_previous_visit_and_its_anonymous_feedback(client):
    seed_demo()
    db.session.commit()
    client.post("/auth/login", data={"email": "host@example.com", "password": "host"})
    index = client.get("/host").get_data(as_text=True)
    assert "Site visit: Fenland Engineering Innovation Centre (earlier)" in index
    page = client.get("/host/site-visit-innovation-centre-earlier").get_data(as_text=True)
    assert "Pilot a cobot on the packing line." in page  # five answered: enough to show
    assert "Worth the drive." in page
    assert "<strong>1</strong> visitor's business later recorded outcomes" in page


def _nav_links(page: str) -> list[str]:
    return re.findall(r'<a class="nav-link[^"]*" href="([^"]+)"', page)


def test_hosts_find_their_visits_in_the_menu_and_on_their_account(client, login, visit):
    event, host, *_ = visit
    login(host)
    for path in ("/me", "/events", "/me/tickets"):
        assert "/host" in _nav_links(client.get(path).get_data(as_text=True)), path
    account = client.get("/me").get_data(as_text=True)
    assert "Site visits you host" in account and 'href="/host"' in account
    # A colleague who is not a host, and the host once they leave the business, see neither.
    colleague = make_user(email="cole@loddon.example", organisation=host.organisation)
    db.session.commit()
    login(colleague)
    page = client.get("/me").get_data(as_text=True)
    assert "/host" not in _nav_links(page) and "Site visits you host" not in page
    host.organisation_id = make_organisation("Elsewhere Ltd").id
    db.session.commit()
    login(host)
    page = client.get("/me").get_data(as_text=True)
    assert "/host" not in _nav_links(page) and "Site visits you host" not in page
