"""The door list for offline scanning: who may fetch it, what it holds (never a ticket code),
and refreshing by delta since a version."""

import hashlib
from datetime import timedelta

import pytest
from sqlalchemy import update

from app.extensions import db
from app.questions.models import RegistrationAnswer
from app.questions.services import add_preset
from app.registration.models import Registration, SessionBooking
from app.timeutil import utcnow
from tests.factories import make_event, make_organisation, make_session, make_user, organiser
from tests.factories_checkin import make_booking, make_door_staff, make_registration

URL = "/api/checkin/conf/door-list"


@pytest.fixture
def setup(app):
    event = make_event(slug="conf", title="Productivity Journey")
    other = make_event(slug="other")
    workshop = make_session(event, title="Lean workshop", capacity=20)
    ada = make_registration(
        event, make_user(name="Ada Lovelace", organisation=make_organisation("Anglia Castings"))
    )
    bob = make_registration(event, make_user(name="Bob Barker"))
    pat = make_registration(event, make_user(name="Pat Pending"), status="pending_benchmark")
    make_booking(workshop, ada)
    staff = make_door_staff(event, name="Dev Door")
    stranger = make_door_staff(other)
    db.session.commit()
    return {
        "event": event,
        "workshop": workshop,
        "staff": staff,
        "stranger": stranger,
        "regs": {"ada": ada, "bob": bob, "pat": pat},
    }


def test_door_staff_and_organisers_get_it_others_do_not(client, login, setup):
    assert client.get(URL).status_code == 401
    login(make_user(name="Delly Gate"))
    db.session.commit()
    assert client.get(URL).status_code == 403
    login(setup["stranger"])
    assert client.get(URL).status_code == 403
    login(setup["staff"])
    assert client.get(URL).status_code == 200
    login(organiser())
    db.session.commit()
    response = client.get(URL)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert client.get("/api/checkin/nope/door-list").status_code == 404


def test_entries_carry_the_code_hash_never_a_code(client, login, setup):
    login(setup["staff"])
    response = client.get(URL)
    data = response.get_json()
    regs = setup["regs"]

    by_name = {e["name"]: e for e in data["entries"]}
    assert sorted(by_name) == ["Ada Lovelace", "Bob Barker", "Pat Pending"]
    ada = by_name["Ada Lovelace"]
    assert ada == {
        "registration_id": regs["ada"].id,
        "code_hash": hashlib.sha256(regs["ada"].ticket_secret.encode()).hexdigest(),
        "name": "Ada Lovelace",
        "organisation": "Anglia Castings",
        "ticket_type": "Delegate",
        "status": "confirmed",
        "bookings": [setup["workshop"].id],
        "access_needs": None,
    }
    assert by_name["Pat Pending"]["code_hash"] is None  # no ticket yet
    assert by_name["Pat Pending"]["status"] == "pending_benchmark"
    text = response.get_data(as_text=True)
    assert "JRN1-" not in text
    for reg in (regs["ada"], regs["bob"]):
        assert reg.ticket_secret not in text
        assert reg.ticket_secret.removeprefix("JRN1-") not in text
    assert data["event"] == {"slug": "conf", "title": "Productivity Journey", "status": "published"}
    assert data["points"] == [
        {"id": setup["workshop"].id, "title": "Lean workshop", "bookable": True}
    ]
    assert isinstance(data["version"], int) and data["version"] > 0
    assert data["csrf_token"]


def test_delta_holds_only_what_changed_since_the_version(client, login, setup):
    regs = setup["regs"]
    long_ago = utcnow() - timedelta(hours=1)
    db.session.execute(update(Registration).values(updated_at=long_ago))
    db.session.execute(update(SessionBooking).values(updated_at=long_ago))
    db.session.commit()
    login(setup["staff"])
    full = client.get(URL).get_json()
    assert len(full["entries"]) == 3

    unchanged = client.get(f"{URL}?since={full['version']}").get_json()
    assert unchanged["entries"] == []
    assert unchanged["version"] >= full["version"]  # a time: the list is complete up to it

    # Bob cancels; Ada's workshop booking is cancelled (a change to a booking, not to her).
    db.session.execute(
        update(Registration)
        .where(Registration.id == regs["bob"].id)
        .values(status="cancelled", active_user_id=None)
    )
    db.session.execute(update(SessionBooking).values(status="cancelled", active_user_id=None))
    db.session.commit()
    delta = client.get(f"{URL}?since={full['version']}").get_json()

    assert delta["version"] > full["version"]
    assert delta["since"] == full["version"]
    assert {(e["name"], e["status"], tuple(e["bookings"])) for e in delta["entries"]} == {
        ("Bob Barker", "cancelled", ()),
        ("Ada Lovelace", "confirmed", ()),
    }
    again = client.get(f"{URL}?since={delta['version']}").get_json()
    # Within the settling margin the same changes come again (harmless: keyed by registration).
    assert {e["name"] for e in again["entries"]} == {"Bob Barker", "Ada Lovelace"}


@pytest.mark.parametrize("since", ["-1", "abc", "1.5", "9" * 16, ""])
def test_a_bad_version_is_refused(client, login, setup, since):
    login(setup["staff"])
    response = client.get(f"{URL}?since={since}")
    assert response.status_code == 400
    assert "since must be a version" in response.get_json()["message"]


def test_fixed_number_of_queries_whatever_the_size(client, login, setup, count_queries):
    login(setup["staff"])
    client.get(URL)  # warm: the user and the limiter
    with count_queries() as small:
        client.get(URL)
    for _ in range(20):
        reg = make_registration(setup["event"])
        make_booking(setup["workshop"], reg)
    db.session.commit()
    with count_queries() as large:
        data = client.get(URL).get_json()
    assert len(data["entries"]) == 23
    assert len(large) == len(small)


def test_access_needs_travel_with_the_list_and_their_changes(client, login, setup):
    question = add_preset(organiser(), setup["event"], "access")
    answer = RegistrationAnswer(
        registration_id=setup["regs"]["ada"].id, question_id=question.id, value="Step-free access"
    )
    db.session.add(answer)
    long_ago = utcnow() - timedelta(hours=1)
    db.session.flush()
    db.session.execute(update(Registration).values(updated_at=long_ago))
    db.session.execute(update(SessionBooking).values(updated_at=long_ago))
    db.session.execute(update(RegistrationAnswer).values(updated_at=long_ago))
    db.session.commit()
    login(setup["staff"])

    full = client.get(URL).get_json()
    needs = {e["name"]: e["access_needs"] for e in full["entries"]}
    assert needs == {"Ada Lovelace": "Step-free access", "Bob Barker": None, "Pat Pending": None}
    assert client.get(f"{URL}?since={full['version']}").get_json()["entries"] == []

    db.session.execute(update(RegistrationAnswer).values(value="Step-free access; hearing loop"))
    db.session.commit()
    delta = client.get(f"{URL}?since={full['version']}").get_json()
    assert [(e["name"], e["access_needs"]) for e in delta["entries"]] == [
        ("Ada Lovelace", "Step-free access; hearing loop")
    ]
    found = client.get("/api/checkin/conf/search?q=lovelace").get_json()["results"]
    assert found[0]["access_needs"] == "Step-free access; hearing loop"
