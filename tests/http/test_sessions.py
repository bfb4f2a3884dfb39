"""Sessions end when people leave: signing out ends the sign-in on the server."""

from datetime import timedelta

from sqlalchemy import select

from app.auth.models import LoginSession
from app.auth.sessions import SESSION_DAYS, start_login_session, user_for_login_id
from app.extensions import db
from app.timeutil import utcnow
from tests.factories import PASSWORD, make_user

NEW_PASSWORD = "another long password"


def _sign_in(client, email: str, remember: bool = False):
    data = {"email": email, "password": PASSWORD}
    if remember:
        data["remember"] = "y"
    response = client.post("/auth/login", data=data)
    assert response.status_code == 302
    return response


def _signed_in(client) -> bool:
    return client.get("/me/tickets").status_code == 200


def _with_cookie(app, name: str, value: str):
    other = app.test_client()
    other.set_cookie(name, value)
    return other


def test_signing_out_ends_the_session_and_the_remember_me_cookie(app, client):
    make_user(email="dana@example.com")
    db.session.commit()
    _sign_in(client, "dana@example.com", remember=True)
    session_cookie = client.get_cookie("session").value
    remember_cookie = client.get_cookie("remember_token").value
    # Either cookie alone signs a browser in while the sign-in lasts...
    assert _signed_in(_with_cookie(app, "remember_token", remember_cookie))
    assert _signed_in(_with_cookie(app, "session", session_cookie))

    assert client.post("/auth/logout").status_code == 302
    # ...and neither does once it has been ended, even if a browser kept them.
    assert not _signed_in(_with_cookie(app, "remember_token", remember_cookie))
    assert not _signed_in(_with_cookie(app, "session", session_cookie))
    ended = db.session.execute(select(LoginSession)).scalars().all()
    assert len(ended) == 1 and ended[0].ended_at is not None


def test_remember_me_lasts_thirty_days_at_most(app, client):
    user = make_user(email="dana@example.com")
    db.session.commit()
    assert app.config["REMEMBER_COOKIE_DURATION"] == timedelta(days=30) and SESSION_DAYS == 30
    _sign_in(client, "dana@example.com", remember=True)
    expires = client.get_cookie("remember_token").expires
    assert timedelta(days=29) < expires.replace(tzinfo=None) - utcnow() <= timedelta(days=30)
    # The server forgets the sign-in then too, whatever the browser keeps.
    key = user.get_id()  # not signed in here: no key
    assert user_for_login_id(key) is None
    start = utcnow()
    start_login_session(user, now=start)
    ident = user.get_id()
    db.session.commit()
    assert user_for_login_id(ident, now=start + timedelta(days=29)) is not None
    assert user_for_login_id(ident, now=start + timedelta(days=30, seconds=1)) is None


def test_sign_out_everywhere_ends_every_browser(app, client):
    make_user(email="dana@example.com")
    db.session.commit()
    phone, laptop = app.test_client(), app.test_client()
    _sign_in(client, "dana@example.com")
    _sign_in(phone, "dana@example.com")
    _sign_in(laptop, "dana@example.com", remember=True)
    assert all(_signed_in(c) for c in (client, phone, laptop))
    assert "Sign out everywhere" in client.get("/me/settings").text
    response = client.post("/me/settings/sign-out-everywhere")
    assert response.status_code == 303 and response.location == "/auth/login"
    assert not any(_signed_in(c) for c in (client, phone, laptop))
    assert "You are signed out everywhere (3 browsers)" in client.get("/auth/login").text


def test_an_email_change_signs_out_other_browsers_but_not_this_one(app, client, outbox):
    make_user(email="dana@example.com")
    db.session.commit()
    phone = app.test_client()
    _sign_in(client, "dana@example.com")
    _sign_in(phone, "dana@example.com")
    client.post("/me/settings/email", data={"email": "dana.new@example.com", "password": PASSWORD})
    text = outbox[0].get_body(("plain",)).get_content()
    link = next(line for line in text.splitlines() if "/me/email/" in line).strip()
    assert client.post(link.replace("http://localhost", "")).status_code == 302
    assert _signed_in(client) and not _signed_in(phone)


def test_a_password_change_ends_other_sign_ins_on_the_server(app, client):
    make_user(email="dana@example.com")
    db.session.commit()
    phone = app.test_client()
    _sign_in(client, "dana@example.com")
    _sign_in(phone, "dana@example.com")
    data = {"current": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    assert client.post("/me/settings/password", data=data).status_code == 303
    assert _signed_in(client) and not _signed_in(phone)
    rows = db.session.execute(select(LoginSession).order_by(LoginSession.id)).scalars().all()
    assert [r.ended_at is None for r in rows] == [True, False]


def test_a_cookie_without_a_live_sign_in_is_refused(app):
    user = make_user()
    db.session.commit()
    assert user_for_login_id(f"{user.id}.{user.password_fingerprint}.") is None
    assert user_for_login_id(f"{user.id}.{user.password_fingerprint}.made-up-key") is None
    assert user_for_login_id("not-a-number.x.y") is None
