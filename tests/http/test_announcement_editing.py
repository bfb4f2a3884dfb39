"""A scheduled announcement can be changed (what it says, to whom, when) until it goes: it then
goes as changed, once; a change that comes too late, or is bad, is refused and writes nothing."""

import html
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.messages.models import Announcement
from app.messages.scheduling import change_scheduled_announcement, send_due_announcements
from app.messages.services import MessageError
from app.outbox.delivery import deliver_due
from app.outbox.models import OutboxMessage
from app.timeutil import to_local, utcnow
from tests.factories import make_event, make_user
from tests.factories_registration import registered_user


def _local(event, moment) -> str:
    return to_local(moment, event.timezone).strftime("%Y-%m-%dT%H:%M")


@pytest.fixture
def scheduled(client, login):
    """An organiser signed in, and an announcement to the confirmed delegates due tomorrow."""
    event = make_event(title="Productivity Forum")
    people = {
        "ann": registered_user(event, "Ann Confirmed", "confirmed"),
        "cy": registered_user(event, "Cy Payment", "pending_payment"),
    }
    boss = make_user(role="organiser", name="Olive Organiser")
    db.session.commit()
    login(boss)
    due = (utcnow() + timedelta(days=1)).replace(second=0, microsecond=0)
    form = {"audience": "confirmed", "subject": "Parking", "body": "Park in **car park B**.",
            "confirm": "y", "token": "a" * 32, "action": "schedule",
            "send_at": _local(event, due)}  # fmt: skip
    response = client.post(f"/organiser/events/{event.id}/messages", data=form)
    assert response.status_code == 302
    announcement = db.session.execute(select(Announcement)).scalar_one()
    return {"event": event, "boss": boss, "due": due, "a": announcement,
            "url": response.location + "/edit", **people}  # fmt: skip


def _change(client, s, **changes):
    form = {"audience": "confirmed", "subject": "Parking", "body": "Park in **car park B**.",
            "send_at": _local(s["event"], s["due"]), **changes}  # fmt: skip
    return client.post(s["url"], data=form)


def _row(announcement_id: int) -> tuple:
    db.session.expire_all()
    a = db.session.get(Announcement, announcement_id)
    return (a.status, a.audience, a.subject, a.body, a.scheduled_for, a.edited_by_id)


def test_the_form_opens_with_the_announcement_as_it_stands(client, scheduled):
    page = client.get(scheduled["url"])
    assert page.status_code == 200
    text = html.unescape(page.text)
    assert 'value="Parking"' in text and "Park in **car park B**." in text
    assert f'value="{_local(scheduled["event"], scheduled["due"])}"' in text
    assert '<option selected value="confirmed">' in text
    announcement_page = client.get(scheduled["url"].removesuffix("/edit")).text
    assert f'href="{scheduled["url"]}"' in announcement_page
    listed = client.get(f"/organiser/events/{scheduled['event'].id}/messages").text
    assert f'href="{scheduled["url"]}"' in listed


def test_a_change_is_what_goes_when_it_is_due(client, outbox, scheduled):
    event, later = scheduled["event"], scheduled["due"] + timedelta(hours=3)
    response = _change(client, scheduled, audience="pending_payment", subject="Parking moved",
                       body="Car park **C** now.", send_at=_local(event, later))  # fmt: skip
    assert response.status_code == 302
    page = client.get(response.location).text
    when = to_local(later, event.timezone)
    assert f"“Parking moved” is changed. It goes {when:%a %-d %b at %H:%M}." in html.unescape(page)
    assert "Last changed" in page and "by Olive Organiser" in page
    assert _row(scheduled["a"].id) == (
        "scheduled", "pending_payment", "Parking moved", "Car park **C** now.", later,
        scheduled["boss"].id,
    )  # fmt: skip
    # Not at the old time; at the new one, to the new group, with the new words, once.
    assert send_due_announcements(now=scheduled["due"] + timedelta(minutes=1)) == 0
    assert send_due_announcements(now=later) == 1
    db.session.commit()
    assert send_due_announcements(now=later + timedelta(minutes=1)) == 0
    db.session.commit()
    deliver_due()
    assert [(m["To"], m["Subject"]) for m in outbox] == [(scheduled["cy"].email, "Parking moved")]
    assert "Car park" in outbox[0].get_body(("plain",)).get_content()


def test_too_late_to_change_once_it_has_gone_or_was_cancelled(client, scheduled):
    assert send_due_announcements(now=scheduled["due"]) == 1
    db.session.commit()
    before = _row(scheduled["a"].id)
    outbox_rows = db.session.execute(select(func.count(OutboxMessage.id))).scalar_one()
    for response in (client.get(scheduled["url"]), _change(client, scheduled, subject="Late")):
        assert response.status_code == 409
        assert "Too late to change: it has already gone" in response.text
    assert _row(scheduled["a"].id) == before
    assert db.session.execute(select(func.count(OutboxMessage.id))).scalar_one() == outbox_rows

    other = Announcement(event_id=scheduled["event"].id, audience="confirmed", subject="Lunch",
                         body="Noon.", recipients=1, sent_by_id=scheduled["boss"].id,
                         status="cancelled", scheduled_for=scheduled["due"],
                         form_token="c" * 32)  # fmt: skip
    db.session.add(other)
    db.session.commit()
    url = scheduled["url"].replace(f"/{scheduled['a'].id}/edit", f"/{other.id}/edit")
    response = _change(client, {**scheduled, "url": url}, subject="Dinner")
    assert response.status_code == 409
    assert "It was cancelled, so there is nothing to change." in response.text
    assert _row(other.id)[2] == "Lunch"


def test_a_claim_and_a_change_cannot_both_win(app, scheduled):
    """The worker's claim comes between the page's read and its UPDATE: the change is refused,
    and the announcement went as it was."""
    announcement = scheduled["a"]
    assert send_due_announcements(now=scheduled["due"]) == 1
    with pytest.raises(MessageError, match="Too late to change"):
        change_scheduled_announcement(
            scheduled["boss"], announcement, "confirmed", "Changed", "New.",
            scheduled["due"] + timedelta(hours=1), now=scheduled["due"] - timedelta(hours=1),
        )  # fmt: skip
    db.session.commit()
    assert _row(announcement.id)[:3] == ("sent", "confirmed", "Parking")


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"send_at": ""}, "Choose the date and time to send it."),
        ({"send_at": "soon"}, "Not a valid datetime value."),
        ({"send_at": "2020-01-01T09:00"}, "Choose a time in the future"),
        ({"send_at": "9999-12-31T23:59"}, "within the next year"),
        ({"audience": "session-99999"}, "Not a valid choice"),
        ({"audience": "waitlisted"}, "Nobody is in that group yet."),
        ({"subject": ""}, "This field is required"),
        ({"body": "x" * 20_001}, "Field cannot be longer than 20000 characters"),
    ],
)
def test_bad_changes_are_refused_and_write_nothing(client, scheduled, changes, message):
    before = _row(scheduled["a"].id)
    response = _change(client, scheduled, **{"subject": "Changed", **changes})
    assert response.status_code == 422
    assert message in html.unescape(response.text)
    assert _row(scheduled["a"].id) == before


def test_only_organisers_change_announcements_and_only_their_events(client, login, scheduled):
    other_event = make_event()
    door = make_user(role="door_staff")
    db.session.commit()
    wrong_event = scheduled["url"].replace(
        f"/events/{scheduled['event'].id}/", f"/events/{other_event.id}/"
    )
    assert client.get(wrong_event).status_code == 404
    assert client.get(scheduled["url"].replace("/edit", "0/edit")).status_code == 404
    login(door)
    assert _change(client, scheduled, subject="Door staff wrote this").status_code == 403
    assert _row(scheduled["a"].id)[2] == "Parking"


def test_preview_shows_the_changed_email_and_saves_nothing(client, scheduled):
    before = _row(scheduled["a"].id)
    response = _change(client, scheduled, action="preview", subject="Parking moved",
                       body="Car park **C** now.")  # fmt: skip
    assert response.status_code == 200
    page = html.unescape(response.text)
    assert "Exactly as Ann Confirmed, the first of the group, will receive it." in page
    assert "<strong>C</strong>" in page and 'value="Parking moved"' in page
    assert _row(scheduled["a"].id) == before
    bad = _change(client, scheduled, action="preview", subject="")
    assert bad.status_code == 422 and "This field is required" in bad.text
    assert _row(scheduled["a"].id) == before
