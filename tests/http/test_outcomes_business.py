"""A business's own outcomes page: only its members see it, they record claims (with
evidence) and sign declarations; bad input is refused and writes nothing."""

import io
from datetime import date

import pytest
from PIL import Image
from sqlalchemy import func, select

from app.auth.models import Role
from app.extensions import db
from app.outcomes.models import ClaimEvidence, Declaration, OutcomeAudit, OutcomeClaim
from tests.conftest import csrf_token_from
from tests.factories import make_organisation, make_user, organiser
from tests.factories_agenda import image_bytes
from tests.factories_checkin import make_registration
from tests.factories_outcomes import admit, dated_event, make_programme


def _count(model) -> int:
    return db.session.execute(select(func.count()).select_from(model)).scalar_one()


@pytest.fixture
def world(app):
    programme = make_programme()
    a, b = make_organisation("Alpha Castings Ltd"), make_organisation("Bravo Bearings Ltd")
    ann = make_user(organisation=a, name="Ann Zanzibar", is_business_admin=True)
    bob = make_user(organisation=b, name="Bob")
    admit(make_registration(dated_event(date(2026, 7, 14), 9, hours=5), ann))
    db.session.commit()
    return {"programme": programme, "a": a, "b": b, "ann": ann, "bob": bob}


def _form(client, **fields):
    page = client.get("/business/outcomes").get_data(as_text=True)
    base = {"csrf_token": csrf_token_from(page), "kind": "jobs", "title": "Setter", "fte": "2",
            "occurred_on": "2026-06-01", "description": "Two new setters"}  # fmt: skip
    return base | fields


def test_anonymous_signs_in_and_door_staff_and_organisers_have_no_page(client, login, world):
    response = client.get("/business/outcomes")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    login(make_user(Role.DOOR_STAFF, organisation=world["a"]))
    db.session.commit()
    assert client.get("/business/outcomes").status_code == 403
    login(organiser())
    db.session.commit()
    assert client.get("/business/outcomes").status_code == 403


def test_a_member_sees_their_own_business_only(client, login, world):
    login(world["ann"])
    page = client.get("/business/outcomes").get_data(as_text=True)
    assert "Alpha Castings Ltd" in page and "Bravo Bearings Ltd" not in page
    assert 'data-testid="support-hours">5<' in page
    login(world["bob"])
    page = client.get("/business/outcomes").get_data(as_text=True)
    assert "Bravo Bearings Ltd" in page and 'data-testid="support-hours">0<' in page
    assert "Zanzibar" not in page


def test_recording_a_claim_with_an_image_as_evidence(client, login, world):
    login(world["ann"])
    data = _form(client) | {"evidence": (io.BytesIO(image_bytes(fmt="JPEG")), "payroll.jpg")}
    response = client.post("/business/outcomes/claims", data=data,
                           content_type="multipart/form-data")  # fmt: skip
    assert response.status_code == 302
    claim = db.session.execute(select(OutcomeClaim)).scalar_one()
    assert (claim.organisation_id, claim.kind, claim.status, float(claim.quantity)) == (
        world["a"].id, "jobs", "claimed", 2.0,
    )  # fmt: skip
    evidence = db.session.execute(select(ClaimEvidence)).scalar_one()
    assert (evidence.filename, evidence.content_type) == ("payroll.png", "image/png")
    assert Image.open(io.BytesIO(evidence.content)).format == "PNG"  # re-encoded
    assert [a.action for a in db.session.execute(select(OutcomeAudit)).scalars()] == [
        "claim_recorded", "evidence_added",
    ]  # fmt: skip
    url = f"/business/outcomes/evidence/{evidence.public_id}"
    assert client.get(url).status_code == 200
    login(world["bob"])
    assert client.get(url).status_code == 404
    login(organiser())
    db.session.commit()
    assert client.get(url).status_code == 200


@pytest.mark.parametrize(
    ("fields", "upload"),
    [
        ({"occurred_on": ""}, None),
        ({"occurred_on": "2024-01-01"}, None),
        ({"fte": "0"}, None),
        ({"kind": "promotion"}, None),
        ({"description": ""}, None),
        ({"kind": "product", "novelty": ""}, None),
        ({}, (b"%PDF-1.7 truncated", "broken.pdf")),
        ({}, (b"just some text", "notes.txt")),
    ],
)
def test_bad_claims_are_400_and_write_nothing(client, login, world, fields, upload):
    login(world["ann"])
    data = _form(client, **fields)
    if upload:
        data["evidence"] = (io.BytesIO(upload[0]), upload[1])
    response = client.post("/business/outcomes/claims", data=data,
                           content_type="multipart/form-data")  # fmt: skip
    assert response.status_code == 400
    assert _count(OutcomeClaim) == _count(ClaimEvidence) == _count(OutcomeAudit) == 0


def test_signing_declarations_makes_new_versions(client, login, world):
    login(world["ann"])
    page = client.get("/business/outcomes").get_data(as_text=True)
    form = {"csrf_token": csrf_token_from(page), "headcount_band": "10-49",
            "turnover_band": "under-2m", "subsidies_gbp": "5000", "consent_to_name": "y",
            "signed_name": "Ann Alpha", "signed_on": "2026-03-01"}  # fmt: skip
    assert client.post("/business/outcomes/declaration", data=form).status_code == 302
    assert client.post("/business/outcomes/declaration",
                       data=form | {"subsidies_gbp": "7000"}).status_code == 302  # fmt: skip
    versions = db.session.execute(
        select(Declaration.version, Declaration.subsidies_gbp).order_by(Declaration.version)
    ).all()
    assert versions == [(1, 5000), (2, 7000)]
    for bad in ({"headcount_band": "lots"}, {"signed_name": ""}, {"subsidies_gbp": "-1"},
                {"signed_on": "yesterday"}):  # fmt: skip
        assert client.post("/business/outcomes/declaration", data=form | bad).status_code == 400
    assert _count(Declaration) == 2


def test_without_a_programme_the_page_says_so(client, login, app):
    member = make_user(organisation=make_organisation())
    db.session.commit()
    login(member)
    response = client.get("/business/outcomes")
    assert response.status_code == 200
    assert "has not set up the funded programme" in response.get_data(as_text=True)


def test_an_unconfirmed_address_cannot_claim_or_declare(client, login, world):
    newcomer = make_user(organisation=world["a"], email_verified_at=None)
    db.session.commit()
    login(newcomer)
    data = _form(client)
    assert client.post("/business/outcomes/claims", data=data).status_code == 403
    assert client.post("/business/outcomes/declaration", data=data).status_code == 403
    assert _count(OutcomeClaim) == _count(Declaration) == 0


def _pdf() -> bytes:
    return b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_adding_evidence_to_a_claim_awaiting_review(client, login, world):
    login(world["ann"])
    assert client.post("/business/outcomes/claims", data=_form(client)).status_code == 302
    claim = db.session.execute(select(OutcomeClaim)).scalar_one()
    url = f"/business/outcomes/claims/{claim.id}/evidence"
    token = _form(client)["csrf_token"]
    ok = client.post(url, data={"csrf_token": token, "evidence": (io.BytesIO(_pdf()), "p.pdf")},
                     content_type="multipart/form-data")  # fmt: skip
    assert ok.status_code == 302
    evidence = db.session.execute(select(ClaimEvidence)).scalar_one()
    assert (evidence.content_type, evidence.content) == ("application/pdf", _pdf())
    assert client.post(url, data={"csrf_token": token}).status_code == 400
    login(world["bob"])  # another business: as if the claim did not exist
    token = _form(client)["csrf_token"]
    other = client.post(url, data={"csrf_token": token, "evidence": (io.BytesIO(_pdf()), "x.pdf")},
                        content_type="multipart/form-data")  # fmt: skip
    assert other.status_code == 404
    assert _count(ClaimEvidence) == 1


def test_the_business_page_loads_in_the_same_queries_however_many_claims(
    client, login, world, count_queries
):
    from app.outcomes import services
    from app.outcomes.evidence import attach_evidence
    from tests.factories_outcomes import claim_data

    def add_claims(n: int) -> None:
        for _ in range(n):
            claim = services.record_claim(world["ann"], world["programme"], world["a"],
                                          claim_data("product"))  # fmt: skip
            attach_evidence(world["ann"], claim, "brochure.png", image_bytes(size=(20, 20)))
            admit(make_registration(dated_event(date(2026, 8, 4), 9, hours=1),
                                    make_user(organisation=world["a"])))  # fmt: skip
        db.session.commit()

    login(world["ann"])
    add_claims(1)
    client.get("/business/outcomes")
    with count_queries() as few:
        assert client.get("/business/outcomes").status_code == 200
    add_claims(6)
    with count_queries() as many:
        page = client.get("/business/outcomes").get_data(as_text=True)
    assert page.count(">brochure.png</a>") == 7
    assert len(many) == len(few)


def test_only_a_business_admin_signs_the_declaration(client, login, world):
    member = make_user(organisation=world["a"], name="Cal Member")  # approved, not an admin
    db.session.commit()
    login(member)
    page = client.get("/business/outcomes").get_data(as_text=True)
    assert "Ann Zanzibar) signs the declaration" in page
    assert 'action="/business/outcomes/declaration"' not in page
    form = {"csrf_token": csrf_token_from(page), "headcount_band": "10-49",
            "turnover_band": "under-2m", "subsidies_gbp": "0", "signed_name": "Cal Member",
            "signed_on": "2026-03-01"}  # fmt: skip
    assert client.post("/business/outcomes/declaration", data=form).status_code == 403
    assert _count(Declaration) == 0
    # Members who are not admins still record outcomes.
    assert client.post("/business/outcomes/claims", data=_form(client)).status_code == 302
