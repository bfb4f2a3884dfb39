"""A site visit's hosts are its door staff with no set-up: the scanner, the scan API, name
search, the offline door list and sync, for their own visit only."""

import uuid

import pytest
from sqlalchemy import func, select

from app.checkin.models import CheckIn
from app.events.models import EventKind
from app.extensions import db
from app.hosts.models import HostMember
from app.timeutil import utcnow
from tests.factories import make_event, make_organisation, make_user
from tests.factories_checkin import make_registration


@pytest.fixture
def visit():
    org = make_organisation("Loddon Laser Ltd")
    host = make_user(email="hal@loddon.example", organisation=org)
    other_org = make_organisation("Acle Alloys Ltd")
    db.session.flush()
    db.session.add(HostMember(user_id=host.id, organisation_id=org.id))
    event = make_event(kind=EventKind.SITE_VISIT, host_organisation_id=org.id,
                       title="Visit Loddon Laser", slug="visit-loddon")  # fmt: skip
    other = make_event(kind=EventKind.SITE_VISIT, host_organisation_id=other_org.id,
                       slug="visit-acle")  # fmt: skip
    conference = make_event(slug="conf")
    visitor = make_registration(
        event, make_user(name="Ada Visitor", organisation=make_organisation("Cam Sensors Ltd"))
    )
    elsewhere = make_registration(other, make_user(name="Bob Elsewhere"))
    at_conf = make_registration(conference, make_user(name="Cy Conference"))
    db.session.commit()
    return host, visitor, elsewhere, at_conf


def _scan(code):
    return {"code": code, "session_id": None, "nonce": str(uuid.uuid4())}


def _checkins() -> int:
    return db.session.execute(select(func.count()).select_from(CheckIn)).scalar_one()


def test_the_host_scans_searches_and_works_offline_at_its_own_visit(client, login, visit):
    host, visitor, *_ = visit
    login(host)
    # One visit to scan at: the check-in page goes straight to its scanner.
    choose = client.get("/checkin")
    assert choose.status_code == 302 and choose.headers["Location"].endswith(
        "/checkin/visit-loddon"
    )
    assert client.get("/checkin/visit-loddon").status_code == 200
    found = client.get("/api/checkin/visit-loddon/search?q=Ada").get_json()["results"]
    assert [r["name"] for r in found] == ["Ada Visitor"]
    door_list = client.get("/api/checkin/visit-loddon/door-list")
    assert door_list.status_code == 200 and door_list.get_json()
    scanned = client.post("/api/checkin/visit-loddon/scan", json=_scan(visitor.ticket_secret))
    assert scanned.status_code == 200 and scanned.get_json()["result"] == "ok"
    batch = {"device": "gate-phone", "scans": [
        {**_scan(visitor.ticket_secret), "scanned_at": utcnow().isoformat() + "Z"}]}  # fmt: skip
    synced = client.post("/api/checkin/visit-loddon/sync", json=batch)
    assert synced.status_code == 200
    assert _checkins() == 1


def test_the_host_is_no_door_staff_anywhere_else(client, login, visit):
    host, _, elsewhere, at_conf = visit
    login(host)
    for slug, reg in (("visit-acle", elsewhere), ("conf", at_conf)):
        assert client.get(f"/checkin/{slug}").status_code == 403
        assert client.get(f"/api/checkin/{slug}/search?q=a").status_code == 403
        assert client.get(f"/api/checkin/{slug}/door-list").status_code == 403
        response = client.post(f"/api/checkin/{slug}/scan", json=_scan(reg.ticket_secret))
        assert response.status_code == 403
    assert _checkins() == 0


def test_door_access_lapses_with_hosting(client, login, visit):
    host, visitor, *_ = visit
    db.session.delete(db.session.get(HostMember, host.id))
    db.session.commit()
    login(host)
    assert client.get("/checkin").status_code == 403
    assert client.get("/checkin/visit-loddon").status_code == 403
    response = client.post("/api/checkin/visit-loddon/scan", json=_scan(visitor.ticket_secret))
    assert response.status_code == 403 and _checkins() == 0


def test_a_delegate_gets_no_door(client, login, visit):
    login(make_user(email="dee@example.com"))
    db.session.commit()
    assert client.get("/checkin").status_code == 403
    assert client.get("/checkin/visit-loddon").status_code == 403
