"""Organiser outcomes pages and the funder return: who may see them, the figures, CSV and
XLSX read back with real readers, bad input refused, and fixed query counts."""

import csv
import io
import time
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from app.auth.models import Role
from app.extensions import db
from app.outcomes import services
from app.outcomes.exports import RETURN_COLUMNS
from app.outcomes.models import Network, OutcomeClaim, Programme
from tests.conftest import csrf_token_from
from tests.factories import make_organisation, make_user, organiser
from tests.factories_checkin import make_registration
from tests.factories_outcomes import admit, claim_data, dated_event, declare, make_programme

DAY = date(2026, 7, 14)
CONTRACT = [
    "organisation",
    "companies_house_number",
    "support_hours",
    "assisted",
    "assisted_on",
    "declaration_signed",
    "jobs_fte_claimed",
    "jobs_fte_verified",
    "new_products_claimed",
    "new_products_verified",
    "collaborations_claimed",
    "collaborations_verified",
    "start_up",
]


def _csv(response) -> list[dict]:
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text[1:])))


def _xlsx(response) -> list[list]:
    sheet = load_workbook(io.BytesIO(response.data), read_only=True).active
    return [["" if v is None else v for v in row] for row in sheet.iter_rows(values_only=True)]


@pytest.fixture
def world(app):
    """Three businesses: A 12 hours and declared (assisted), B 11.75 hours and declared, C 13
    hours without a declaration; claims in each state."""
    boss = organiser()
    programme = make_programme(boss)
    a = make_organisation("Alpha Castings Ltd", companies_house_number="01234567")
    b = make_organisation('=HYPERLINK("http://x")')  # a name a spreadsheet would run
    c = make_organisation("Charlie Tools Ltd")
    staff = make_user(Role.DOOR_STAFF, name="Dora Door")
    for org, hours in ((a, 12), (b, 11.75), (c, 13)):
        event = dated_event(DAY, 9, hours=hours)
        admit(make_registration(event, make_user(organisation=org)), staff=staff)
    declare(programme, a, signed_on=date(2026, 2, 1))
    declare(programme, b, signed_on=date(2026, 2, 1))
    member_a = make_user(organisation=a, name="Ann Alpha")
    verified = services.record_claim(
        member_a, programme, a, claim_data("jobs", quantity=Decimal("2.5"))
    )
    services.review_claim(boss, verified, "verified", "payroll seen")
    services.record_claim(member_a, programme, a, claim_data("jobs", quantity=Decimal(1)))
    services.record_claim(member_a, programme, a, claim_data("product"))
    start_up = services.record_claim(member_a, programme, a, claim_data("start_up"))
    services.review_claim(boss, start_up, "verified", "Companies House")
    db.session.commit()
    return {"boss": boss, "programme": programme, "a": a, "b": b, "c": c, "member_a": member_a,
            "staff": staff}  # fmt: skip


def test_dashboard_is_for_organisers_only(client, login, world):
    assert client.get("/organiser/outcomes").status_code == 302
    assert "/login" in client.get("/organiser/outcomes").headers["Location"]
    for user in (world["member_a"], world["staff"]):
        login(user)
        for path in ("/organiser/outcomes", "/organiser/outcomes.csv", "/organiser/outcomes.xlsx"):
            assert client.get(path).status_code == 403, path


def test_dashboard_shows_each_target_and_progress(client, login, world):
    login(world["boss"])
    html = client.get("/organiser/outcomes").get_data(as_text=True)
    for key, target in (("jobs_fte", 380), ("start_ups", 20), ("collaborations", 24),
                        ("new_products", 96)):  # fmt: skip
        assert f'data-testid="target-{key}">{target}<' in html
    assert 'data-testid="verified-jobs_fte">2.5<' in html
    assert 'data-testid="pending-jobs_fte">1<' in html
    assert 'data-testid="verified-assisted_enterprises">1<' in html
    assert 'data-testid="pending-assisted_enterprises">1<' in html  # C: no declaration
    assert 'data-testid="verified-start_ups">1<' in html
    assert html.count("No declaration</span>") == 2  # the legend and C
    idle = make_organisation("Idle Industries Ltd")  # nothing yet: not listed on the page
    db.session.commit()
    html = client.get("/organiser/outcomes").get_data(as_text=True)
    assert f'data-org="{world["c"].id}"' in html and f'data-org="{idle.id}"' not in html


def test_csv_and_xlsx_list_every_business_with_the_same_cells(client, login, world):
    login(world["boss"])
    response = client.get("/organiser/outcomes.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = _csv(response)
    assert list(rows[0])[: len(CONTRACT)] == CONTRACT
    by_name = {r["organisation"]: r for r in rows}
    a = by_name["Alpha Castings Ltd"]
    assert (a["companies_house_number"], a["support_hours"], a["assisted"], a["assisted_on"]) == (
        "01234567", "12", "yes", "2026-07-14",
    )  # fmt: skip
    assert (a["declaration_signed"], a["jobs_fte_claimed"], a["jobs_fte_verified"]) == (
        "yes", "1", "2.5",
    )  # fmt: skip
    assert (a["new_products_claimed"], a["new_products_verified"], a["start_up"]) == (
        "1",
        "0",
        "yes",
    )
    b = by_name['\'=HYPERLINK("http://x")']  # guarded against formula injection
    assert (b["support_hours"], b["assisted"], b["declaration_signed"]) == ("11.75", "no", "yes")
    c = by_name["Charlie Tools Ltd"]
    assert (c["support_hours"], c["assisted"], c["assisted_on"], c["declaration_signed"]) == (
        "13", "no", "", "no",
    )  # fmt: skip
    xlsx = client.get("/organiser/outcomes.xlsx")
    assert xlsx.mimetype.endswith("spreadsheetml.sheet")
    sheet = _xlsx(xlsx)
    assert sheet[0] == RETURN_COLUMNS
    as_csv = [list(r.values()) for r in rows]
    assert [[str(v) for v in row] for row in sheet[1:]] == as_csv


def test_assisted_is_yes_exactly_at_threshold_and_declared(client, login, world):
    login(world["boss"])
    for row in _csv(client.get("/organiser/outcomes.csv")):
        expected = float(row["support_hours"]) >= 12 and row["declaration_signed"] == "yes"
        assert (row["assisted"] == "yes") == expected


def test_period_and_network_filter_the_return(client, login, world):
    login(world["boss"])
    rows = _csv(client.get("/organiser/outcomes.csv?from=2026-08-01"))
    assert {r["support_hours"] for r in rows} == {"0"}
    network = services.create_network(world["boss"], "North")
    db.session.commit()
    rows = _csv(client.get(f"/organiser/outcomes.csv?network={network.id}"))
    assert {r["support_hours"] for r in rows} == {"0"}
    rows = _csv(client.get("/organiser/outcomes.csv?from=2026-07-14&to=2026-07-14"))
    assert sorted(r["support_hours"] for r in rows) == ["11.75", "12", "13"]


@pytest.mark.parametrize(
    "query",
    ["from=14/07/2026", "to=2026-13-01", "network=999", "network=abc",
     "from=2026-08-01&to=2026-07-01"],
)  # fmt: skip
def test_bad_filters_are_400(client, login, world, query):
    login(world["boss"])
    for path in ("/organiser/outcomes", "/organiser/outcomes.csv", "/organiser/outcomes.xlsx"):
        assert client.get(f"{path}?{query}").status_code == 400


def test_business_page_traces_every_hour_to_its_checkin(client, login, world):
    login(world["boss"])
    page = client.get(f"/organiser/outcomes/businesses/{world['a'].id}").get_data(as_text=True)
    assert 'data-testid="support-hours">12<' in page
    assert "Dora Door" in page and "Event entrance" in page
    evidence = client.get(f"/organiser/outcomes/businesses/{world['a'].id}/evidence.csv")
    rows = _csv(evidence)
    checkins = [r for r in rows if r["record"] == "check-in"]
    assert [(r["scanned_by"], r["hours_counted"], r["checked_in_at"]) for r in checkins] == [
        ("Dora Door", "12", "2026-07-14 09:00")
    ]
    assert [r["record"] for r in rows] == [
        "check-in", "declaration v1", "claim: start_up", "claim: jobs",
    ]  # fmt: skip


def test_organiser_verifies_a_claim_and_the_return_moves(client, login, world):
    login(world["boss"])
    pending = db.session.execute(
        select(OutcomeClaim).where(OutcomeClaim.kind == "product")
    ).scalar_one()
    page = client.get("/organiser/outcomes").get_data(as_text=True)
    response = client.post(
        f"/organiser/outcomes/claims/{pending.id}/review",
        data={"decision": "verified", "note": "brochure", "csrf_token": csrf_token_from(page)},
    )
    assert response.status_code == 302
    rows = _csv(client.get("/organiser/outcomes.csv"))
    row = next(r for r in rows if r["organisation"] == "Alpha Castings Ltd")
    assert (row["new_products_claimed"], row["new_products_verified"]) == ("0", "1")
    again = client.post(
        f"/organiser/outcomes/claims/{pending.id}/review",
        data={"decision": "rejected", "note": "no", "csrf_token": csrf_token_from(page)},
    )
    assert again.status_code == 400


def test_a_delegate_cannot_review(client, login, world):
    login(world["member_a"])
    claim = db.session.execute(
        select(OutcomeClaim).where(OutcomeClaim.kind == "product")
    ).scalar_one()
    page = client.get("/business/outcomes").get_data(as_text=True)
    response = client.post(
        f"/organiser/outcomes/claims/{claim.id}/review",
        data={"decision": "verified", "note": "", "csrf_token": csrf_token_from(page)},
    )
    assert response.status_code == 403
    db.session.expire_all()
    assert db.session.get(OutcomeClaim, claim.id).status == "claimed"


def test_setting_up_a_programme_and_refusing_a_bad_one(client, login, app):
    boss = organiser()
    db.session.commit()
    login(boss)
    page = client.get("/organiser/outcomes").get_data(as_text=True)
    assert "Set up the programme" in page
    form = {
        "csrf_token": csrf_token_from(page), "name": "Alliance", "funder": "ERDF",
        "starts_on": "2026-01-01", "ends_on": "2025-12-31", "threshold_hours": "12",
        "mfa_limit_gbp": "315000", "target_jobs_fte": "380",
    }  # fmt: skip
    assert client.post("/organiser/outcomes/setup", data=form).status_code == 400
    assert client.post("/organiser/outcomes/setup", data=form | {"ends_on": "2030-12-31",
                       "target_start_ups": "-1"}).status_code == 400  # fmt: skip
    assert db.session.execute(select(func.count()).select_from(Programme)).scalar_one() == 0
    assert (
        client.post("/organiser/outcomes/setup", data=form | {"ends_on": "2030-12-31"}).status_code
        == 302
    )
    programme = services.current_programme()
    assert (programme.name, programme.threshold_hours) == ("Alliance", 12)
    assert {i.key: i.target for i in programme.indicators}["jobs_fte"] == 380
    html = client.get("/organiser/outcomes").get_data(as_text=True)
    assert 'data-testid="target-jobs_fte">380<' in html
    setup = client.get("/organiser/outcomes/setup").get_data(as_text=True)
    assert 'name="target_jobs_fte" step="any" type="number" value="380.0"' in setup
    changed = form | {"ends_on": "2030-12-31", "target_jobs_fte": "400", "threshold_hours": "10"}
    assert client.post("/organiser/outcomes/setup", data=changed).status_code == 302
    db.session.expire_all()
    programme = services.current_programme()
    assert programme.threshold_hours == 10
    assert {i.key: i.target for i in programme.indicators}["jobs_fte"] == 400
    assert db.session.execute(select(func.count()).select_from(Programme)).scalar_one() == 1


def test_networks_and_custom_indicators_from_the_setup_page(client, login, world):
    login(world["boss"])
    page = client.get("/organiser/outcomes/setup").get_data(as_text=True)
    token = csrf_token_from(page)
    indicators_before = len(services.current_programme().indicators)
    assert (
        client.post(
            "/organiser/outcomes/networks", data={"csrf_token": token, "name": "North"}
        ).status_code
        == 302
    )
    # A refusal comes back on the set-up page, in its own form, with what was typed.
    refused = client.post(
        "/organiser/outcomes/networks", data={"csrf_token": token, "name": "north"}
    )
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    assert "There is already a network with that name." in page and 'value="north"' in page
    empty = {"csrf_token": token, "name": ""}
    assert client.post("/organiser/outcomes/networks", data=empty).status_code == 422
    indicator = {"csrf_token": token, "title": "Apprentices", "target": "5"}
    assert client.post("/organiser/outcomes/indicators", data=indicator).status_code == 302
    for bad, message in [({"title": ""}, "This field is required."),
                         ({"title": "apprentices"}, "already has an indicator with that name"),
                         ({"target": "-3"}, "Number must be between 0 and")]:  # fmt: skip
        refused = client.post("/organiser/outcomes/indicators", data=indicator | bad)
        assert refused.status_code == 422, bad
        assert message in refused.get_data(as_text=True), bad
    db.session.expire_all()
    assert len(services.current_programme().indicators) == indicators_before + 1
    assert db.session.execute(select(func.count()).select_from(Network)).scalar_one() == 1
    network = db.session.execute(select(Network)).scalar_one()
    event = dated_event(DAY, 9, hours=2)
    db.session.commit()
    url = f"/organiser/outcomes/events/{event.id}/network"
    assert client.post(url, data={"csrf_token": token, "network_id": "999"}).status_code == 400
    assert (
        client.post(url, data={"csrf_token": token, "network_id": str(network.id)}).status_code
        == 302
    )
    assert services.event_networks()[event.id] == network.id
    csv_rows = _csv(client.get("/organiser/outcomes.csv"))
    assert list(csv_rows[0])[-2:] == ["Apprentices (claimed)", "Apprentices (verified)"]


def _bulk(model, rows: list[dict]) -> list[int]:
    """Insert many rows at once; their ids in order (sequences advance on PostgreSQL too)."""
    from sqlalchemy import insert

    statement = insert(model).returning(model.id, sort_by_parameter_order=True)
    return list(db.session.scalars(statement, rows))


def _grow(programme, businesses: int, checkins_each: int):
    """Many businesses, each with a person checked in at several events (bulk inserts)."""
    from app.auth.models import Organisation, User
    from app.checkin.models import CheckIn
    from app.registration.models import Registration

    events = [dated_event(date(2026, 3, 2 + i), 9, hours=2) for i in range(checkins_each)]
    org_ids = _bulk(Organisation, [{"name": f"Bulk {n:04d} Ltd"} for n in range(businesses)])
    user_ids = _bulk(User, [
        {"email": f"bulk{n}@example.com", "name": f"Bulk {n}", "password_hash": "x",
         "role": "delegate", "organisation_id": org_id}
        for n, org_id in enumerate(org_ids)
    ])  # fmt: skip
    for event in events:
        reg_ids = _bulk(Registration, [
            {"event_id": event.id, "user_id": user_id, "ticket_type_id": event.ticket_types[0].id,
             "status": "confirmed", "active_user_id": user_id}
            for user_id in user_ids
        ])  # fmt: skip
        _bulk(CheckIn, [
            {"event_id": event.id, "registration_id": reg_id, "point_key": "door",
             "checked_in_at": event.starts_at}
            for reg_id in reg_ids
        ])  # fmt: skip
    boss = organiser()
    for org_id in org_ids[::7]:
        declare(programme, db.session.get(Organisation, org_id), actor=boss)
    db.session.commit()


def test_query_counts_stay_fixed_as_businesses_grow(client, login, world, count_queries):
    login(world["boss"])
    assert client.get("/organiser/outcomes").status_code == 200  # warm caches
    with count_queries() as small:
        assert client.get("/organiser/outcomes").status_code == 200
    with count_queries() as small_csv:
        client.get("/organiser/outcomes.csv")
    _grow(world["programme"], businesses=500, checkins_each=10)  # 5,000 check-ins
    started = time.perf_counter()
    with count_queries() as big:
        response = client.get("/organiser/outcomes")
    print(f"dashboard, 500 businesses and 5,000 check-ins: {time.perf_counter() - started:.2f} s")
    assert response.status_code == 200
    with count_queries() as big_csv:
        rows = _csv(client.get("/organiser/outcomes.csv"))
    assert len(big) == len(small)
    assert len(big_csv) == len(small_csv)
    bulk = [r for r in rows if r["organisation"].startswith("Bulk")]
    assert len(bulk) == 500 and {r["support_hours"] for r in bulk} == {"20"}
    assert sum(r["assisted"] == "yes" for r in bulk) == 72  # every seventh declared
