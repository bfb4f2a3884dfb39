"""Organisers see each email's state (event Emails page, a registration's page, an
announcement's progress) and send failed ones again."""

import smtplib

import pytest
from sqlalchemy import select

from app import mail
from app.extensions import db
from app.outbox.models import OutboxMessage
from app.registration.services import register_delegate
from tests.factories import make_event, make_user, organiser
from tests.factories_registration import make_delegate


class Refusing:
    """The transport answers 550 for addresses starting with "bounce"; others are delivered."""

    def __init__(self, monkeypatch):
        self.delivered: list[str] = []
        monkeypatch.setattr(mail, "deliver_each", self)

    def __call__(self, messages):
        out = []
        for m in messages:
            if str(m["To"]).startswith("bounce"):
                out.append(smtplib.SMTPRecipientsRefused({m["To"]: (550, b"no such mailbox")}))
            else:
                self.delivered.append(str(m["To"]))
                out.append(None)
        return out


@pytest.fixture
def setup(app, monkeypatch):
    transport = Refusing(monkeypatch)
    event = make_event(title="Lean day", capacity=10)
    ok = register_delegate(make_delegate(email="ok@example.com"), event, event.ticket_types[0])
    bad = register_delegate(make_delegate(email="bounce@example.com"), event, event.ticket_types[0])
    boss = organiser()
    db.session.commit()
    return {"event": event, "ok": ok, "bad": bad, "boss": boss, "transport": transport}


def _states():
    db.session.expire_all()
    return db.session.execute(
        select(OutboxMessage.to, OutboxMessage.status).order_by(OutboxMessage.id)
    ).all()


def test_the_emails_page_shows_each_state_and_filters_failed(client, login, setup):
    login(setup["boss"])
    url = f"/organiser/events/{setup['event'].id}/emails"
    page = client.get(url).get_data(as_text=True)
    assert "<strong>1</strong> sent, <strong>0</strong> waiting, <strong>1</strong> failed" in page
    assert "ok@example.com" in page and "bounce@example.com" in page
    assert "recipient refused: 550 no such mailbox" in page
    failed = client.get(url + "?status=failed").get_data(as_text=True)
    assert "bounce@example.com" in failed and "ok@example.com" not in failed
    sent = client.get(url + "?status=sent").get_data(as_text=True)
    assert "ok@example.com" in sent and "bounce@example.com" not in sent
    assert client.get(url + "?status=nonsense").status_code == 400


def test_a_failed_email_is_sent_again_once_the_address_works(client, login, setup):
    login(setup["boss"])
    bad = setup["bad"]
    row = db.session.execute(
        select(OutboxMessage).where(OutboxMessage.registration_id == bad.id)
    ).scalar_one()
    # The delegate's address is corrected; the organiser sends the failed email again.
    bad.user.email = "fixed@example.com"
    row.to = "fixed@example.com"
    db.session.commit()
    # (the stored request renders from the registration, so the new address is used)
    url = f"/organiser/events/{setup['event'].id}/emails/resend"
    response = client.post(url, data={"message": str(row.id)})
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/emails?status=failed")
    assert setup["transport"].delivered == ["ok@example.com", "fixed@example.com"]
    assert _states() == [("ok@example.com", "sent"), ("fixed@example.com", "sent")]
    # Sending a sent email "again" is refused and changes nothing.
    response = client.post(url, data={"message": str(row.id)}, follow_redirects=True)
    assert "Only a failed email can be sent again" in response.get_data(as_text=True)
    assert setup["transport"].delivered == ["ok@example.com", "fixed@example.com"]


def test_send_all_failed_again_and_bad_input(client, login, setup):
    login(setup["boss"])
    event = setup["event"]
    url = f"/organiser/events/{event.id}/emails/resend"
    assert client.post(url, data={"message": "abc"}).status_code == 400
    other = make_event(title="Other day")
    db.session.commit()
    row_id = db.session.execute(select(OutboxMessage.id).where(OutboxMessage.status == "failed"))
    row_id = row_id.scalar_one()
    wrong = client.post(
        f"/organiser/events/{other.id}/emails/resend", data={"message": str(row_id)},
        follow_redirects=True,
    )  # fmt: skip
    assert "That email is not one of this event" in wrong.get_data(as_text=True)
    assert _states()[1] == ("bounce@example.com", "failed")
    page = client.post(url, follow_redirects=True).get_data(as_text=True)
    assert "1 email queued to send again." in page
    assert _states()[1] == ("bounce@example.com", "failed")  # refused again, at once (5xx)
    attempts = db.session.get(OutboxMessage, row_id).attempts
    assert attempts == 1  # a fresh set of attempts


def test_only_organisers_see_or_resend(client, login, setup):
    event = setup["event"]
    login(make_user(email="someone@example.com"))
    db.session.commit()
    assert client.get(f"/organiser/events/{event.id}/emails").status_code == 403
    assert client.post(f"/organiser/events/{event.id}/emails/resend").status_code == 403
    assert _states()[1] == ("bounce@example.com", "failed")


def test_the_registration_page_shows_its_emails_state(client, login, setup):
    login(setup["boss"])
    page = client.get(f"/organiser/registrations/{setup['bad'].id}").get_data(as_text=True)
    assert "One step left" in page or "Your ticket" in page
    assert '<span class="badge text-bg-danger">failed</span>' in page
    assert "recipient refused: 550 no such mailbox" in page


@pytest.mark.config(JOURNEY_INLINE_WORKER=False)
def test_an_announcement_shows_its_progress(client, login, app, monkeypatch):
    from app.outbox.delivery import deliver_due

    transport = Refusing(monkeypatch)
    event = make_event(title="Lean day", capacity=10)
    for email in ("a@example.com", "b@example.com", "bounce@example.com"):
        register_delegate(make_delegate(email=email), event, event.ticket_types[0])
    boss = organiser()
    db.session.commit()
    deliver_due()  # the registration emails
    login(boss)
    url = f"/organiser/events/{event.id}/messages"
    form = {"audience": "with_place", "subject": "Parking", "body": "Use car park B.",
            "confirm": "y", "token": "a" * 32}  # fmt: skip
    assert client.post(url, data=form).status_code == 302
    assert "0 sent · 3 waiting · 0 failed" in client.get(url).get_data(as_text=True)
    deliver_due()
    page = client.get(url).get_data(as_text=True)
    assert "2 sent · 0 waiting · " in page
    assert f'href="/organiser/events/{event.id}/emails?status=failed">1 failed</a>' in page
    assert transport.delivered.count("a@example.com") == 2
