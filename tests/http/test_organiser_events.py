from sqlalchemy import func, select

from app.events.models import Event, Room, TicketType, Venue
from app.extensions import db
from tests.factories import make_event, make_user, make_venue

EVENT_FORM = {
    "title": "Lean in the Fens",
    "slug": "",
    "kind": "workshop",
    "summary": "Half a day of value stream mapping.",
    "description": "Bring a product family.",
    "venue_id": "0",
    "starts_at": "2031-03-10T09:30",
    "ends_at": "2031-03-10T13:00",
    "capacity": "24",
    "registration_opens_at": "",
    "registration_closes_at": "",
    "requires_benchmark": "y",
    "host_organisation_id": "0",
    "pillars": ["lean", "quality"],
}


def _events() -> int:
    return db.session.execute(select(func.count()).select_from(Event)).scalar_one()


def test_organiser_creates_edits_and_publishes_an_event(client, login):
    login(make_user("organiser"))
    venue = make_venue()
    db.session.commit()
    response = client.post("/organiser/events/new", data={**EVENT_FORM, "venue_id": venue.id})
    assert response.status_code == 302
    event = db.session.execute(select(Event)).scalar_one()
    assert (event.slug, event.status, event.kind) == ("lean-in-the-fens", "draft", "workshop")
    assert event.starts_at.isoformat() == "2031-03-10T09:30:00"  # GMT in March: UTC = local
    assert event.pillars == ["lean", "quality"]
    assert client.get(f"/events/{event.slug}").status_code == 404  # still a draft

    edit = client.post(
        f"/organiser/events/{event.id}/edit",
        data={**EVENT_FORM, "venue_id": venue.id, "title": "Lean in the Fens (full)",
              "starts_at": "2031-06-10T09:30", "ends_at": "2031-06-10T13:00"},
    )  # fmt: skip
    assert edit.status_code == 302
    db.session.refresh(event)
    assert event.title == "Lean in the Fens (full)"
    assert event.starts_at.isoformat() == "2031-06-10T08:30:00"  # BST

    # Published once it has a ticket on sale (the checklist refuses it before).
    refused = client.post(f"/organiser/events/{event.id}/status/published")
    assert refused.status_code == 303 and _status(event) == "draft"
    ticket = client.post(f"/organiser/events/{event.id}/tickets/new",
                         data={"name": "Delegate", "price": "0"})  # fmt: skip
    assert ticket.status_code == 302
    assert client.post(f"/organiser/events/{event.id}/status/published").status_code == 302
    assert client.get(f"/events/{event.slug}").status_code == 200
    assert "Lean in the Fens (full)" in client.get("/").get_data(as_text=True)


def _status(event) -> str:
    db.session.refresh(event)
    return event.status


def test_event_form_refuses_end_before_start_and_writes_nothing(client, login):
    login(make_user("organiser"))
    db.session.commit()
    data = {**EVENT_FORM, "ends_at": "2031-03-10T08:00"}
    response = client.post("/organiser/events/new", data=data)
    assert response.status_code == 422
    assert "must end after it starts" in response.get_data(as_text=True)
    bad_date = client.post("/organiser/events/new", data={**EVENT_FORM, "starts_at": "tomorrow"})
    assert bad_date.status_code == 422
    bad_cap = client.post("/organiser/events/new", data={**EVENT_FORM, "capacity": "-3"})
    assert bad_cap.status_code == 422
    assert _events() == 0


def test_publishing_needs_a_venue(client, login):
    login(make_user("organiser"))
    db.session.commit()
    client.post("/organiser/events/new", data=EVENT_FORM)
    event = db.session.execute(select(Event)).scalar_one()
    response = client.post(f"/organiser/events/{event.id}/status/published", follow_redirects=True)
    assert "Choose a venue." in response.get_data(as_text=True)
    db.session.refresh(event)
    assert event.status == "draft"


def test_unknown_status_and_unknown_event_are_refused(client, login):
    login(make_user("organiser"))
    event = make_event(status="draft")
    db.session.commit()
    response = client.post(f"/organiser/events/{event.id}/status/exploded", follow_redirects=True)
    assert "Unknown status" in response.get_data(as_text=True)
    assert client.get("/organiser/events/99999").status_code == 404
    assert client.get("/organiser/events/99999/edit").status_code == 404


def test_venues_and_rooms(client, login):
    login(make_user("organiser"))
    db.session.commit()
    response = client.post(
        "/organiser/venues/new", data={"name": "Hall", "address": "1 Road", "postcode": "NR1 1AA"}
    )
    assert response.status_code == 302
    venue = db.session.execute(select(Venue)).scalar_one()
    add = client.post(f"/organiser/venues/{venue.id}/rooms",
                      data={"room-name": "Room 1", "room-capacity": "40"})  # fmt: skip
    assert add.status_code == 302
    dup = client.post(f"/organiser/venues/{venue.id}/rooms",
                      data={"room-name": "room 1", "room-capacity": "10"})  # fmt: skip
    assert dup.status_code == 303
    assert db.session.execute(select(func.count()).select_from(Room)).scalar_one() == 1
    assert "Room 1" in client.get(f"/organiser/venues/{venue.id}").get_data(as_text=True)
    missing_name = client.post("/organiser/venues/new", data={"name": ""})
    assert missing_name.status_code == 422


def test_ticket_types(client, login):
    login(make_user("organiser"))
    event = make_event()
    db.session.commit()
    response = client.post(
        f"/organiser/events/{event.id}/tickets/new",
        data={"name": "Dinner", "price": "45.00", "capacity": "80"},
    )
    assert response.status_code == 302
    dinner = db.session.execute(select(TicketType).where(TicketType.name == "Dinner")).scalar_one()
    assert dinner.price_pence == 4500
    negative = client.post(
        f"/organiser/events/{event.id}/tickets/new", data={"name": "Bad", "price": "-1"}
    )
    assert negative.status_code == 422
    too_cheap = client.post(
        f"/organiser/events/{event.id}/tickets/new", data={"name": "Cheap", "price": "0.10"}
    )
    assert too_cheap.status_code == 422
    assert "at least £0.30" in too_cheap.get_data(as_text=True)
    other = make_event()
    db.session.commit()
    cross = client.get(f"/organiser/events/{other.id}/tickets/{dinner.id}")
    assert cross.status_code == 404
    assert db.session.execute(select(func.count()).select_from(TicketType)).scalar_one() == 3


def test_capacity_cannot_drop_below_seats_taken(client, login):
    login(make_user("organiser"))
    venue = make_venue()
    event = make_event(venue=venue, capacity=10)
    event.seats_taken = 8
    db.session.commit()
    data = {**EVENT_FORM, "venue_id": venue.id, "capacity": "5", "title": event.title,
            "slug": event.slug}  # fmt: skip
    response = client.post(f"/organiser/events/{event.id}/edit", data=data)
    assert response.status_code == 422
    assert "8 seats are already taken" in response.get_data(as_text=True)
    db.session.refresh(event)
    assert event.capacity == 10


def test_dashboard_lists_coming_events_soonest_first_then_past_with_counts(client, login):
    import re
    from datetime import timedelta

    from tests.factories_checkin import make_registration

    login(make_user("organiser"))
    later = make_event(title="Later conference", starts_in=timedelta(days=90))
    soon = make_event(title="Soon workshop", starts_in=timedelta(days=5))
    past = make_event(title="Spring workshop", starts_in=timedelta(days=-60))
    for status in ("confirmed", "confirmed", "pending_benchmark", "pending_payment",
                   "waitlisted", "cancelled"):  # fmt: skip
        make_registration(soon, status=status)
    db.session.commit()
    html = client.get("/organiser/").get_data(as_text=True)
    coming, old = html.split("Coming up", 1)[1].split(">Past<", 1)
    assert coming.index("Soon workshop") < coming.index("Later conference")
    assert "Spring workshop" in old and "Spring workshop" not in coming
    row = coming.split("Soon workshop", 1)[1].split("</tr>", 1)[0]
    cells = re.findall(r'<td class="text-end">(.*?)</td>', row)
    assert cells[0] == "2" and cells[1].endswith(">2</a>") and cells[2] == "1"
    assert later.title in coming and past.title in old
