import re

import pytest
from sqlalchemy import func, select

from app.auth.models import Organisation, User
from app.auth.services import make_reset_token
from app.extensions import db
from tests.conftest import csrf_token_from
from tests.factories import PASSWORD, make_organisation, make_user


def _user_count() -> int:
    return db.session.execute(select(func.count()).select_from(User)).scalar_one()


SIGNUP = {
    "name": "Jo Maker",
    "email": "Jo@Example.com",
    "organisation": "Maker Metalwork Ltd",
    "companies_house_number": "",
    "password": "a-long-password",
    "confirm": "a-long-password",
}


def test_sign_up_creates_account_organisation_and_signs_in(client):
    response = client.post("/auth/signup", data=SIGNUP)
    assert response.status_code == 302
    user = db.session.execute(select(User)).scalar_one()
    assert user.email == "jo@example.com"
    assert user.organisation.name == "Maker Metalwork Ltd"
    assert user.password_hash.startswith("scrypt:")
    assert client.get("/me/tickets").status_code == 200


def test_surrounding_spaces_are_trimmed_from_text_but_not_from_passwords(client):
    data = {**SIGNUP, "email": "  Jo@Example.com\t", "name": " Jo Maker "}
    data["organisation"] = " Maker "
    data["password"] = data["confirm"] = " spaced pass "
    assert client.post("/auth/signup", data=data).status_code == 302
    user = db.session.execute(select(User)).scalar_one()
    assert (user.email, user.name) == ("jo@example.com", "Jo Maker")
    assert user.organisation.name == "Maker"
    assert user.check_password(" spaced pass ") and not user.check_password("spaced pass")


def test_sign_up_joins_an_existing_organisation_by_companies_house_number(client):
    org = make_organisation("Anglia Widgets Ltd", companies_house_number="01234567")
    db.session.commit()
    data = {**SIGNUP, "organisation": "Anglia Widgets", "companies_house_number": "1234567"}
    assert client.post("/auth/signup", data=data).status_code == 302
    user = db.session.execute(select(User)).scalar_one()
    assert user.organisation_id == org.id
    assert db.session.execute(select(func.count()).select_from(Organisation)).scalar_one() == 1


def test_sign_up_refuses_a_duplicate_email_in_any_case(client):
    make_user(email="jo@example.com")
    db.session.commit()
    response = client.post("/auth/signup", data=SIGNUP)
    assert response.status_code == 422
    assert "already exists" in response.get_data(as_text=True)
    assert _user_count() == 1


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"email": "not-an-email"}, "Invalid email address"),
        ({"confirm": "something-else"}, "Passwords differ"),
        ({"password": "short", "confirm": "short"}, "at least 8 characters"),
        ({"name": ""}, "This field is required"),
        ({"companies_house_number": "ABC"}, "Field must be between 6 and 8"),
        ({"companies_house_number": "AB12CD34"}, "Companies House number is 8 characters"),
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
    assert ok.status_code == 302


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
