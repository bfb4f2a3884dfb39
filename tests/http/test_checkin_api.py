"""The scan API contract (DESIGN.md), name search and undo, through the test client."""

import uuid

import pytest
from sqlalchemy import func, select

from app.checkin.models import CheckIn, ScanLog
from app.extensions import db
from tests.conftest import csrf_token_from
from tests.factories import make_event, make_organisation, make_session, make_user, organiser
from tests.factories_checkin import make_door_staff, make_registration


@pytest.fixture
def setup(app):
    event = make_event(slug="conf", title="Productivity Journey")
    staff = make_door_staff(event, name="Dev Door")
    reg = make_registration(
        event, make_user(name="Ada Lovelace", organisation=make_organisation("Anglia Castings"))
    )
    db.session.commit()
    return {"event": event, "staff": staff, "reg": reg, "secret": reg.ticket_secret}


def body(code=None, **kw):
    data = {"code": code, "session_id": None, "nonce": str(uuid.uuid4())}
    data.update(kw)
    return data


def count(model) -> int:
    return db.session.execute(select(func.count()).select_from(model)).scalar_one()


URL = "/api/checkin/conf/scan"


def test_scan_admits_then_says_already_checked_in(client, login, setup):
    login(setup["staff"])

    first = client.post(URL, json=body(setup["secret"]))
    second = client.post(URL, json=body(setup["secret"]))

    assert first.status_code == 200
    data = first.get_json()
    assert data["result"] == "ok"
    assert (data["name"], data["organisation"], data["ticket_type"]) == (
        "Ada Lovelace",
        "Anglia Castings",
        "Delegate",
    )
    assert data["first_checked_in_at"].endswith("Z")
    assert second.status_code == 200
    again = second.get_json()
    assert again["result"] == "already_checked_in"
    assert again["first_checked_in_at"] == data["first_checked_in_at"]
    assert (again["point"], again["checked_in_by"]) == ("Entrance", "Dev Door")
    assert count(CheckIn) == 1
    assert count(ScanLog) == 2


def test_same_nonce_returns_first_answer(client, login, setup):
    login(setup["staff"])
    payload = body(setup["secret"])

    first = client.post(URL, json=payload).get_json()
    second = client.post(URL, json=payload).get_json()

    assert first["result"] == "ok"
    assert second == first
    assert count(CheckIn) == 1
    assert count(ScanLog) == 1


def test_refusals_are_http_200(client, login, setup):
    login(setup["staff"])
    response = client.post(URL, json=body("JRN1-NOTAREALTICKETATALLNOPE"))
    assert response.status_code == 200
    assert response.get_json()["result"] == "unknown_code"
    assert response.get_json()["name"] is None


def test_anonymous_gets_401_json(client, setup):
    response = client.post(URL, json=body(setup["secret"]))
    assert response.status_code == 401
    assert response.is_json
    assert count(ScanLog) == 0


def test_delegate_and_other_events_staff_get_403(client, login, setup):
    other = make_event(slug="other")
    outsider = make_door_staff(other)
    delegate = setup["reg"].user
    db.session.commit()
    for user in (outsider, delegate):
        login(user)
        response = client.post(URL, json=body(setup["secret"]))
        assert response.status_code == 403
        assert response.is_json
    assert client.get("/api/checkin/conf/search?q=ada").status_code == 403
    assert count(ScanLog) == 0


def test_unknown_event_is_404(client, login, setup):
    login(setup["staff"])
    assert client.post("/api/checkin/nope/scan", json=body(setup["secret"])).status_code == 404


@pytest.mark.parametrize(
    "payload",
    [
        ["not", "an", "object"],
        {"code": 42, "nonce": "abcdefgh1"},
        {"code": "", "nonce": "abcdefgh1"},
        {"code": "x" * 600, "nonce": "abcdefgh1"},
        {"code": "JRN1-X"},
        {"code": "JRN1-X", "nonce": "short"},
        {"code": "JRN1-X", "nonce": 12345678901},
        {"code": "JRN1-X", "nonce": "n" * 65},
        {"code": "JRN1-X", "nonce": "abcdefgh1", "session_id": "1"},
        {"code": "JRN1-X", "nonce": "abcdefgh1", "session_id": True},
        {"code": "JRN1-X", "nonce": "abcdefgh1", "session_id": -3},
        {"code": "JRN1-X", "nonce": "abcdefgh1", "session_id": 999999},
        {"nonce": "abcdefgh1"},
        {"code": "JRN1-X", "registration_id": 1, "nonce": "abcdefgh1"},
    ],
)
def test_malformed_requests_are_400_and_write_nothing(client, login, setup, payload):
    login(setup["staff"])
    response = client.post(URL, json=payload)
    assert response.status_code == 400
    assert response.get_json()["message"]
    assert count(ScanLog) == 0


def test_body_that_is_not_json_is_400(client, login, setup):
    login(setup["staff"])
    response = client.post(URL, data="code=JRN1", content_type="text/plain")
    assert response.status_code == 400
    assert response.is_json


def test_session_scan_needs_booking_for_bookable_session(client, login, setup):
    workshop = make_session(setup["event"], title="Lean workshop", capacity=10)
    db.session.commit()
    login(setup["staff"])
    data = client.post(URL, json=body(setup["secret"], session_id=workshop.id)).get_json()
    assert data["result"] == "not_booked"
    assert data["name"] == "Ada Lovelace"


def test_scan_request_query_count(client, login, setup, count_queries):
    from app.extensions import db
    from app.webhooks.emit import active_endpoints

    login(setup["staff"])
    active_endpoints(db.session)  # read once per process every few seconds, not per scan
    # PostgreSQL reads the sign-in (session cookie), the event, the staff check and the ticket
    # in one statement (app/checkin/fastscan.py); other databases in three.
    reads = 1 if db.engine.dialect.name == "postgresql" else 3
    with count_queries() as queries:
        response = client.post(URL, json=body(setup["secret"]))
    assert response.get_json()["result"] == "ok"
    # the reads, admission, scan log
    assert len(queries) == reads + 2, queries
    with count_queries() as queries:
        again = client.post(URL, json=body(setup["secret"]))
    assert again.get_json()["result"] == "already_checked_in"
    # The re-scan the door sees most: the lookup finds the admission, so nothing is tried.
    assert len(queries) == reads + 1, queries


@pytest.mark.config(WTF_CSRF_ENABLED=True)
def test_scan_needs_csrf_token_header(client, login, setup):
    signed_out = client.post(URL, json=body(setup["secret"]))
    assert signed_out.status_code == 401  # signed out is told so, even without a token
    login(setup["staff"])
    refused = client.post(URL, json=body(setup["secret"]))
    assert refused.status_code == 400
    assert refused.is_json
    forged = client.post(URL, json=body(setup["secret"]), headers={"X-CSRFToken": "forged"})
    assert forged.status_code == 400
    undo = client.post("/api/checkin/conf/undo", json={"checkin_id": 1})
    assert undo.status_code == 400
    assert count(ScanLog) == 0

    token = csrf_token_from(client.get("/checkin/conf").get_data(as_text=True))
    accepted = client.post(URL, json=body(setup["secret"]), headers={"X-CSRFToken": token})
    assert accepted.status_code == 200
    assert accepted.get_json()["result"] == "ok"


@pytest.mark.config(RATELIMIT_ENABLED=True, CHECKIN_SCAN_RATE_LIMIT="3 per minute")
def test_scans_are_rate_limited_per_user(client, login, setup):
    login(setup["staff"])
    codes = [client.post(URL, json=body(setup["secret"])).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    assert client.post(URL, json=body(setup["secret"])).is_json

    colleague = make_door_staff(setup["event"])
    db.session.commit()
    login(colleague)
    assert client.post(URL, json=body(setup["secret"])).status_code == 200


def test_name_search_and_admit_by_tap(client, login, setup):
    make_registration(setup["event"], make_user(name="Bob Pending"), status="pending_benchmark")
    db.session.commit()
    login(setup["staff"])

    found = client.get("/api/checkin/conf/search?q=anglia").get_json()["results"]
    assert [(r["name"], r["status"]) for r in found] == [("Ada Lovelace", "confirmed")]
    assert found[0]["checked_in_at_local"] is None

    admitted = client.post(URL, json=body(registration_id=found[0]["registration_id"], code=None))
    assert admitted.get_json()["result"] == "ok"
    again = client.get("/api/checkin/conf/search?q=anglia").get_json()["results"]
    assert again[0]["checked_in_at_local"] == admitted.get_json()["checked_in_at_local"]

    bob = client.get("/api/checkin/conf/search?q=bob").get_json()["results"][0]
    result = client.post(URL, json=body(registration_id=bob["registration_id"], code=None))
    assert result.get_json()["result"] == "benchmark_pending"


def test_name_search_bad_input(client, login, setup):
    login(setup["staff"])
    short = client.get("/api/checkin/conf/search?q=a")
    assert short.status_code == 400
    assert short.get_json()["message"] == "Type at least 2 letters."
    assert client.get("/api/checkin/conf/search?q=ada&session_id=99999").status_code == 400


def test_undo_by_staff_then_admit_again(client, login, setup):
    login(setup["staff"])
    ok = client.post(URL, json=body(setup["secret"])).get_json()

    undone = client.post("/api/checkin/conf/undo", json={"checkin_id": ok["checkin_id"]})
    assert undone.status_code == 200
    assert undone.get_json()["result"] == "undone"
    twice = client.post("/api/checkin/conf/undo", json={"checkin_id": ok["checkin_id"]})
    assert twice.status_code == 409
    assert client.post(URL, json=body(setup["secret"])).get_json()["result"] == "ok"
    assert client.post("/api/checkin/conf/undo", json={"checkin_id": "x"}).status_code == 400
    assert client.post("/api/checkin/conf/undo", json={"checkin_id": 99999}).status_code == 404


def test_colleague_cannot_undo_but_organiser_can(client, login, setup):
    login(setup["staff"])
    ok = client.post(URL, json=body(setup["secret"])).get_json()
    colleague = make_door_staff(setup["event"])
    boss = organiser()
    db.session.commit()

    login(colleague)
    refused = client.post("/api/checkin/conf/undo", json={"checkin_id": ok["checkin_id"]})
    assert refused.status_code == 403
    login(boss)
    allowed = client.post("/api/checkin/conf/undo", json={"checkin_id": ok["checkin_id"]})
    assert allowed.status_code == 200
    checkin = db.session.get(CheckIn, ok["checkin_id"])
    assert (checkin.undone_by_id, checkin.point_key) == (boss.id, None)


def test_scanner_page_for_staff_and_organisers_only(client, login, setup):
    make_session(setup["event"], title="Digital adoption workshop", capacity=12)
    other = make_event(slug="other", title="Other event")
    outsider = make_door_staff(other)
    db.session.commit()

    login(setup["staff"])
    page = client.get("/checkin/conf")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Digital adoption workshop (booking needed)" in html
    assert 'data-scan-url="/api/checkin/conf/scan"' in html
    assert "vendor/jsqr/jsQR.js" in html
    listing = client.get("/checkin?all=1").get_data(as_text=True)
    assert "Productivity Journey" in listing and "Other event" not in listing

    login(outsider)
    assert client.get("/checkin/conf").status_code == 403
    login(setup["reg"].user)
    assert client.get("/checkin/conf").status_code == 403
    assert client.get("/checkin").status_code == 403
    boss = organiser()
    db.session.commit()
    login(boss)
    assert client.get("/checkin/other").status_code == 200


def test_scanner_page_anonymous_redirects_to_login(client, setup):
    response = client.get("/checkin/conf")
    assert response.status_code == 302
    assert "/auth/login" in response.headers["Location"]


def test_cancelled_event_scan_answers_event_cancelled_and_pages_say_so(client, login, setup):
    setup["event"].status = "cancelled"
    db.session.commit()
    login(setup["staff"])

    response = client.post(URL, json=body(setup["secret"]))
    page = client.get("/checkin/conf?camera=off").get_data(as_text=True)

    assert response.status_code == 200
    assert response.get_json()["result"] == "event_cancelled"
    assert response.get_json()["name"] == "Ada Lovelace"
    assert count(CheckIn) == 0
    assert "This event has been cancelled: every ticket is refused." in page
    login(organiser())
    db.session.commit()
    live = client.get(f"/organiser/events/{setup['event'].id}/checkin").get_data(as_text=True)
    assert "This event is cancelled." in live


def test_scanner_offers_published_sessions_but_not_breaks_or_drafts(client, login, setup):
    make_session(setup["event"], title="Opening keynote")
    make_session(setup["event"], title="Coffee and networking", kind="break")
    make_session(setup["event"], title="Unpublished panel", publish=False)
    db.session.commit()
    login(setup["staff"])

    page = client.get("/checkin/conf?camera=off").get_data(as_text=True)

    assert "Opening keynote" in page
    assert "Coffee and networking" not in page
    assert "Unpublished panel" not in page
