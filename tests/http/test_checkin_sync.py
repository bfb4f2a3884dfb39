"""POST /api/checkin/<slug>/sync: scans made offline arrive in batches. The device's scan time
becomes the admission time, nonces make a batch safe to send twice, scans apply in the order
they were made, and conflicts are kept for the organisers' live page."""

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.checkin.models import CheckIn, CheckInConflict, ScanLog
from app.extensions import db
from app.timeutil import utcnow
from tests.conftest import csrf_token_from
from tests.factories import make_event, make_organisation, make_session, make_user, organiser
from tests.factories_checkin import make_door_staff, make_registration

URL = "/api/checkin/conf/sync"


@pytest.fixture
def setup(app):
    event = make_event(slug="conf", title="Site visit: Anglia Castings")
    ada = make_registration(
        event, make_user(name="Ada Lovelace", organisation=make_organisation("Anglia Castings"))
    )
    gone = make_registration(event, make_user(name="Gus Gone"), status="confirmed")
    yard = make_door_staff(event, name="Yara Yard")
    gate = make_door_staff(event, name="Gil Gate")
    db.session.commit()
    base = utcnow().replace(microsecond=0) - timedelta(hours=1)
    return {"event": event, "ada": ada, "gone": gone, "yard": yard, "gate": gate, "base": base}


def iso(value) -> str:
    return value.isoformat() + "Z"


def scan(code, at, session_id=None, **kw):
    return {"code": code, "nonce": str(uuid.uuid4()), "scanned_at": iso(at),
            "session_id": session_id, **kw}  # fmt: skip


def count(model) -> int:
    return db.session.execute(select(func.count()).select_from(model)).scalar_one()


def test_offline_admission_takes_the_device_time(client, login, setup):
    login(setup["yard"])
    at = setup["base"] + timedelta(minutes=5)
    batch = {
        "device": "phone-yard",
        "scans": [
            scan(setup["ada"].ticket_secret, at, offline_result="ok"),
            scan(setup["ada"].ticket_secret, at + timedelta(seconds=40)),
        ],
    }

    response = client.post(URL, json=batch)

    assert response.status_code == 200
    results = response.get_json()["results"]
    assert [(r["nonce"], r["result"]) for r in results] == [
        (batch["scans"][0]["nonce"], "ok"),
        (batch["scans"][1]["nonce"], "already_checked_in"),
    ]
    assert results[0]["name"] == "Ada Lovelace"
    assert results[0]["first_checked_in_at"] == iso(at)
    checkin = db.session.execute(select(CheckIn)).scalar_one()
    assert (checkin.checked_in_at, checkin.device) == (at, "phone-yard")
    # The scan API, asked later, names the offline time.
    later = client.post(
        "/api/checkin/conf/scan",
        json={"code": setup["ada"].ticket_secret, "session_id": None, "nonce": str(uuid.uuid4())},
    ).get_json()
    assert (later["result"], later["first_checked_in_at"]) == ("already_checked_in", iso(at))
    # the device's own second scan is a conflict the organisers can see
    assert count(CheckInConflict) == 1


def test_same_batch_twice_admits_nobody_new(client, login, setup):
    login(setup["yard"])
    batch = {
        "device": "phone-yard",
        "scans": [
            scan(setup["ada"].ticket_secret, setup["base"]),
            scan("JRN1-NOTAREALTICKETATALLNOPE", setup["base"] + timedelta(seconds=5)),
        ],
    }
    first = client.post(URL, json=batch).get_json()
    logged = count(ScanLog)

    second = client.post(URL, json=batch).get_json()

    assert second == first
    assert [r["result"] for r in first["results"]] == ["ok", "unknown_code"]
    assert count(CheckIn) == 1
    assert count(ScanLog) == logged == 2
    assert count(CheckInConflict) == 0


def test_a_batch_applies_in_scan_time_order_and_answers_in_sent_order(client, login, setup):
    login(setup["yard"])
    early, late = setup["base"], setup["base"] + timedelta(minutes=3)
    batch = {
        "device": "phone-yard",
        "scans": [scan(setup["ada"].ticket_secret, late), scan(setup["ada"].ticket_secret, early)],
    }

    results = client.post(URL, json=batch).get_json()["results"]

    assert [r["result"] for r in results] == ["already_checked_in", "ok"]
    assert [r["nonce"] for r in results] == [s["nonce"] for s in batch["scans"]]
    assert db.session.execute(select(CheckIn.checked_in_at)).scalar_one() == early


def test_first_batch_to_arrive_stands_and_the_conflict_is_shown(client, login, setup):
    ada = setup["ada"].ticket_secret
    at_gate = setup["base"] + timedelta(minutes=20)
    at_yard = setup["base"] + timedelta(minutes=10)  # earlier, but reaches the server later
    login(setup["gate"])
    gate = client.post(
        URL, json={"device": "phone-gate", "scans": [scan(ada, at_gate, offline_result="ok")]}
    )
    login(setup["yard"])
    yard = client.post(
        URL, json={"device": "phone-yard", "scans": [scan(ada, at_yard, offline_result="ok")]}
    )

    assert gate.get_json()["results"][0]["result"] == "ok"
    lost = yard.get_json()["results"][0]
    assert lost["result"] == "already_checked_in"
    assert lost["first_checked_in_at"] == iso(at_gate)
    assert lost["checked_in_by"] == "Gil Gate"
    conflict = db.session.execute(select(CheckInConflict)).scalar_one()
    standing = db.session.execute(select(CheckIn)).scalar_one()
    assert (conflict.checkin_id, conflict.device, conflict.scanned_at) == (
        standing.id,
        "phone-yard",
        at_yard,
    )
    assert (conflict.result, conflict.offline_result) == ("already_checked_in", "ok")

    login(organiser())
    db.session.commit()
    event_id = setup["event"].id
    live = client.get(f"/organiser/events/{event_id}/checkin.json").get_json()
    assert len(live["conflicts"]) == 1
    shown = live["conflicts"][0]
    assert (shown["name"], shown["point"], shown["result"], shown["offline"]) == (
        "Ada Lovelace",
        "Entrance",
        "Already checked in",
        "admitted",
    )
    assert shown["scanned"].endswith(" by Yara Yard (phone-yard)")
    assert shown["standing"].endswith(" by Gil Gate (phone-gate)")
    page = client.get(f"/organiser/events/{event_id}/checkin").get_data(as_text=True)
    assert "Offline scans in conflict" in page
    assert "phone-yard" in page and "phone-gate" in page


def test_device_admitted_someone_the_server_refuses_is_a_conflict(client, login, setup):
    setup["gone"].status = "cancelled"
    setup["gone"].active_user_id = None
    db.session.commit()
    login(setup["yard"])

    results = client.post(
        URL,
        json={
            "device": "phone-yard",
            "scans": [scan(setup["gone"].ticket_secret, setup["base"], offline_result="ok")],
        },
    ).get_json()["results"]

    assert results[0]["result"] == "cancelled"
    conflict = db.session.execute(select(CheckInConflict)).scalar_one()
    assert (conflict.result, conflict.checkin_id) == ("cancelled", None)
    assert count(CheckIn) == 0


def test_a_clock_running_fast_cannot_admit_in_the_future(client, login, setup):
    login(setup["yard"])
    before = utcnow().replace(microsecond=0)
    future = before + timedelta(days=2)

    client.post(URL, json={"device": "d", "scans": [scan(setup["ada"].ticket_secret, future)]})

    at = db.session.execute(select(CheckIn.checked_in_at)).scalar_one()
    assert before <= at <= utcnow()


def test_sessions_are_points_too(client, login, setup):
    keynote = make_session(setup["event"], title="Keynote")
    db.session.commit()
    login(setup["yard"])
    results = client.post(
        URL,
        json={
            "device": "d",
            "scans": [
                scan(setup["ada"].ticket_secret, setup["base"], session_id=keynote.id),
                scan(setup["ada"].ticket_secret, setup["base"] + timedelta(seconds=1)),
            ],
        },
    ).get_json()["results"]
    assert [(r["result"], r["point"]) for r in results] == [("ok", "Keynote"), ("ok", "Entrance")]


def _bad(setup, **change):
    body = {"device": "phone", "scans": [scan(setup["ada"].ticket_secret, setup["base"])]}
    item = change.pop("item", None)
    if item:
        body["scans"][0].update(item)
    body.update(change)
    return body


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"device": ""}, "device must name this scanner"),
        ({"device": 7}, "device must name this scanner"),
        ({"scans": []}, "scans must be a list of 1 to 200"),
        ({"scans": "many"}, "scans must be a list"),
        ({"item": {"code": ""}}, "scans[0]: code must be the text"),
        ({"item": {"nonce": "short"}}, "scans[0]: nonce must be"),
        ({"item": {"scanned_at": "yesterday"}}, "scans[0]: scanned_at must be an ISO 8601"),
        (
            {"item": {"scanned_at": "2026-09-15T08:12:03"}},
            "scans[0]: scanned_at must say it is UTC",
        ),
        ({"item": {"scanned_at": None}}, "scans[0]: scanned_at must be"),
        ({"item": {"session_id": "1"}}, "scans[0]: session_id must be a whole number"),
        ({"item": {"session_id": True}}, "scans[0]: session_id must be a whole number"),
        ({"item": {"session_id": 99999}}, "not part of this event"),
        ({"item": {"session_id": -1}}, "not part of this event"),
        ({"item": {"offline_result": "maybe"}}, "scans[0]: offline_result must be"),
    ],
)
def test_bad_batches_are_refused_whole_and_write_nothing(client, login, setup, change, message):
    login(setup["yard"])
    body = _bad(setup, **change)
    body["scans"] = body["scans"] if isinstance(body["scans"], list) else body["scans"]
    # a good scan first: nothing of a refused batch is applied
    if isinstance(body["scans"], list) and body["scans"]:
        body["scans"].insert(0, scan(setup["ada"].ticket_secret, setup["base"]))
        message = message.replace("scans[0]", "scans[1]")

    response = client.post(URL, json=body)

    assert response.status_code == 400
    assert message in response.get_json()["message"]
    assert count(ScanLog) == 0
    assert count(CheckIn) == 0


def test_too_many_scans_and_not_json_are_refused(client, login, setup):
    login(setup["yard"])
    many = [scan(setup["ada"].ticket_secret, setup["base"]) for _ in range(201)]
    assert client.post(URL, json={"device": "d", "scans": many}).status_code == 400
    assert client.post(URL, data="nope", content_type="application/json").status_code == 400
    assert client.post(URL, json=[1, 2]).status_code == 400
    assert count(ScanLog) == 0


def test_who_may_sync(client, login, setup):
    body = _bad(setup)
    assert client.post(URL, json=body).status_code == 401
    login(make_user(name="Delly Gate"))
    db.session.commit()
    assert client.post(URL, json=body).status_code == 403
    login(make_door_staff(make_event(), name="Elsewhere"))
    db.session.commit()
    assert client.post(URL, json=body).status_code == 403
    assert count(ScanLog) == 0


@pytest.mark.config(WTF_CSRF_ENABLED=True)
def test_sync_needs_the_csrf_header(client, login, setup):
    login(setup["yard"])
    assert client.post(URL, json=_bad(setup)).status_code == 400
    assert count(ScanLog) == 0
    # the door list hands a scanner opened from its offline copy a current token
    token = client.get("/api/checkin/conf/door-list").get_json()["csrf_token"]
    accepted = client.post(URL, json=_bad(setup), headers={"X-CSRFToken": token})
    assert accepted.status_code == 200
    page_token = csrf_token_from(client.get("/checkin/conf").get_data(as_text=True))
    again = client.post(URL, json=_bad(setup), headers={"X-CSRFToken": page_token})
    assert again.status_code == 200


def test_name_search_admissions_sync_by_registration(client, login, setup):
    login(setup["yard"])
    at = setup["base"]
    results = client.post(
        URL,
        json={
            "device": "d",
            "scans": [
                {"registration_id": setup["ada"].id, "nonce": str(uuid.uuid4()),
                 "scanned_at": iso(at), "session_id": None, "offline_result": "ok"},
            ],
        },
    ).get_json()["results"]  # fmt: skip
    assert (results[0]["result"], results[0]["name"]) == ("ok", "Ada Lovelace")
    assert db.session.execute(select(CheckIn.checked_in_at)).scalar_one() == at


@pytest.mark.parametrize("extra", [{"registration_id": "1"}, {"registration_id": 2**31},
                                   {"registration_id": 1, "code": "JRN1-X"}])  # fmt: skip
def test_registration_must_be_a_whole_number_and_alone(client, login, setup, extra):
    login(setup["yard"])
    item = {"nonce": str(uuid.uuid4()), "scanned_at": iso(setup["base"]), "session_id": None}
    response = client.post(URL, json={"device": "d", "scans": [{**item, **extra}]})
    assert response.status_code == 400
    assert "registration_id" in response.get_json()["message"]
    assert count(ScanLog) == 0
