"""Announcements with a safety net: who gets it is counted before sending, a preview shows the
email exactly as the first person gets it, a test copy goes to the organiser alone, and an
announcement can be scheduled (and cancelled until it goes); its page shows its progress."""

import html
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from app.extensions import db
from app.messages.models import Announcement
from app.messages.scheduling import send_due_announcements
from app.outbox.delivery import deliver_due
from app.outbox.models import OutboxMessage
from app.registration.models import EmailLog, Registration
from app.timeutil import to_local, utcnow
from tests.factories import make_event, organiser
from tests.factories_registration import registered_user

TOKEN = "a" * 32


@pytest.fixture
def setup():
    event = make_event(title="Productivity Forum")
    people = {
        "ann": registered_user(event, "Ann Confirmed", "confirmed"),
        "abe": registered_user(event, "Abe Confirmed", "confirmed"),
        "cy": registered_user(event, "Cy Payment", "pending_payment"),
        "dee": registered_user(event, "Dee Waiting", "waitlisted"),
    }
    boss = organiser()
    db.session.commit()
    return {"event": event, "boss": boss, **people}


def _post(client, event, **data):
    form = {"audience": "confirmed", "subject": "Parking", "body": "Park in **car park B**.",
            "confirm": "y", "token": TOKEN, **data}  # fmt: skip
    return client.post(f"/organiser/events/{event.id}/messages", data=form)


def _written() -> tuple[int, int, int]:
    """Announcements, outbox rows and email log lines: what a refusal must leave untouched."""
    return tuple(
        db.session.execute(select(func.count()).select_from(model)).scalar_one()
        for model in (Announcement, OutboxMessage, EmailLog)
    )


def _local(event, moment) -> str:
    return to_local(moment, event.timezone).strftime("%Y-%m-%dT%H:%M")


def _srcdoc(page: str) -> str:
    return html.unescape(re.search(r'srcdoc="([^"]*)"', page).group(1))


def test_the_page_says_who_each_group_reaches(client, login, setup):
    login(setup["boss"])
    page = client.get(f"/organiser/events/{setup['event'].id}/messages").text
    summaries = dict(re.findall(r'<li data-key="([^"]+)">([^<]+)</li>', page))
    assert summaries["confirmed"] == "This goes to 2 people: 2 confirmed."
    assert summaries["with_place"] == "This goes to 3 people: 2 confirmed, 1 waiting on payment."
    assert summaries["everyone"] == (
        "This goes to 4 people: 2 confirmed, 1 waiting on payment, 1 on the waiting list."
    )
    assert summaries["pending_benchmark"] == "Nobody is in this group yet."
    # Without the script, the chosen group's count shows once the draft is previewed.
    previewed = _post(client, setup["event"], audience="everyone", action="preview").text
    assert (
        '<p id="audience-summary" class="fw-semibold" aria-live="polite">This goes to 4 people: '
        "2 confirmed, 1 waiting on payment, 1 on the waiting list.</p>" in previewed
    )


@pytest.mark.config(JOURNEY_INLINE_WORKER=False)
def test_the_preview_is_the_email_the_first_person_gets_and_writes_nothing(
    client, login, outbox, setup
):
    login(setup["boss"])
    response = _post(client, setup["event"], action="preview", confirm="")
    assert response.status_code == 200
    assert _written() == (0, 0, 0) and outbox == []
    page = response.text
    assert "Exactly as Abe Confirmed, the first of the group, will receive it." in page
    assert f'<dd class="col-9">{setup["abe"].email}</dd>' in page
    assert f'<dd class="col-9">{setup["boss"].email}</dd>' in page  # Reply-To
    preview = _srcdoc(page)
    assert "Dear Abe Confirmed," in preview and "<strong>car park B</strong>" in preview
    # Sent for real, Abe's copy is the very email the preview showed.
    assert _post(client, setup["event"]).status_code == 302
    deliver_due()
    sent = {m["To"]: m for m in outbox}
    assert sent[setup["abe"].email].get_body(("html",)).get_content() == preview


def test_a_test_copy_goes_to_the_organiser_alone_marked_as_a_test(client, login, outbox, setup):
    login(setup["boss"])
    response = _post(client, setup["event"], action="test", confirm="")
    assert response.status_code == 200
    assert f"A test copy, marked “[Test]”, is on its way to you at {setup['boss'].email}" in (
        response.text
    )
    [message] = outbox
    assert message["To"] == setup["boss"].email
    assert message["Subject"] == "[Test] Parking" and message["X-Journey-Test"] == "yes"
    assert "Dear Abe Confirmed," in message.get_body(("plain",)).get_content()
    assert _written() == (0, 1, 0)  # no announcement, nothing logged against a delegate
    row = db.session.execute(select(OutboxMessage)).scalar_one()
    assert (row.kind, row.user_id, row.event_id, row.status) == (
        "announcement_test", setup["boss"].id, setup["event"].id, "sent"
    )  # fmt: skip
    # The form is still filled in, ready to send for real, and the preview beside it is still
    # the first person's email, not the test copy.
    assert 'name="subject" required type="text" value="Parking"' in response.text
    abe = setup["abe"].email
    assert f'<dt class="col-3">To</dt><dd class="col-9">{abe}</dd>' in response.text
    assert '<dt class="col-3">Subject</dt><dd class="col-9">Parking</dd>' in response.text


@pytest.mark.config(JOURNEY_INLINE_WORKER=False)
def test_a_scheduled_announcement_goes_once_when_due_to_the_group_as_it_is_then(
    client, login, outbox, setup
):
    event = setup["event"]
    login(setup["boss"])
    due = (utcnow() + timedelta(hours=2)).replace(second=0, microsecond=0)
    response = _post(client, event, action="schedule", send_at=_local(event, due))
    assert response.status_code == 302
    announcement = db.session.execute(select(Announcement)).scalar_one()
    assert (announcement.status, announcement.scheduled_for) == ("scheduled", due)
    assert announcement.sent_at is None and announcement.recipients == 2
    assert _written() == (1, 0, 0)
    page = client.get(response.location).text
    when = to_local(due, event.timezone)
    assert f"Scheduled for {when:%A %-d %B %Y at %H:%M} ({event.timezone} time)" in page
    assert "Cancel this announcement" in page
    listed = client.get(f"/organiser/events/{event.id}/messages").text
    assert f"Goes {when:%a %-d %b %Y, %H:%M} ({event.timezone})" in listed
    # Someone confirmed before it goes is included.
    late = registered_user(event, "Lee Late", "confirmed")
    db.session.commit()
    assert send_due_announcements(now=due - timedelta(minutes=1)) == 0
    assert send_due_announcements(now=due) == 1
    db.session.commit()
    assert send_due_announcements(now=due + timedelta(minutes=1)) == 0  # sent once
    db.session.commit()
    deliver_due()
    assert sorted(m["To"] for m in outbox) == sorted(
        [setup["ann"].email, setup["abe"].email, late.email]
    )
    db.session.expire_all()
    announcement = db.session.get(Announcement, announcement.id)
    assert (announcement.status, announcement.sent_at, announcement.recipients) == (
        "sent", due, 3
    )  # fmt: skip
    # The same form again (a double click) schedules nothing more.
    assert _post(client, event, action="schedule", send_at=_local(event, due)).status_code == 302
    assert _written() == (1, 3, 3)


def test_a_scheduled_announcement_can_be_cancelled_until_it_goes(client, login, outbox, setup):
    event = setup["event"]
    login(setup["boss"])
    due = utcnow() + timedelta(days=1)
    first = _post(client, event, action="schedule", send_at=_local(event, due))
    second = _post(client, event, action="schedule", send_at=_local(event, due), token="b" * 32)
    cancel = first.location + "/cancel"
    response = client.post(cancel)
    assert response.status_code == 302
    assert "“Parking” is cancelled; nobody was sent it." in client.get(response.location).text
    assert client.post(cancel).status_code == 302  # twice: still cancelled, no error
    assert send_due_announcements(now=due + timedelta(minutes=1)) == 1  # only the other one
    db.session.commit()
    statuses = db.session.execute(
        select(Announcement.form_token, Announcement.status).order_by(Announcement.id)
    ).all()
    assert statuses == [(TOKEN, "cancelled"), ("b" * 32, "sent")]
    before = _written()
    too_late = client.post(second.location + "/cancel")
    assert too_late.status_code == 409 and "Too late to cancel" in too_late.text
    assert _written() == before
    assert db.session.execute(select(Announcement.status)).scalars().all() == [
        "cancelled", "sent"
    ]  # fmt: skip


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"action": "schedule", "send_at": ""}, "Choose the date and time to send it."),
        ({"action": "schedule", "send_at": "next tuesday"}, "Not a valid datetime value."),
        ({"action": "schedule", "send_at": "2020-01-01T09:00"}, "Choose a time in the future"),
        ({"action": "schedule", "send_at": "9999-12-31T23:59"}, "within the next year"),
        ({"action": "schedule", "send_at": "0001-01-01T00:00"}, "Choose a time in the future"),
        ({"action": "schedule", "confirm": ""}, "Tick this box to send."),
        ({"action": "launch"}, "Choose one of the buttons"),
        ({"action": "preview", "audience": "session-99999"}, "Not a valid choice"),
        ({"action": "test", "subject": ""}, "This field is required"),
        ({"action": "preview", "audience": "pending_benchmark", "subject": "x" * 151},
         "Field cannot be longer than 150 characters"),
    ],
)  # fmt: skip
def test_bad_input_is_refused_and_writes_nothing(client, login, outbox, setup, changes, message):
    login(setup["boss"])
    response = _post(client, setup["event"], **changes)
    assert response.status_code == 422
    assert message in html.unescape(response.text)
    assert _written() == (0, 0, 0) and outbox == []


@pytest.mark.config(JOURNEY_INLINE_WORKER=False)
def test_the_announcement_page_shows_queued_sent_and_failed(client, login, outbox, setup):
    login(setup["boss"])
    response = _post(client, setup["event"], audience="everyone")
    assert response.status_code == 302

    def counts() -> list[tuple[str, str]]:
        page = client.get(response.location).text
        progress = page[page.index('id="progress"') :].split("</ul>")[0]
        return re.findall(r"<strong>(\d+)</strong> (queued|sent|failed)", progress)

    assert counts() == [("4", "queued"), ("0", "sent"), ("0", "failed")]
    refresh = '<meta http-equiv="refresh" content="5">'
    assert refresh in client.get(response.location).text  # follows the workers by itself
    first = db.session.execute(select(func.min(OutboxMessage.id))).scalar_one()
    db.session.execute(
        update(OutboxMessage).where(OutboxMessage.id == first).values(status="failed")
    )
    db.session.commit()
    deliver_due()
    assert counts() == [("0", "queued"), ("3", "sent"), ("1", "failed")]
    assert refresh not in client.get(response.location).text  # done: nothing left to follow


def test_announcement_pages_belong_to_their_event(client, login, setup):
    other = make_event()
    db.session.commit()
    login(setup["boss"])
    sent = _post(client, setup["event"])
    announcement_id = db.session.execute(select(Announcement.id)).scalar_one()
    assert client.get(sent.location).status_code == 200
    elsewhere = f"/organiser/events/{other.id}/messages/{announcement_id}"
    assert client.get(elsewhere).status_code == 404
    assert client.post(f"{elsewhere}/cancel").status_code == 404
    assert client.get(f"/organiser/events/{setup['event'].id}/messages/999999").status_code == 404
    delegate = setup["ann"]
    login(delegate)
    assert client.get(sent.location).status_code == 403
    assert client.post(sent.location + "/cancel").status_code == 403


@pytest.mark.config(JOURNEY_INLINE_WORKER=False)
def test_queuing_writes_one_complete_row_per_person_in_statements_that_do_not_grow(
    client, login, count_queries, setup
):
    event = setup["event"]
    login(setup["boss"])
    with count_queries() as few:
        assert _post(client, event, audience="everyone").status_code == 302
    for n in range(30):
        registered_user(event, f"Extra {n:02}", "confirmed")
    db.session.commit()
    with count_queries() as many:
        assert _post(client, event, audience="everyone", token="b" * 32).status_code == 302
    assert len(many) == len(few)  # 4 people or 34: the same statements
    first, second = db.session.execute(select(Announcement).order_by(Announcement.id)).scalars()
    rows = db.session.execute(
        select(OutboxMessage).where(OutboxMessage.batch == f"announcement-{second.id}")
    ).scalars().all()  # fmt: skip
    registrations = {
        r.id: r.user
        for r in db.session.execute(
            select(Registration).where(Registration.event_id == event.id)
        ).scalars()
    }
    assert (first.recipients, second.recipients, len(rows)) == (4, 34, 34)
    assert sorted(r.registration_id for r in rows) == sorted(registrations)
    for row in rows:
        user = registrations[row.registration_id]
        assert (row.to, row.user_id, row.event_id, row.kind, row.status, row.renderer) == (
            user.email, user.id, event.id, "announcement", "queued", "announcement"
        )  # fmt: skip
        assert (row.subject, row.payload, row.attempts) == (
            "Parking",
            {"announcement_id": second.id},
            0,
        )
        assert re.fullmatch(r"<[0-9a-f]{32}\.\d+@journey>", row.message_id)
    assert len({row.message_id for row in rows}) == 34
    logged = db.session.execute(
        select(EmailLog.registration_id, EmailLog.to, EmailLog.extra).where(
            EmailLog.subject == "Parking"
        )
    ).all()
    assert len(logged) == 38
    assert {(r, t) for r, t, e in logged if e == {"announcement_id": second.id}} == {
        (row.registration_id, row.to) for row in rows
    }


def _subjects(part: str) -> list[str]:
    """The announcements' subjects listed in this part of the messages page, in order."""
    return re.findall(r'<a class="fw-semibold" href="[^"]+">([^<]+)</a>', part)


@pytest.mark.config(JOURNEY_INLINE_WORKER=False)
def test_the_list_puts_the_soonest_scheduled_first_and_sent_ones_by_when_they_went(
    client, login, setup
):
    event = setup["event"]
    login(setup["boss"])
    now = utcnow()
    for token, subject, due in [
        ("1" * 32, "Written first, goes in an hour", now + timedelta(hours=1)),
        ("2" * 32, "Goes tomorrow", now + timedelta(days=1)),
        ("3" * 32, "Goes in three days", now + timedelta(days=3)),
    ]:
        response = _post(client, event, action="schedule", subject=subject, token=token,
                         send_at=_local(event, due + timedelta(minutes=1)))  # fmt: skip
        assert response.status_code == 302
    assert _post(client, event, subject="Sent at once", token="4" * 32).status_code == 302
    assert send_due_announcements(now=now + timedelta(hours=2)) == 1
    db.session.commit()
    page = client.get(f"/organiser/events/{event.id}/messages").text
    scheduled = page[page.index(">Scheduled</h2>") : page.index(">Sent</h2>")]
    assert _subjects(scheduled) == ["Goes tomorrow", "Goes in three days"]
    # The hour's announcement went after "Sent at once", so it is the latest sent.
    assert _subjects(page[page.index(">Sent</h2>") :]) == [
        "Written first, goes in an hour", "Sent at once"
    ]  # fmt: skip


@pytest.mark.config(JOURNEY_INLINE_WORKER=False)
def test_the_time_to_send_is_read_in_the_events_time_zone(client, login, outbox, setup):
    """India is UTC+5:30 all year, so this holds on any day (London agrees with UTC in winter,
    where a time read as UTC would pass unnoticed)."""
    event = setup["event"]
    event.timezone = "Asia/Kolkata"
    db.session.commit()
    login(setup["boss"])
    due = (utcnow() + timedelta(days=2)).replace(second=0, microsecond=0)
    typed = (due + timedelta(hours=5, minutes=30)).strftime("%Y-%m-%dT%H:%M")
    response = _post(client, event, action="schedule", send_at=typed)
    assert response.status_code == 302
    announcement = db.session.execute(select(Announcement)).scalar_one()
    assert announcement.scheduled_for == due
    wall = due + timedelta(hours=5, minutes=30)
    page = client.get(response.location).text
    assert f"Scheduled for {wall:%A %-d %B %Y at %H:%M} (Asia/Kolkata time)" in page
    assert send_due_announcements(now=due - timedelta(minutes=1)) == 0
    assert send_due_announcements(now=due) == 1


def test_a_scheduled_announcement_counts_its_group_as_it_is_now(client, login, setup):
    event = setup["event"]
    login(setup["boss"])
    due = utcnow() + timedelta(days=1)
    response = _post(client, event, action="schedule", send_at=_local(event, due))
    assert "2 people today" in client.get(response.location).text
    registered_user(event, "Lee Late", "confirmed")
    db.session.commit()
    assert "3 people today" in client.get(response.location).text
    listed = client.get(f"/organiser/events/{event.id}/messages").text
    assert "Confirmed delegates · 3 people now" in listed
