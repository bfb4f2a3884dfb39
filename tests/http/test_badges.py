"""Printable name badges: confirmed delegates only, by surname, filtered by ticket type."""

from app.auth.models import Role
from app.events.models import TicketType
from app.extensions import db
from app.registration.models import Registration
from app.registration.tickets import new_ticket_secret
from tests.factories import make_event, make_organisation, make_user, organiser


def ticket_holder(event, name, status="confirmed", ticket_type=None, **kw):
    user = make_user(name=name, organisation=make_organisation(f"{name} Ltd"), **kw)
    registration = Registration(
        event=event,
        user=user,
        ticket_type=ticket_type or event.ticket_types[0],
        status=status,
        active_user_id=user.id,
        ticket_secret=new_ticket_secret() if status == "confirmed" else None,
    )
    db.session.add(registration)
    db.session.flush()
    return registration


def test_badges_for_confirmed_delegates_by_surname(client, login, count_queries):
    event = make_event(title="Productivity Forum")
    dinner = TicketType(event_id=event.id, name="Dinner", price_pence=4500, position=1)
    db.session.add(dinner)
    ticket_holder(event, "Zoe Adams", job_title="Plant Manager")
    ticket_holder(event, "Al Zephyr", ticket_type=dinner)
    ticket_holder(event, "Bea Brown")
    ticket_holder(event, "Pat Pending", status="pending_benchmark")
    ticket_holder(event, "Wes Waiting", status="waitlisted")
    ticket_holder(make_event(), "Oz Other")
    boss = organiser()
    db.session.commit()
    login(boss)
    with count_queries() as queries:
        response = client.get(f"/organiser/events/{event.id}/badges")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert html.count('<section class="badge"') == 3
    names = ["Zoe Adams", "Bea Brown", "Al Zephyr"]
    assert [html.index(f'<div class="name">{n}</div>') for n in names] == sorted(
        html.index(f'<div class="name">{n}</div>') for n in names
    )
    assert '<div class="role">Plant Manager</div>' in html
    assert '<div class="org">Zoe Adams Ltd</div>' in html
    assert html.count("<svg") == 3
    for absent in ("Pat Pending", "Wes Waiting", "Oz Other"):
        assert absent not in html
    assert len(queries) <= 6

    only_dinner = client.get(f"/organiser/events/{event.id}/badges?ticket_type={dinner.id}")
    assert only_dinner.get_data(as_text=True).count('<section class="badge"') == 1
    assert "Al Zephyr" in only_dinner.get_data(as_text=True)


def test_badges_refuse_other_events_ticket_types_and_non_organisers(client, login):
    event = make_event()
    other = make_event()
    delegate = make_user()
    door = make_user(Role.DOOR_STAFF)
    boss = organiser()
    db.session.commit()
    url = f"/organiser/events/{event.id}/badges"
    assert client.get(url).status_code == 302
    for user in (delegate, door):
        login(user)
        assert client.get(url).status_code == 403
    login(boss)
    assert client.get(f"{url}?ticket_type={other.ticket_types[0].id}").status_code == 404
    assert client.get(f"{url}?ticket_type=abc").status_code == 404
    assert client.get("/organiser/events/999999/badges").status_code == 404
    empty = client.get(url)
    assert empty.status_code == 200 and "No confirmed delegates" in empty.get_data(as_text=True)
