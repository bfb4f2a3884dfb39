"""Door staff land on their scanner after signing in; the attendee card's facts come with
name search."""

from app.auth.models import Role
from app.extensions import db
from tests.factories import PASSWORD, make_event, make_session, make_user, organiser
from tests.factories_checkin import make_booking, make_door_staff, make_registration


def sign_in(client, user, **query):
    return client.post("/auth/login", data={"email": user.email, "password": PASSWORD}, **query)


def test_door_staff_with_one_event_land_on_its_scanner(client, app):
    event = make_event(slug="yard", title="Site visit")
    staff = make_door_staff(event)
    db.session.commit()

    response = sign_in(client, staff)

    assert response.status_code == 302
    assert response.headers["Location"] == "/checkin"
    chooser = client.get("/checkin")
    assert chooser.status_code == 302
    assert chooser.headers["Location"] == "/checkin/yard"
    listed = client.get("/checkin?all=1")  # the scanner's Events button still lists them
    assert listed.status_code == 200
    assert "Site visit" in listed.get_data(as_text=True)


def test_door_staff_with_several_events_choose(client, app):
    staff = make_door_staff(make_event(title="Conference"), make_event(title="Site visit"))
    db.session.commit()

    sign_in(client, staff)
    page = client.get("/checkin")

    assert page.status_code == 200
    assert "Conference" in page.get_data(as_text=True)
    assert "Site visit" in page.get_data(as_text=True)


def test_a_next_address_still_wins_and_others_land_on_events(client, app):
    make_event(slug="yard")
    staff = make_door_staff()
    delegate = make_user(Role.DELEGATE)
    boss = organiser()
    db.session.commit()

    assert sign_in(client, staff, query_string={"next": "/me"}).headers["Location"] == "/me"
    client.post("/auth/logout")
    assert sign_in(client, delegate).headers["Location"] == "/"
    client.post("/auth/logout")
    assert sign_in(client, boss).headers["Location"] == "/"
    assert client.get("/checkin").status_code == 200  # organisers always get the list


def test_search_results_carry_the_bookings_for_the_card(client, login, app):
    event = make_event(slug="conf")
    workshop = make_session(event, title="Lean workshop", capacity=10)
    ada = make_registration(event, make_user(name="Ada Lovelace"))
    make_booking(workshop, ada)
    make_registration(event, make_user(name="Ada Byron"))
    staff = make_door_staff(event)
    db.session.commit()
    login(staff)

    found = client.get("/api/checkin/conf/search?q=ada").get_json()["results"]

    assert [(r["name"], r["bookings"]) for r in found] == [
        ("Ada Byron", []),
        ("Ada Lovelace", ["Lean workshop"]),
    ]
