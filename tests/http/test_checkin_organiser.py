"""Organiser screens for the door: door staff, live counts, attendance report and CSV."""

import csv
import io
import uuid

import pytest
from sqlalchemy import func, select

from app.auth.models import Role, User
from app.checkin.models import CheckIn, EventStaff
from app.extensions import db
from tests.factories import make_event, make_organisation, make_session, make_user, organiser
from tests.factories_checkin import make_door_staff, make_registration


@pytest.fixture
def setup(app):
    event = make_event(slug="conf", title="Productivity Journey")
    boss = organiser()
    staff = make_door_staff(event, name="Dev Door")
    ada = make_registration(
        event, make_user(name="Ada Lovelace", organisation=make_organisation("Anglia Castings"))
    )
    bea = make_registration(event, make_user(name="Bea Absent"))
    db.session.commit()
    return {"event": event, "boss": boss, "staff": staff, "ada": ada, "bea": bea}


def scan(client, code, session_id=None):
    return client.post(
        "/api/checkin/conf/scan",
        json={"code": code, "session_id": session_id, "nonce": str(uuid.uuid4())},
    ).get_json()


def test_only_organisers_see_the_door_screens(client, login, setup):
    eid = setup["event"].id
    login(setup["staff"])
    for path in ("door-staff", "checkin", "checkin.json", "attendance", "attendance.csv"):
        assert client.get(f"/organiser/events/{eid}/{path}").status_code == 403


def test_a_new_address_becomes_a_door_staff_account_with_an_invitation(
    client, login, setup, outbox
):
    eid = setup["event"].id
    login(setup["boss"])
    url = f"/organiser/events/{eid}/door-staff"
    refused = client.post(url, data={"email": "volunteer@example.com"})
    assert refused.status_code == 422 and "give their name" in refused.get_data(as_text=True)
    assert outbox == []
    added = client.post(url, data={"email": "Volunteer@example.com", "name": "Val Volunteer"})
    assert added.status_code == 302
    user = db.session.execute(select(User).where(User.email == "volunteer@example.com")).scalar()
    assert (user.name, user.role) == ("Val Volunteer", Role.DOOR_STAFF)
    assert db.session.get(EventStaff, (eid, user.id)) is not None
    [invitation] = outbox
    assert invitation["To"] == "volunteer@example.com"
    text = invitation.get_body(("plain",)).get_content()
    assert "/auth/reset" in text and f"/checkin/{setup['event'].slug}" in text


def test_assign_and_remove_door_staff(client, login, setup):
    newcomer = make_user(Role.DOOR_STAFF, email="gate@example.com", name="Gina Gate")
    db.session.commit()
    eid = setup["event"].id
    login(setup["boss"])

    page = client.get(f"/organiser/events/{eid}/door-staff").get_data(as_text=True)
    assert "Dev Door" in page and "gate@example.com" in page

    added = client.post(f"/organiser/events/{eid}/door-staff", data={"email": "GATE@example.com"})
    assert added.status_code == 302
    assert db.session.get(EventStaff, (eid, newcomer.id)) is not None

    delegate = make_user(email="del@example.com")
    db.session.commit()
    refused = client.post(f"/organiser/events/{eid}/door-staff", data={"email": "del@example.com"})
    assert refused.status_code == 422
    assert "not a door staff account" in refused.get_data(as_text=True)
    bad = client.post(f"/organiser/events/{eid}/door-staff", data={"email": "not-an-email"})
    assert bad.status_code == 422
    assert db.session.get(EventStaff, (eid, delegate.id)) is None

    removed = client.post(f"/organiser/events/{eid}/door-staff/{newcomer.id}/remove")
    assert removed.status_code == 302
    db.session.expire_all()
    assert db.session.get(EventStaff, (eid, newcomer.id)) is None
    # removed staff can no longer scan
    login(newcomer)
    assert (
        client.post(
            "/api/checkin/conf/scan", json={"code": "JRN1-X", "nonce": "abcdefgh12"}
        ).status_code
        == 403
    )
    login(setup["boss"])
    again = client.post(f"/organiser/events/{eid}/door-staff/{newcomer.id}/remove")
    assert again.status_code == 302
    assert client.get("/organiser/events/999/door-staff").status_code == 404


def test_live_counts_page_and_json(client, login, setup):
    workshop = make_session(setup["event"], title="Lean workshop", capacity=5)
    db.session.commit()
    eid = setup["event"].id
    login(setup["staff"])
    scan(client, setup["ada"].ticket_secret)

    login(setup["boss"])
    page = client.get(f"/organiser/events/{eid}/checkin")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'id="live-in">1<' in html
    assert "vendor/chartjs/chart.umd.min.js" in html
    assert "Lean workshop" in html

    data = client.get(f"/organiser/events/{eid}/checkin.json").get_json()
    assert (data["checked_in"], data["expected"], data["needs_attention"]) == (1, 2, 0)
    assert [(p["title"], p["checked_in"], p["expected"]) for p in data["points"]] == [
        ("Entrance", 1, 2),
        ("Lean workshop", 0, 0),
    ]
    assert [r["name"] for r in data["recent"]] == ["Ada Lovelace"]
    assert sum(n for _, n in data["arrivals"]) == 1
    assert workshop.id == data["points"][1]["session_id"]


def test_attendance_page_csv_and_organiser_undo(client, login, setup):
    keynote = make_session(setup["event"], title="Keynote")
    db.session.commit()
    eid = setup["event"].id
    login(setup["staff"])
    door = scan(client, setup["ada"].ticket_secret)
    scan(client, setup["ada"].ticket_secret, session_id=keynote.id)

    login(setup["boss"])
    html = client.get(f"/organiser/events/{eid}/attendance").get_data(as_text=True)
    assert "1 of 2 registered attended ·" in html  # both confirmed: no breakdown
    assert "Keynote" in html and "by Dev Door" in html
    assert ">confirmed</span>" in html

    response = client.get(f"/organiser/events/{eid}/attendance.csv")
    assert response.mimetype == "text/csv"
    assert 'filename="attendance-conf.csv"' in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:3] == ["Name", "Email", "Organisation"]
    assert [(r[0], r[7], r[8]) for r in rows[1:]] == [
        ("Ada Lovelace", "yes", "Entrance"),
        ("Ada Lovelace", "yes", "Keynote"),
        ("Bea Absent", "no", ""),
    ]

    # Someone still owing payment is listed too, and the page says why the count differs from
    # live check-in's (confirmed places only).
    make_registration(setup["event"], make_user(name="Cy Pending"), status="pending_payment")
    db.session.commit()
    html = client.get(f"/organiser/events/{eid}/attendance").get_data(as_text=True)
    assert "1 of 3 registered attended (2 confirmed, 1 not confirmed) ·" in html

    undone = client.post(f"/organiser/events/{eid}/checkins/{door['checkin_id']}/undo")
    assert undone.status_code == 302
    active = select(func.count()).select_from(CheckIn).where(CheckIn.point_key.is_not(None))
    assert db.session.execute(active).scalar_one() == 1
    twice = client.post(f"/organiser/events/{eid}/checkins/{door['checkin_id']}/undo")
    assert twice.status_code == 302
    follow = client.get(f"/organiser/events/{eid}/attendance").get_data(as_text=True)
    assert "already been undone" in follow


@pytest.mark.config(WTF_CSRF_ENABLED=True)
def test_door_staff_forms_need_csrf(client, login, setup):
    eid = setup["event"].id
    login(setup["boss"])
    response = client.post(f"/organiser/events/{eid}/door-staff/{setup['staff'].id}/remove")
    assert response.status_code == 400
    assert db.session.get(EventStaff, (eid, setup["staff"].id)) is not None


def test_attendance_of_a_past_event_says_who_did_not_attend(client, login):
    from app.demo import seed_demo
    from app.events.models import Event

    seed_demo()
    db.session.commit()
    past = db.session.execute(
        select(Event).where(Event.slug == "lean-essentials-spring")
    ).scalar_one()
    organiser = db.session.execute(
        select(User).where(User.email == "organiser@example.com")
    ).scalar_one()
    login(organiser)
    html = client.get(f"/organiser/events/{past.id}/attendance").get_data(as_text=True)
    assert "8 of 10 registered attended" in html
    assert html.count("did not attend") == 2 and "not yet" not in html
    feedback = client.get(f"/organiser/events/{past.id}/feedback").get_data(as_text=True)
    assert '<div class="fs-4" id="fb-responses">6 <span class="fs-6 text-body-secondary">of 10' in (
        feedback
    )
