"""The organiser's registrations screen: filters, counts, export and actions."""

import csv
import io

import pytest
from sqlalchemy import select

from app.events.models import Event
from app.extensions import db
from app.registration import services
from app.registration.models import RegistrationLog
from tests.factories import make_event, make_organisation, make_user, organiser
from tests.factories_registration import make_delegate

S = services.S


@pytest.fixture
def boss(login):
    user = login(organiser())
    db.session.commit()
    return user


def _list(event) -> str:
    return f"/organiser/events/{event.id}/registrations"


def _scenario():
    event = make_event(capacity=3, price_pence=1500)
    tt = event.ticket_types[0]
    ann = make_delegate(name="Ann Able", organisation=make_organisation("Able Castings Ltd"))
    bob = make_delegate(name="Bob Bench", benchmark=False)
    cat = make_delegate(name="=Cat Formula")
    dan = make_delegate(name="Dan Wait")
    regs = {
        "ann": services.register_delegate(ann, event, tt),
        "bob": services.register_delegate(bob, event, tt),
        "cat": services.register_delegate(cat, event, tt),
        "dan": services.register_delegate(dan, event, tt, join_waitlist=True),
    }
    services.mark_paid(regs["ann"], None, amount_pence=1500)
    services.mark_paid(regs["bob"], None, amount_pence=1500)
    db.session.commit()
    return event, regs


def test_only_organisers_see_registrations(client, login):
    event, _ = _scenario()
    login(make_delegate())
    db.session.commit()
    assert client.get(_list(event)).status_code == 403
    assert client.get(_list(event) + ".csv").status_code == 403


def test_list_shows_counts_and_filters(client, boss):
    event, regs = _scenario()
    page = client.get(_list(event)).text
    for name in ("Ann Able", "Bob Bench", "=Cat Formula", "Dan Wait"):
        assert name in page
    assert 'data-count="confirmed">1<' in page
    assert 'data-count="pending_benchmark">1<' in page
    assert 'data-count="pending_payment">1<' in page
    assert 'data-count="waitlisted">1<' in page
    filtered = client.get(_list(event) + "?status=waitlisted").text
    assert "Dan Wait" in filtered and "Ann Able" not in filtered
    assert "#1" in filtered
    by_org = client.get(_list(event) + "?q=able+castings").text
    assert "Ann Able" in by_org and "Bob Bench" not in by_org
    by_email = client.get(_list(event) + f"?q={regs['bob'].user.email.upper()}").text
    assert "Bob Bench" in by_email and "Ann Able" not in by_email
    missing = client.get(_list(event) + "?benchmark=missing").text
    assert "Bob Bench" in missing and "Ann Able" not in missing
    tt = event.ticket_types[0].id
    assert "Ann Able" in client.get(_list(event) + f"?ticket_type={tt}").text
    assert "No registrations match" in client.get(_list(event) + "?ticket_type=999999").text
    # Nonsense filters are ignored, never a 500.
    assert client.get(_list(event) + "?status=bogus&ticket_type=x&benchmark=?").status_code == 200
    assert client.get("/organiser/events/999999/registrations").status_code == 404


def test_list_uses_a_fixed_number_of_queries(client, boss, count_queries):
    event = make_event(capacity=None)
    services.register_delegate(make_delegate(), event, event.ticket_types[0])
    db.session.commit()
    with count_queries() as few:
        client.get(_list(event))
    for _ in range(6):
        services.register_delegate(make_delegate(), event, event.ticket_types[0])
    db.session.commit()
    with count_queries() as many:
        page = client.get(_list(event)).text
    assert page.count('<tr id="reg-') == 7
    assert len(many) == len(few)


def test_csv_export_has_every_column_and_defuses_formulas(client, boss):
    event, regs = _scenario()
    response = client.get(_list(event) + ".csv")
    assert response.mimetype == "text/csv"
    assert f'filename="{event.slug}-registrations.csv"' in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text.lstrip("\ufeff"))))
    assert [r["name"] for r in rows] == ["Ann Able", "Bob Bench", "'=Cat Formula", "Dan Wait"]
    ann = rows[0]
    assert (ann["status"], ann["benchmark_valid"], ann["amount_paid"]) == (
        "confirmed",
        "yes",
        "15.00",
    )
    assert ann["organisation"] == "Able Castings Ltd"
    assert rows[1]["benchmark_valid"] == "no"
    assert rows[3]["waitlist_position"] == "1"
    only = list(
        csv.DictReader(
            io.StringIO(client.get(_list(event) + ".csv?status=waitlisted").text.lstrip("\ufeff"))
        )
    )
    assert [r["name"] for r in only] == ["Dan Wait"]


def test_mark_paid_confirms_an_invoice_ticket_and_records_who(client, boss, outbox):
    event, regs = _scenario()
    cat = regs["cat"]
    response = client.post(f"/organiser/registrations/{cat.id}/mark-paid")
    assert response.status_code == 303
    db.session.expire_all()
    assert cat.status == S.CONFIRMED
    assert cat.marked_paid_by_id == boss.id
    assert cat.amount_paid_pence == 1500
    assert outbox[-1]["Subject"] == f"Your ticket for {event.title}"
    again = client.post(f"/organiser/registrations/{cat.id}/mark-paid", follow_redirects=True)
    assert "already marked paid" in again.text


def test_confirm_by_hand_skips_the_benchmark(client, boss):
    event, regs = _scenario()
    bob = regs["bob"]
    client.post(f"/organiser/registrations/{bob.id}/confirm")
    db.session.expire_all()
    assert bob.status == S.CONFIRMED and bob.ticket_secret
    log = db.session.execute(
        select(RegistrationLog).where(
            RegistrationLog.registration_id == bob.id, RegistrationLog.action == "confirmed"
        )
    ).scalar_one()
    assert (log.actor_id, log.detail) == (boss.id, "confirmed by an organiser")


def test_cancel_moves_the_seat_to_the_waiting_list(client, boss):
    event, regs = _scenario()
    response = client.post(
        f"/organiser/registrations/{regs['ann'].id}/cancel",
        data={"next": f"/organiser/registrations/{regs['ann'].id}"},
    )
    assert response.location == f"/organiser/registrations/{regs['ann'].id}"
    db.session.expire_all()
    assert regs["ann"].status == S.CANCELLED
    assert regs["ann"].cancelled_by_id == boss.id
    assert regs["dan"].status == S.PENDING_PAYMENT  # promoted; still has to pay
    assert db.session.get(Event, event.id).seats_taken == 3
    detail = client.get(f"/organiser/registrations/{regs['ann'].id}").text
    assert "cancelled by an organiser" in detail


def test_give_a_seat_from_the_waiting_list_needs_a_free_seat(client, boss):
    event, regs = _scenario()
    dan = regs["dan"]
    response = client.post(f"/organiser/registrations/{dan.id}/admit", follow_redirects=True)
    assert "There is no free seat" in response.text
    db.session.get(Event, event.id).capacity = 4
    db.session.commit()
    response = client.post(f"/organiser/registrations/{dan.id}/admit", follow_redirects=True)
    assert "Dan Wait has a seat now (awaiting payment)" in response.text
    db.session.expire_all()
    assert dan.status == S.PENDING_PAYMENT and dan.holds_seat


def test_resend_the_ticket_email(client, boss, outbox):
    event, regs = _scenario()
    outbox.clear()
    client.post(f"/organiser/registrations/{regs['ann'].id}/resend")
    assert [(m["To"], m["Subject"]) for m in outbox] == [
        (regs["ann"].user.email, f"Your ticket for {event.title}")
    ]
    response = client.post(
        f"/organiser/registrations/{regs['dan'].id}/resend", follow_redirects=True
    )
    assert "There is no ticket to send" in response.text
    assert len(outbox) == 1
    assert client.post("/organiser/registrations/999999/resend").status_code == 404


def test_detail_page_shows_history_and_emails(client, boss):
    event, regs = _scenario()
    page = client.get(f"/organiser/registrations/{regs['ann'].id}").text
    assert "registered" in page and "paid" in page
    assert f"Your ticket for {event.title}" in page


@pytest.mark.config(WTF_CSRF_ENABLED=True)
def test_actions_need_the_csrf_token(client, boss):
    event, regs = _scenario()
    assert client.post(f"/organiser/registrations/{regs['ann'].id}/cancel").status_code == 400
    db.session.expire_all()
    assert regs["ann"].status == S.CONFIRMED


def test_door_staff_cannot_act(client, login):
    event, regs = _scenario()
    login(make_user(role="door_staff"))
    db.session.commit()
    assert client.post(f"/organiser/registrations/{regs['ann'].id}/cancel").status_code == 403
