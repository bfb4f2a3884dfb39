"""A person's own account: details, password (signing out other browsers), a copy of their
data, and deleting the account."""

import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.auth.models import Role, User
from app.auth.privacy import ERASED_NAME
from app.auth.services import make_reset_token
from app.checkin.models import CheckIn, EventStaff, ScanLog
from app.events.models import SessionStar
from app.extensions import db
from app.feedback.models import Feedback
from app.registration.models import EmailLog, Registration
from app.timeutil import utcnow
from tests.conftest import csrf_token_from
from tests.factories import (
    PASSWORD,
    login_id,
    make_event,
    make_organisation,
    make_session,
    make_speaker,
    make_user,
)
from tests.factories_checkin import make_registration
from tests.factories_registration import make_delegate

NEW_PASSWORD = "a brand new password"


def _signed_in(app, user):
    """Another browser, signed in as `user` through the login form."""
    other = app.test_client()
    response = other.post("/auth/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 302
    assert other.get("/me").status_code == 200
    return other


def _fresh(user_id: int) -> User:
    db.session.expire_all()
    return db.session.get(User, user_id)


# --- details -------------------------------------------------------------------------------


def test_details_are_saved_and_trimmed(client, login):
    user = login(make_user(name="Jo Maker"))
    db.session.commit()
    assert "Account settings" in client.get("/me/settings").text
    response = client.post(
        "/me/settings/details", data={"name": "  Jo Maker-Smith ", "job_title": " Ops lead "}
    )
    assert response.status_code == 303
    user = _fresh(user.id)
    assert (user.name, user.job_title) == ("Jo Maker-Smith", "Ops lead")


def test_details_refuse_an_empty_name_and_write_nothing(client, login):
    user = login(make_user(name="Jo Maker", job_title="Engineer"))
    db.session.commit()
    response = client.post("/me/settings/details", data={"name": "   ", "job_title": "Boss"})
    assert response.status_code == 422
    assert "This field is required" in response.text
    user = _fresh(user.id)
    assert (user.name, user.job_title) == ("Jo Maker", "Engineer")


def test_settings_need_a_signed_in_user(client):
    for method, url in [
        ("get", "/me/settings"),
        ("post", "/me/settings/details"),
        ("post", "/me/settings/password"),
        ("get", "/me/data.json"),
        ("get", "/me/delete"),
        ("post", "/me/delete"),
    ]:
        response = getattr(client, method)(url)
        assert response.status_code == 302 and "/auth/login" in response.location, url


@pytest.mark.config(WTF_CSRF_ENABLED=True)
def test_settings_forms_need_the_csrf_token(client, login):
    user = login(make_user(name="Jo Maker"))
    db.session.commit()
    response = client.post("/me/settings/details", data={"name": "Mallory"})
    assert response.status_code == 400
    assert _fresh(user.id).name == "Jo Maker"
    token = csrf_token_from(client.get("/me/settings").text)
    response = client.post("/me/settings/details", data={"name": "Jo", "csrf_token": token})
    assert response.status_code == 303


# --- password ------------------------------------------------------------------------------


def test_changing_password_needs_the_current_one(client, login):
    user = login(make_user())
    db.session.commit()
    data = {"current": "not it at all", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    response = client.post("/me/settings/password", data=data)
    assert response.status_code == 422
    assert "That is not your current password." in response.text
    assert _fresh(user.id).check_password(PASSWORD)

    data = {"current": PASSWORD, "password": NEW_PASSWORD, "confirm": "something else"}
    response = client.post("/me/settings/password", data=data)
    assert response.status_code == 422 and "Passwords differ." in response.text
    data = {"current": PASSWORD, "password": "short", "confirm": "short"}
    assert client.post("/me/settings/password", data=data).status_code == 422
    assert _fresh(user.id).check_password(PASSWORD)


def test_changing_password_signs_out_other_browsers_but_not_this_one(app, client):
    user = make_user()
    db.session.commit()
    this = _signed_in(app, user)
    other = _signed_in(app, user)
    reset_link = f"/auth/reset/{make_reset_token(user)}"

    data = {"current": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    response = this.post("/me/settings/password", data=data)
    assert response.status_code == 303
    assert this.get("/me").status_code == 200
    assert other.get("/me").status_code == 302  # back to the sign-in page
    assert _fresh(user.id).check_password(NEW_PASSWORD)
    # A reset link sent before the change no longer works either.
    assert client.get(reset_link).status_code == 400


def test_the_session_cookie_holds_no_part_of_the_password_hash(app):
    user = make_user()
    db.session.commit()
    ident = login_id(user)
    assert ident.startswith(f"{user.id}.")
    fingerprint, key = ident.split(".")[1:]
    assert fingerprint not in user.password_hash and key not in user.password_hash


# --- a copy of my data ---------------------------------------------------------------------


def _delegate_with_history():
    org = make_organisation("Anglia Widgets Ltd")
    user = make_user(name="Jo Maker", email="jo@example.com", organisation=org, job_title="MD")
    past = make_event(title="Spring lean workshop", starts_in=timedelta(days=-40))
    reg = make_registration(past, user=user)
    db.session.add(
        CheckIn(event_id=past.id, registration_id=reg.id, checked_in_at=utcnow() - timedelta(40))
    )
    db.session.add(
        Feedback(registration_id=reg.id, event_id=past.id, rating=5, recommend=True,
                 pillars=["lean"], actions="Kanban in the paint shop", comments="Great")
    )  # fmt: skip
    db.session.add(
        EmailLog(registration_id=reg.id, to=user.email, subject="Your ticket", kind="confirmed",
                 extra={"reason": "x"})
    )  # fmt: skip
    db.session.add(
        ScanLog(event_id=past.id, registration_id=reg.id, code="JRN1-ABC", result="admitted",
                response={"result": "admitted", "name": "Jo Maker", "organisation": org.name})
    )  # fmt: skip
    future = make_event(title="Productivity conference")
    talk = make_session(future, title="Cobots for small firms")
    db.session.add(SessionStar(user_id=user.id, session_id=talk.id))
    # A colleague from the same business: nothing of theirs is in Jo's copy.
    colleague = make_user(name="Sam Colleague", organisation=org)
    make_registration(future, user=colleague)
    return user, past, reg


def test_download_my_data_holds_my_records_and_nobody_elses(client, login):
    user, _past, _reg = _delegate_with_history()
    login(user)
    db.session.commit()
    response = client.get("/me/data.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.headers["Cache-Control"] == "private, no-store"
    data = json.loads(response.data)
    assert data["account"]["email"] == "jo@example.com"
    assert data["account"]["business"]["name"] == "Anglia Widgets Ltd"
    [registration] = data["registrations"]
    assert registration["event"] == "Spring lean workshop"
    assert registration["check_ins"][0]["where"] == "Entrance"
    assert registration["feedback"]["actions"] == "Kanban in the paint shop"
    assert [s["session"] for s in data["starred_sessions"]] == ["Cobots for small firms"]
    assert [e["subject"] for e in data["emails_sent_to_you"]] == ["Your ticket"]
    assert "Sam Colleague" not in response.text
    assert "Productivity conference" not in {r["event"] for r in data["registrations"]}


# --- deleting the account ------------------------------------------------------------------


def test_deleting_the_account_removes_what_identifies_me_and_keeps_anonymous_records(
    app, client, login
):
    user, past, reg = _delegate_with_history()
    speaker = make_speaker(user=user)
    db.session.add(EventStaff(event_id=past.id, user_id=user.id))
    user.calendar_token = "secret-feed-token"
    db.session.commit()
    other_browser = _signed_in(app, user)
    login(user)
    assert "Delete my account" in client.get("/me/delete").text

    response = client.post("/me/delete", data={"password": PASSWORD, "understood": "y"})
    assert response.status_code == 303
    db.session.expire_all()
    user = db.session.get(User, user.id)
    assert user.name == ERASED_NAME and user.job_title is None
    assert user.email == f"deleted-{user.id}@deleted.invalid"
    assert not user.active and user.calendar_token is None
    # Attendance, feedback and the business stay, without the person.
    assert db.session.get(Registration, reg.id).status == "confirmed"
    assert db.session.execute(select(func.count()).select_from(Feedback)).scalar_one() == 1
    assert user.organisation.name == "Anglia Widgets Ltd"
    assert db.session.execute(select(SessionStar)).first() is None
    assert db.session.execute(select(EventStaff)).first() is None
    assert speaker.user_id is None
    log = db.session.execute(select(EmailLog)).scalar_one()
    assert (log.to, log.extra) == (user.email, {})
    scan = db.session.execute(select(ScanLog)).scalar_one()
    assert scan.response["name"] == ERASED_NAME
    # Signed out here and everywhere; the old address and password sign nobody in.
    assert client.get("/me").status_code == 302
    assert other_browser.get("/me").status_code == 302
    response = client.post("/auth/login", data={"email": "jo@example.com", "password": PASSWORD})
    assert response.status_code == 401
    assert client.get("/calendar/secret-feed-token.ics").status_code == 404


def test_deleting_needs_the_password_and_the_tick_and_writes_nothing_without_them(client, login):
    user, _past, _reg = _delegate_with_history()
    login(user)
    db.session.commit()
    response = client.post("/me/delete", data={"password": "wrong password", "understood": "y"})
    assert response.status_code == 422 and "That password is not right." in response.text
    response = client.post("/me/delete", data={"password": PASSWORD})
    assert response.status_code == 422 and "Tick the box to confirm." in response.text
    user = _fresh(user.id)
    assert user.active and user.name == "Jo Maker"
    assert db.session.execute(select(SessionStar)).first() is not None


def test_a_place_at_a_coming_event_must_be_cancelled_first(client, login):
    user = login(make_user(name="Jo Maker"))
    coming = make_event(title="Autumn site visit", starts_in=timedelta(days=5))
    make_registration(coming, user=user, status="pending_payment")
    db.session.commit()
    page = client.get("/me/delete").text
    assert "Autumn site visit" in page and "My tickets" in page
    response = client.post("/me/delete", data={"password": PASSWORD, "understood": "y"})
    assert response.status_code == 422
    assert "You still have a place at" in response.text and "Autumn site visit" in response.text
    assert _fresh(user.id).active
    assert _fresh(user.id).name == "Jo Maker"


def test_organiser_accounts_are_closed_by_an_administrator(client, login):
    user = login(make_user(Role.ORGANISER))
    db.session.commit()
    assert "closed by an administrator" in client.get("/me/delete").text
    response = client.post("/me/delete", data={"password": PASSWORD, "understood": "y"})
    assert response.status_code == 422
    assert _fresh(user.id).active


# --- email address ---------------------------------------------------------------------------


def _link_in(message) -> str:
    text = message.get_body(("plain",)).get_content()
    return next(line for line in text.splitlines() if "/me/email/" in line).strip()


def test_the_new_address_must_confirm_and_the_old_one_is_told(app, client, login, outbox):
    user = login(make_user(email="jo@example.com"))
    db.session.commit()
    response = client.post(
        "/me/settings/email", data={"email": " Jo.New@Example.com ", "password": PASSWORD}
    )
    assert response.status_code == 303
    assert _fresh(user.id).email == "jo@example.com"  # nothing changes yet
    [confirm] = outbox
    assert confirm["To"] == "jo.new@example.com"
    link = _link_in(confirm)
    outbox.clear()

    other_browser = app.test_client()  # opened on a phone, not signed in
    path = link.replace("http://localhost", "")
    page = other_browser.get(path)  # opening the link shows a button and changes nothing
    assert page.status_code == 200 and "Use jo.new@example.com" in page.text
    assert _fresh(user.id).email == "jo@example.com" and outbox == []
    response = other_browser.post(path)
    assert response.status_code == 302 and "/auth/login" in response.location
    assert _fresh(user.id).email == "jo.new@example.com"
    [notice] = outbox
    assert notice["To"] == "jo@example.com"
    assert "now signs in as jo.new@example.com" in notice.get_body(("plain",)).get_content()
    # Confirmed from another browser: every browser of the account is signed out. The old
    # address no longer signs in, the new one does.
    assert client.get("/me").status_code == 302

    def sign_in(email):
        return other_browser.post("/auth/login", data={"email": email, "password": PASSWORD})

    assert sign_in("jo@example.com").status_code == 401
    assert sign_in("jo.new@example.com").status_code == 302
    # The link works once.
    assert client.get(path).status_code == 400
    assert client.post(path).status_code == 400


def test_an_email_change_is_refused_with_a_clear_reason(client, login, outbox):
    user = login(make_user(email="jo@example.com"))
    make_user(email="taken@example.com")
    db.session.commit()
    for data, message in [
        ({"email": "new@example.com", "password": "wrong one"}, "That password is not right."),
        ({"email": "jo@example.com", "password": PASSWORD}, "already your email address"),
        ({"email": "not-an-email", "password": PASSWORD}, "Invalid email address."),
    ]:
        response = client.post("/me/settings/email", data=data)
        assert response.status_code == 422, data
        assert message in response.text, data
    assert outbox == [] and _fresh(user.id).email == "jo@example.com"
    assert client.get("/me/email/not-a-real-token").status_code == 400


def test_a_link_dies_if_the_address_is_taken_or_the_password_changes_first(client, login, outbox):
    user = login(make_user(email="jo@example.com"))
    db.session.commit()
    client.post("/me/settings/email", data={"email": "new@example.com", "password": PASSWORD})
    link = _link_in(outbox[0]).replace("http://localhost", "")
    make_user(email="new@example.com")  # someone signs up with it meanwhile
    db.session.commit()
    response = client.post(link)
    assert response.status_code == 400 and "already exists" in response.text
    outbox.clear()
    client.post("/me/settings/email", data={"email": "other@example.com", "password": PASSWORD})
    link = _link_in(outbox[0]).replace("http://localhost", "")
    data = {"current": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    client.post("/me/settings/password", data=data)
    assert client.post(link).status_code == 400
    assert _fresh(user.id).email == "jo@example.com"


def test_changing_to_an_address_with_an_account_answers_the_same_and_tells_its_owner(
    client, login, outbox
):
    user = login(make_user(email="jo@example.com"))
    make_user(email="taken@example.com", name="Tara Owner")
    db.session.commit()
    taken = client.post(
        "/me/settings/email", data={"email": "Taken@example.com", "password": PASSWORD}
    )
    [told] = outbox
    outbox.clear()
    free = client.post(
        "/me/settings/email", data={"email": "free@example.com", "password": PASSWORD}
    )
    assert (
        (taken.status_code, taken.location)
        == (free.status_code, free.location)
        == (
            303,
            "/me/settings",
        )
    )
    assert "We have emailed a link to free@example.com" in client.get("/me/settings").text
    assert told["To"] == "taken@example.com"
    assert "Someone tried to change the email address of another account to yours" in (
        told.get_body(("plain",)).get_content()
    )
    assert "/me/email/" not in told.get_body(("plain",)).get_content()
    assert _fresh(user.id).email == "jo@example.com"


def test_my_data_follows_the_person_not_the_address(app, client, login, outbox):
    """Someone who later signs up with a person's old address sees none of their emails."""
    first = login(make_delegate(email="jo@example.com"))
    event = make_event(title="Lean day")
    db.session.commit()
    registered = client.post(
        f"/events/{event.slug}/register", data={"ticket_type": event.ticket_types[0].id}
    )
    assert registered.status_code == 302
    client.post("/me/settings/email", data={"email": "jo.new@example.com", "password": PASSWORD})
    text = outbox[-1].get_body(("plain",)).get_content()
    link = next(line for line in text.splitlines() if "/me/email/" in line).strip()
    assert client.post(link.replace("http://localhost", "")).status_code == 302

    mine = json.loads(client.get("/me/data.json").data)
    assert "Your ticket for Lean day" in [e["subject"] for e in mine["emails_sent_to_you"]]

    second = login(make_user(email="jo@example.com", name="Someone Else"))
    db.session.commit()
    theirs = json.loads(client.get("/me/data.json").data)
    assert theirs["account"]["email"] == "jo@example.com" and second.id != first.id
    assert theirs["emails_sent_to_you"] == [] and theirs["registrations"] == []
