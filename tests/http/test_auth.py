import re

import pytest
from sqlalchemy import func, select

from app.auth.models import User
from app.auth.services import make_reset_token
from app.extensions import db
from tests.conftest import csrf_token_from
from tests.factories import PASSWORD, make_user


def _user_count() -> int:
    return db.session.execute(select(func.count()).select_from(User)).scalar_one()


SIGNUP = {
    "name": "Jo Maker",
    "email": "Jo@Example.com",
    "password": "a-long-password",
    "confirm": "a-long-password",
}


def test_sign_up_creates_an_unconfirmed_account_and_emails_a_link(client, outbox):
    response = client.post("/auth/signup", data=SIGNUP)
    assert response.status_code == 200
    assert "We have sent an email to <strong>jo@example.com</strong>" in response.text
    user = db.session.execute(select(User)).scalar_one()
    assert user.email == "jo@example.com"
    assert user.organisation is None and not user.email_verified
    assert user.password_hash.startswith("scrypt:")
    assert client.get("/me/tickets").status_code == 302  # not signed in by signing up
    [message] = outbox
    assert message["To"] == "jo@example.com"
    assert "/auth/verify/" in message.get_body(("plain",)).get_content()


def test_surrounding_spaces_are_trimmed_from_text_but_not_from_passwords(client):
    data = {**SIGNUP, "email": "  Jo@Example.com\t", "name": " Jo Maker "}
    data["password"] = data["confirm"] = " spaced pass "
    assert client.post("/auth/signup", data=data).status_code == 200
    user = db.session.execute(select(User)).scalar_one()
    assert (user.email, user.name) == ("jo@example.com", "Jo Maker")
    assert user.check_password(" spaced pass ") and not user.check_password("spaced pass")


def _page_without_form_values(html: str) -> str:
    return re.sub(r'name="csrf-token" content="[^"]*"', "", html)


def test_sign_up_answers_the_same_for_an_address_with_an_account(app, client, outbox):
    make_user(email="jo@example.com", name="Jo Original")
    db.session.commit()
    known = client.post("/auth/signup", data=SIGNUP)
    [told] = outbox
    outbox.clear()
    fresh = app.test_client().post("/auth/signup", data={**SIGNUP, "email": "New@Example.com"})
    assert known.status_code == fresh.status_code == 200
    assert _page_without_form_values(known.text) == _page_without_form_values(fresh.text).replace(
        "new@example.com", "jo@example.com"
    )
    assert _user_count() == 2  # the known address got no second account
    assert told["To"] == "jo@example.com"
    body = told.get_body(("plain",)).get_content()
    assert "Someone tried to create a new account" in body and "/auth/verify/" not in body
    assert (
        client.post(
            "/auth/login", data={"email": "jo@example.com", "password": SIGNUP["password"]}
        ).status_code
        == 401
    )


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"email": "not-an-email"}, "Invalid email address"),
        ({"confirm": "something-else"}, "Passwords differ"),
        ({"password": "short", "confirm": "short"}, "at least 8 characters"),
        ({"name": ""}, "This field is required"),
    ],
)
def test_sign_up_refuses_invalid_values(client, changes, message):
    response = client.post("/auth/signup", data={**SIGNUP, **changes})
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert _user_count() == 0


def test_login_and_logout(client):
    make_user(email="dana@example.com")
    db.session.commit()
    response = client.post(
        "/auth/login", data={"email": "DANA@example.com", "password": PASSWORD, "next": "/me"}
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/me"
    assert client.post("/auth/logout").status_code == 302
    assert client.get("/me/tickets").status_code == 302


def test_login_refuses_a_wrong_password_and_an_unknown_email(client):
    make_user(email="dana@example.com")
    db.session.commit()
    wrong = client.post("/auth/login", data={"email": "dana@example.com", "password": "nope"})
    assert wrong.status_code == 401
    assert "Email or password is not right" in wrong.get_data(as_text=True)
    unknown = client.post("/auth/login", data={"email": "who@example.com", "password": "x"})
    assert unknown.status_code == 401


def test_login_never_redirects_off_site(client):
    make_user(email="dana@example.com")
    db.session.commit()
    response = client.post(
        "/auth/login",
        data={"email": "dana@example.com", "password": PASSWORD, "next": "//evil.example/x"},
    )
    assert response.headers["Location"] == "/"


def test_password_reset_by_emailed_link(client, outbox):
    user = make_user(email="dana@example.com")
    db.session.commit()
    response = client.post("/auth/reset", data={"email": "dana@example.com"})
    assert response.status_code == 302
    assert len(outbox) == 1
    body = outbox[0].get_body(preferencelist=("plain",)).get_content()
    link = re.search(r"http://localhost(/auth/reset/\S+)", body).group(1)
    assert outbox[0].get_body(preferencelist=("html",)) is not None
    assert client.get(link).status_code == 200
    data = {"password": "brand-new-password", "confirm": "brand-new-password"}
    assert client.post(link, data=data).status_code == 302
    db.session.refresh(user)
    assert user.check_password("brand-new-password")
    # The link works once.
    reused = client.post(link, data=data)
    assert reused.status_code == 400
    assert "already been used" in reused.get_data(as_text=True)


def test_password_reset_for_an_unknown_address_says_the_same_and_sends_nothing(client, outbox):
    response = client.post(
        "/auth/reset", data={"email": "nobody@example.com"}, follow_redirects=True
    )
    assert "If that address has an account" in response.get_data(as_text=True)
    assert outbox == []


def test_tampered_and_expired_reset_links_are_refused(app, client, monkeypatch):
    user = make_user()
    db.session.commit()
    token = make_reset_token(user)
    tampered = client.get(f"/auth/reset/{token[:-2]}xx")
    assert tampered.status_code == 400
    assert "not valid" in tampered.get_data(as_text=True)
    app.config["PASSWORD_RESET_MAX_AGE"] = -1
    expired = client.post(
        f"/auth/reset/{token}", data={"password": "whatever-123", "confirm": "whatever-123"}
    )
    assert expired.status_code == 400
    assert "expired" in expired.get_data(as_text=True)
    db.session.refresh(user)
    assert user.check_password(PASSWORD)


@pytest.mark.config(WTF_CSRF_ENABLED=True)
def test_forms_without_a_csrf_token_are_refused(client):
    response = client.post("/auth/signup", data=SIGNUP)
    assert response.status_code == 400
    assert "security token" in response.get_data(as_text=True)
    assert _user_count() == 0
    page = client.get("/auth/signup").get_data(as_text=True)
    token = csrf_token_from(page)
    ok = client.post("/auth/signup", data={**SIGNUP, "csrf_token": token})
    assert ok.status_code == 200 and "Check your email" in ok.text


@pytest.mark.config(RATELIMIT_ENABLED=True)
def test_login_is_rate_limited(client):
    codes = [
        client.post("/auth/login", data={"email": "x@example.com", "password": "x"}).status_code
        for _ in range(12)
    ]
    assert codes[:10] == [401] * 10
    assert codes[10] == 429


def test_roles_organiser_area(client, login):
    assert client.get("/organiser/").status_code == 302  # anonymous → sign in
    assert "/auth/login" in client.get("/organiser/").headers["Location"]
    users = {role: make_user(role) for role in ("delegate", "door_staff", "organiser", "admin")}
    db.session.commit()
    expected = {"delegate": 403, "door_staff": 403, "organiser": 200, "admin": 200}
    for role, status in expected.items():
        login(users[role])
        response = client.get("/organiser/")
        assert response.status_code == status, role
        if status == 403:  # in plain words, not the framework's
            assert "Your account cannot open this page" in response.text
