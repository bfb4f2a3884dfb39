"""Business membership is granted, never claimed."""

import pytest
from sqlalchemy import func, select

from app.auth.freemail import FREE_MAIL_DOMAINS, is_free_mail
from app.auth.models import MembershipRequest, Organisation, User
from app.benchmark.models import BenchmarkResponse
from app.extensions import db
from app.registration.models import Registration
from tests.factories import make_event, make_organisation, make_user
from tests.factories_benchmark import make_submission

BUSINESS = {"name": "Loddon Laser Ltd", "sector": "25", "size_band": "small"}


def _count(model) -> int:
    return db.session.execute(select(func.count()).select_from(model)).scalar_one()


def _fresh(model, ident):
    db.session.expire_all()
    return db.session.get(model, ident)


@pytest.fixture
def business():
    """A business with an admin, a plain member and a current benchmark."""
    org = make_organisation("Loddon Laser Ltd", companies_house_number="04512345")
    admin = make_user(email="ada@loddon.example", name="Ada Admin", organisation=org,
                      is_business_admin=True)  # fmt: skip
    member = make_user(email="mo@loddon.example", name="Mo Member", organisation=org)
    benchmark = make_submission(org, user=admin)
    db.session.commit()
    return org, admin, member, benchmark


def test_an_outsider_who_names_a_business_sees_nothing_until_an_admin_approves(
    app, client, login, business, outbox
):
    org, admin, member, benchmark = business
    event = make_event()
    outsider = login(make_user(email="sid@elsewhere.example", name="Sid Outsider"))
    db.session.commit()

    # Naming it, in any case, is a request; the business's admin is told.
    response = client.post("/benchmark/organisation", data={**BUSINESS, "name": "LODDON laser ltd"})
    assert response.status_code == 302
    assert _fresh(User, outsider.id).organisation_id is None
    [request] = db.session.execute(select(MembershipRequest)).scalars().all()
    assert request.status == "pending" and request.organisation_id == org.id
    [told] = outbox
    assert told["To"] == "ada@loddon.example"
    assert "Sid Outsider (sid@elsewhere.example) asks to join Loddon Laser Ltd" in (
        told.get_body(("plain",)).get_content()
    )
    outbox.clear()

    # While waiting: no results, no submitting for it, no passing the gate on its benchmark.
    assert client.get(f"/benchmark/results/{benchmark.public_id}").status_code == 404
    assert "See the results" not in client.get("/benchmark").text
    assert client.get("/benchmark/organisation").location == "/benchmark"
    assert client.post("/benchmark/start").location.endswith("/benchmark/organisation")
    assert _count(BenchmarkResponse) == 1
    registered = client.post(
        f"/events/{event.slug}/register", data={"ticket_type": event.ticket_types[0].id}
    )
    assert registered.status_code in (302, 303)
    registration = db.session.execute(select(Registration)).scalar_one()
    assert registration.status == "pending_benchmark" and registration.ticket_secret is None

    # ...and a member cannot book a place in the outsider's name.
    login(member)
    refused = client.post(
        f"/events/{event.slug}/register/colleague",
        data={"email": outsider.email, "ticket_type": event.ticket_types[0].id},
    )
    assert refused.status_code == 422 and "Sid Outsider" not in refused.text
    # A plain member does not manage members.
    assert client.get("/business/members").status_code == 403
    assert client.post(f"/business/requests/{request.id}/approve").status_code == 404

    # The admin approves: a member now, the waiting place confirmed on the benchmark.
    login(admin)
    page = client.get("/business/members")
    assert page.status_code == 200 and "Approve Sid Outsider" in page.text
    assert client.post(f"/business/requests/{request.id}/approve").status_code == 303
    assert _fresh(User, outsider.id).organisation_id == org.id
    assert _fresh(Registration, registration.id).status == "confirmed"
    assert "You are now a member of Loddon Laser Ltd" in [m["Subject"] for m in outbox]
    login(_fresh(User, outsider.id))
    assert client.get(f"/benchmark/results/{benchmark.public_id}").status_code == 200


def test_a_companies_house_number_never_moves_anyone_silently(client, login, business):
    org, *_ = business
    user = login(make_user())
    db.session.commit()
    data = {**BUSINESS, "name": "Anything Else Ltd", "companies_house_number": "04 512 345"}
    assert client.post("/benchmark/organisation", data=data).status_code == 302
    request = db.session.execute(select(MembershipRequest)).scalar_one()
    assert request.organisation_id == org.id and request.given_name == "Anything Else Ltd"
    assert _fresh(User, user.id).organisation_id is None
    assert _count(Organisation) == 1


def test_a_number_claimed_by_two_businesses_goes_to_organisers_not_the_holder(
    client, login, business, outbox
):
    """A stranger who claimed a real company's number first cannot approve, nor even see, the
    real employee who later names their own business with that number."""
    org, admin, member, benchmark = business
    make_user("organiser", email="olive@programme.example", name="Olive Organiser")
    employee = login(make_user(email="eve@realco.example", name="Eve Employee"))
    db.session.commit()
    outbox.clear()
    data = {**BUSINESS, "name": "Real Components Ltd", "companies_house_number": "04512345"}
    answer = client.post("/benchmark/organisation", data=data, follow_redirects=True)
    assert "the programme&#39;s organisers will check it" in answer.text
    assert "once one of its admins" not in answer.text
    request = db.session.execute(select(MembershipRequest)).scalar_one()
    assert request.status == "pending" and _fresh(User, employee.id).organisation_id is None
    # The organisers are told; the holder's admins are not.
    [told] = outbox
    assert told["To"] == "olive@programme.example"
    assert told["Subject"] == "Companies House number 04512345 is claimed twice"
    body = told.get_body(("plain",)).get_content()
    assert "Eve Employee (eve@realco.example)" in body and "Real Components Ltd" in body

    # The holder's admin neither sees nor decides it.
    login(admin)
    page = client.get("/business/members")
    assert page.status_code == 200 and "Eve Employee" not in page.text
    for action in ("approve", "decline"):
        assert client.post(f"/business/requests/{request.id}/{action}").status_code == 404
    assert _fresh(MembershipRequest, request.id).status == "pending"
    assert _fresh(User, employee.id).organisation_id is None

    # An organiser sees why, and decides.
    login(db.session.execute(select(User).filter_by(email="olive@programme.example")).scalar_one())
    page = client.get("/organiser/businesses")
    assert "Number disputed: named the business “Real Components Ltd”" in page.text
    assert client.post(f"/business/requests/{request.id}/decline").status_code in (302, 303)
    assert _fresh(MembershipRequest, request.id).status == "declined"


@pytest.mark.parametrize(
    ("given_name", "disputed"),
    [
        ("LODDON LASER LIMITED", False),
        ("The Loddon Laser Co.", False),
        ("Loddon Laser & Co Ltd", False),
        ("Loddon Lasers Ltd", True),
        ("Acme Ltd", True),
    ],
)
def test_honest_spellings_of_the_holders_name_are_no_dispute(
    client, login, business, outbox, given_name, disputed
):
    org, admin, *_ = business
    login(make_user())
    db.session.commit()
    outbox.clear()
    data = {**BUSINESS, "name": given_name, "companies_house_number": "04512345"}
    assert client.post("/benchmark/organisation", data=data).status_code == 302
    request = db.session.execute(select(MembershipRequest)).scalar_one()
    assert request.organisation_id == org.id
    # An honest spelling goes to the business's admin as usual.
    assert [m["To"] for m in outbox] == ([] if disputed else ["ada@loddon.example"])


def test_a_verified_domain_does_not_settle_a_disputed_number(client, login, business, outbox):
    org, *_ = business
    org.verified_domain = "loddon.example"
    user = login(make_user(email="new@loddon.example"))
    db.session.commit()
    data = {**BUSINESS, "name": "Someone Else Ltd", "companies_house_number": "04512345"}
    assert client.post("/benchmark/organisation", data=data).status_code == 302
    assert _fresh(User, user.id).organisation_id is None
    assert db.session.execute(select(MembershipRequest)).scalar_one().status == "pending"


@pytest.mark.parametrize("number", ["1234567", "ABC12345", "AB1234567", "12-345678", "SC12345X"])
def test_a_companies_house_number_must_be_eight_characters(client, login, number):
    user = login(make_user())
    db.session.commit()
    data = {**BUSINESS, "companies_house_number": number}
    response = client.post("/benchmark/organisation", data=data)
    assert response.status_code in (400, 422)
    assert "Companies House number is 8 characters" in response.text or "between" in response.text
    assert _count(Organisation) == 0 and _count(MembershipRequest) == 0
    assert _fresh(User, user.id).organisation_id is None


def test_a_new_business_is_created_with_its_first_member_as_admin(client, login):
    user = login(make_user())
    db.session.commit()
    data = {**BUSINESS, "companies_house_number": "sc123456"}
    assert client.post("/benchmark/organisation", data=data).status_code == 302
    user = _fresh(User, user.id)
    assert user.organisation.name == "Loddon Laser Ltd"
    assert user.organisation.companies_house_number == "SC123456"
    assert user.is_business_admin and _count(MembershipRequest) == 0


def test_a_verified_domain_joins_at_once_but_never_a_free_mail_one(client, login, business):
    org, admin, *_ = business
    login(admin)
    response = client.post("/business/domain", data={"domain": "gmail.com"})
    assert response.status_code == 303
    assert _fresh(Organisation, org.id).verified_domain is None
    response = client.post("/business/domain", data={"domain": "other.example"})
    assert _fresh(Organisation, org.id).verified_domain is None  # not their own address's
    client.post("/business/domain", data={"domain": "Loddon.Example"})
    assert _fresh(Organisation, org.id).verified_domain == "loddon.example"

    colleague = login(make_user(email="new@loddon.example"))
    db.session.commit()
    client.post("/benchmark/organisation", data=BUSINESS)
    assert _fresh(User, colleague.id).organisation_id == org.id
    assert db.session.execute(select(MembershipRequest.status)).scalar_one() == "approved"

    lookalike = login(make_user(email="new@loddon.example.evil.example"))
    db.session.commit()
    client.post("/benchmark/organisation", data=BUSINESS)
    assert _fresh(User, lookalike.id).organisation_id is None


def test_the_free_mail_list_is_in_one_place():
    for domain in ("gmail.com", "googlemail.com", "outlook.com", "hotmail.co.uk", "live.com",
                   "yahoo.co.uk", "icloud.com", "me.com", "aol.com", "btinternet.com", "sky.com",
                   "virginmedia.com", "proton.me", "protonmail.com"):  # fmt: skip
        assert is_free_mail(domain), domain
    assert is_free_mail("mail.GMAIL.com.") and not is_free_mail("loddon.example")
    assert len(FREE_MAIL_DOMAINS) > 20


def test_admins_share_the_role_remove_members_and_keep_one_admin(client, login, business, outbox):
    org, admin, member, _ = business
    login(admin)
    response = client.post(f"/business/members/{admin.id}/admin", data={"admin": "0"})
    assert response.status_code == 303
    assert _fresh(User, admin.id).is_business_admin  # the only admin stays one
    assert "a business needs one" in client.get("/business/members").text
    client.post(f"/business/members/{member.id}/admin", data={"admin": "1"})
    assert _fresh(User, member.id).is_business_admin
    client.post(f"/business/members/{admin.id}/admin", data={"admin": "0"})  # passed on
    assert not _fresh(User, admin.id).is_business_admin
    assert client.get("/business/members").status_code == 403

    login(_fresh(User, member.id))
    stranger = make_user(organisation=make_organisation())
    db.session.commit()
    assert client.post(f"/business/members/{stranger.id}/remove").status_code == 404
    assert client.post(f"/business/members/{admin.id}/remove").status_code == 303
    assert _fresh(User, admin.id).organisation_id is None


def test_declining_and_withdrawing(client, login, business, outbox):
    org, admin, *_ = business
    first = login(make_user(email="one@x.example"))
    db.session.commit()
    client.post("/benchmark/organisation", data=BUSINESS)
    request = db.session.execute(select(MembershipRequest)).scalar_one()
    # A second request while the first waits is refused; withdrawing frees them.
    again = client.post("/benchmark/organisation", data={**BUSINESS, "name": "Other Ltd"})
    assert again.status_code == 302 and _count(MembershipRequest) == 1
    assert client.post(f"/business/requests/{request.id}/withdraw").status_code == 303
    assert _fresh(MembershipRequest, request.id).status == "withdrawn"

    client.post("/benchmark/organisation", data=BUSINESS)
    second = db.session.execute(
        select(MembershipRequest).where(MembershipRequest.status == "pending")
    ).scalar_one()
    outbox.clear()
    login(admin)
    assert client.post(f"/business/requests/{second.id}/decline").status_code == 303
    assert _fresh(MembershipRequest, second.id).status == "declined"
    assert _fresh(User, first.id).organisation_id is None
    assert [m["Subject"] for m in outbox] == ["Your request to join Loddon Laser Ltd"]
    # Deciding twice changes nothing.
    client.post(f"/business/requests/{second.id}/approve")
    assert _fresh(User, first.id).organisation_id is None


def test_organisers_approve_correct_numbers_and_merge_businesses(client, login, business):
    org, admin, member, benchmark = business
    twin = make_organisation("Loddon Laser", companies_house_number="SC654321")
    twin_member = make_user(organisation=twin, is_business_admin=True)
    waiting = make_user()
    db.session.add(MembershipRequest(organisation_id=org.id, user_id=waiting.id,
                                     given_number="SC654321"))  # fmt: skip
    organiser = make_user("organiser")
    db.session.commit()
    login(organiser)
    page = client.get("/organiser/businesses")
    assert page.status_code == 200
    assert "Number disputed: gave number SC654321, which Loddon Laser holds" in page.text
    request = db.session.execute(select(MembershipRequest)).scalar_one()
    response = client.post(f"/business/requests/{request.id}/approve", data={"back": "organiser"})
    assert response.location == f"/organiser/businesses/{org.id}"
    assert _fresh(User, waiting.id).organisation_id == org.id

    # A number held by another business is refused; merging folds the record in.
    taken = client.post(f"/organiser/businesses/{org.id}/number", data={"number": "SC654321"})
    assert taken.status_code == 303
    assert _fresh(Organisation, org.id).companies_house_number == "04512345"
    merged = client.post(f"/organiser/businesses/{twin.id}/merge", data={"into": org.id})
    assert merged.location == f"/organiser/businesses/{org.id}"
    assert _fresh(Organisation, twin.id) is None
    assert _fresh(User, twin_member.id).organisation_id == org.id
    assert _count(Organisation) == 1
    # The organiser ticks it as seen by the programme.
    client.post(f"/organiser/businesses/{org.id}/seen", data={"seen": "1"})
    assert _fresh(Organisation, org.id).verified_at is not None


def test_only_admins_add_someone_new_as_a_colleague(client, login, business):
    org, admin, member, _ = business
    event = make_event()
    db.session.commit()
    login(member)
    data = {"email": "newbie@loddon.example", "name": "Nat Newbie",
            "ticket_type": event.ticket_types[0].id}  # fmt: skip
    refused = client.post(f"/events/{event.slug}/register/colleague", data=data)
    assert refused.status_code == 422 and "Only an admin of Loddon Laser Ltd" in refused.text
    assert _count(Registration) == 0
    login(admin)
    assert client.post(f"/events/{event.slug}/register/colleague", data=data).status_code == 303
    newbie = db.session.execute(select(User).where(User.email == "newbie@loddon.example"))
    assert newbie.scalar_one().organisation_id == org.id


def test_the_organisers_request_lists_take_the_same_queries_for_any_number_of_disputes(
    client, login, business, count_queries
):
    org, admin, *_ = business

    def dispute(n: int) -> None:
        """A request to Loddon Laser giving the number of another business of its own."""
        make_organisation(f"Other {n}", companies_house_number=f"SC{n:06}")
        db.session.add(
            MembershipRequest(organisation_id=org.id, user_id=make_user().id,
                              given_name="Loddon Laser", given_number=f"SC{n:06}")
        )  # fmt: skip

    organiser = make_user("organiser")
    dispute(1)
    db.session.commit()
    login(organiser)
    pages = ("/organiser/businesses", f"/organiser/businesses/{org.id}")
    with count_queries() as one:
        for url in pages:
            assert "which Other 1 holds" in client.get(url).text
    for n in range(2, 7):
        dispute(n)
    db.session.commit()
    with count_queries() as six:
        for url in pages:
            assert client.get(url).text.count("Number disputed: gave number SC") == 6
    assert len(six) == len(one)
    # The business's own admin is shown none of them, in as many queries.
    login(admin)
    with count_queries() as hidden:
        page = client.get("/business/members").text
    assert "Nobody is waiting." in page and "/business/requests/" not in page
    dispute(7)
    db.session.commit()
    with count_queries() as more:
        client.get("/business/members")
    assert len(more) == len(hidden)
