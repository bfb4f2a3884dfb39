"""Organisers email delegates: the right group, one personal email each, sent once."""

import pytest
from sqlalchemy import func, select

from app.auth.models import Role
from app.extensions import db
from app.messages.models import Announcement
from app.outbox.delivery import deliver_due
from app.outbox.models import OutboxMessage
from app.registration.models import EmailLog, Registration
from tests.conftest import csrf_token_from
from tests.factories import make_event, make_session, make_user, organiser
from tests.factories_agenda import make_booking

TOKEN = "a" * 32


def _register(event, name, status):
    user = make_user(name=name)
    registration = Registration(
        event=event,
        user=user,
        ticket_type=event.ticket_types[0],
        status=status,
        active_user_id=None if status == "cancelled" else user.id,
    )
    db.session.add(registration)
    db.session.flush()
    return user


@pytest.fixture
def setup():
    event = make_event(title="Productivity Forum")
    other = make_event()
    people = {
        "ann": _register(event, "Ann Confirmed", "confirmed"),
        "bea": _register(event, "Bea Benchmark", "pending_benchmark"),
        "cy": _register(event, "Cy Payment", "pending_payment"),
        "dee": _register(event, "Dee Waiting", "waitlisted"),
        "eve": _register(event, "Eve Cancelled", "cancelled"),
        "fay": _register(other, "Fay Elsewhere", "confirmed"),
    }
    workshop = make_session(event, title="Lean lab", capacity=10)
    make_booking(workshop, user=people["ann"])
    boss = organiser()
    db.session.commit()
    return {"event": event, "other": other, "workshop": workshop, "boss": boss, **people}


def _post(client, event, **data):
    form = {"audience": "confirmed", "subject": "Parking", "body": "Park in **car park B**.",
            "confirm": "y", "token": TOKEN, **data}  # fmt: skip
    return client.post(f"/organiser/events/{event.id}/messages", data=form)


def _sent() -> int:
    return db.session.execute(select(func.count(Announcement.id))).scalar_one()


@pytest.mark.parametrize(
    "audience, names",
    [
        ("confirmed", ["Ann Confirmed"]),
        ("with_place", ["Ann Confirmed", "Bea Benchmark", "Cy Payment"]),
        ("pending_benchmark", ["Bea Benchmark"]),
        ("pending_payment", ["Cy Payment"]),
        ("waitlisted", ["Dee Waiting"]),
    ],
)
def test_each_group_gets_exactly_its_people(client, login, outbox, setup, audience, names):
    login(setup["boss"])
    response = _post(client, setup["event"], audience=audience)
    assert response.status_code == 302
    by_email = {setup[k].email: setup[k].name for k in ("ann", "bea", "cy", "dee", "eve", "fay")}
    assert sorted(by_email[m["To"]] for m in outbox) == names
    logged = db.session.execute(select(EmailLog).where(EmailLog.kind == "announcement")).scalars()
    assert sorted(log.to for log in logged) == sorted(m["To"] for m in outbox)


def test_the_email_is_personal_sanitised_and_replies_go_to_the_organiser(
    client, login, outbox, setup
):
    login(setup["boss"])
    body = "Park in **car park B**.\n\n<script>alert(1)</script>[map](javascript:alert(1))"
    response = _post(client, setup["event"], body=body, subject="  Parking  ")
    assert response.status_code == 302
    [message] = outbox
    assert message["Subject"] == "Parking"
    assert message["Reply-To"] == setup["boss"].email
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert text.startswith("Dear Ann Confirmed,") and "Park in **car park B**." in text
    assert "Dear Ann Confirmed" in html and "<strong>car park B</strong>" in html
    assert "<script" not in html and "javascript:" not in html
    page = client.get(f"/organiser/events/{setup['event'].id}/messages").get_data(as_text=True)
    assert "“Parking” is on its way to 1 person." in page
    assert "Confirmed delegates · 1 person" in page


def test_session_bookers_of_this_event_only(client, login, outbox, setup):
    login(setup["boss"])
    page = client.get(f"/organiser/events/{setup['event'].id}/messages").get_data(as_text=True)
    key = f"session-{setup['workshop'].id}"
    assert f'<option value="{key}">Booked on “Lean lab” (1)</option>' in page
    assert _post(client, setup["event"], audience=key).status_code == 302
    assert [m["To"] for m in outbox] == [setup["ann"].email]
    foreign = make_session(setup["other"], title="Elsewhere", capacity=5)
    make_booking(foreign, user=setup["fay"])
    db.session.commit()
    refused = _post(client, setup["event"], audience=f"session-{foreign.id}", token="b" * 32)
    assert refused.status_code == 422 and "Not a valid choice" in refused.get_data(as_text=True)
    assert len(outbox) == 1 and _sent() == 1


def test_a_double_submit_sends_once(client, login, outbox, setup):
    login(setup["boss"])
    assert _post(client, setup["event"], audience="with_place").status_code == 302
    assert _post(client, setup["event"], audience="with_place").status_code == 302
    assert len(outbox) == 3 and _sent() == 1
    # A new form (new token) is a new announcement.
    assert _post(client, setup["event"], token="c" * 32).status_code == 302
    assert len(outbox) == 4 and _sent() == 2


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"audience": ""}, "This field is required"),
        ({"audience": "everyone-ever"}, "Not a valid choice"),
        ({"audience": "session-99999"}, "Not a valid choice"),
        ({"subject": "   "}, "This field is required"),
        ({"subject": "x" * 151}, "Field cannot be longer than 150 characters"),
        ({"body": ""}, "This field is required"),
        ({"confirm": ""}, "Tick this box to send."),
        ({"token": "../../etc"}, "This form had expired."),
    ],
)
def test_bad_input_is_refused_and_sends_nothing(client, login, outbox, setup, changes, message):
    login(setup["boss"])
    response = _post(client, setup["event"], **changes)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert outbox == [] and _sent() == 0


def test_an_empty_group_is_refused(client, login, outbox):
    event = make_event()
    boss = organiser()
    db.session.commit()
    login(boss)
    response = _post(client, event)
    assert response.status_code == 422
    assert "Nobody is in that group yet" in response.get_data(as_text=True)
    assert outbox == [] and _sent() == 0


def test_only_organisers_may_send(client, login, outbox, setup):
    url = f"/organiser/events/{setup['event'].id}/messages"
    assert client.get(url).status_code == 302
    for role in (Role.DELEGATE, Role.DOOR_STAFF):
        user = make_user(role)
        db.session.commit()
        login(user)
        assert client.get(url).status_code == 403
        assert _post(client, setup["event"]).status_code == 403
    # Still signed in as door staff: refused before the event is looked up, so a missing event
    # and someone else's look alike.
    assert client.get("/organiser/events/999999/messages").status_code == 403
    login(setup["boss"])
    assert client.get("/organiser/events/999999/messages").status_code == 404
    assert outbox == [] and _sent() == 0


@pytest.mark.config(WTF_CSRF_ENABLED=True)
def test_the_form_needs_its_csrf_token(client, login, outbox, setup):
    login(setup["boss"])
    url = f"/organiser/events/{setup['event'].id}/messages"
    assert _post(client, setup["event"]).status_code == 400
    token = csrf_token_from(client.get(url).get_data(as_text=True))
    assert _post(client, setup["event"], csrf_token=token).status_code == 302
    assert len(outbox) == 1


@pytest.mark.config(JOURNEY_INLINE_WORKER=False)
def test_a_large_group_costs_a_fixed_number_of_queries(client, login, outbox, count_queries):
    event = make_event()
    for n in range(40):
        _register(event, f"Delegate {n:02}", "confirmed")
    boss = organiser()
    db.session.commit()
    login(boss)
    with count_queries() as queries:
        assert _post(client, event).status_code == 302
    assert len(queries) <= 14
    # The request only queued them, one row each; the workers build and send them.
    assert outbox == []
    queued = db.session.execute(
        select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
    ).all()
    assert queued == [("queued", 40)]
    with count_queries() as queries:
        outcome = deliver_due()
    assert (outcome.sent, outcome.failed, len(outbox)) == (40, 0, 40)
    assert len(queries) <= 9  # claim, rows, announcement, recipients, sent; then none left
    assert {m["Reply-To"] for m in outbox} == {boss.email}
    assert sorted(m["To"] for m in outbox) == sorted(
        db.session.execute(select(OutboxMessage.to)).scalars()
    )
