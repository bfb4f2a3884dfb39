"""A new account confirms its address before it registers, benchmarks or joins a business."""

import re

import pytest
from sqlalchemy import func, select

from app.auth.models import User
from app.auth.services import make_reset_token
from app.auth.verification import make_verification_token
from app.benchmark.models import BenchmarkResponse
from app.extensions import db
from app.registration.models import Registration
from tests.factories import PASSWORD, make_event, make_user

SIGNUP = {"name": "Jo Maker", "email": "jo@example.com", "password": "a-long-password",
          "confirm": "a-long-password"}  # fmt: skip


def _link(message) -> str:
    body = message.get_body(("plain",)).get_content()
    return re.search(r"http://localhost(/auth/verify/\S+)", body).group(1)


def _fresh_user(email: str) -> User:
    db.session.expire_all()
    return db.session.execute(select(User).where(User.email == email)).scalar_one()


def _count(model) -> int:
    return db.session.execute(select(func.count()).select_from(model)).scalar_one()


def test_the_emailed_link_confirms_the_address_once(client, outbox):
    client.post("/auth/signup", data=SIGNUP)
    link = _link(outbox[0])
    page = client.get(link)  # opening the link shows a button and changes nothing
    assert page.status_code == 200 and "Confirm my address" in page.text
    assert not _fresh_user("jo@example.com").email_verified
    response = client.post(link)
    assert response.status_code == 303 and response.location == "/auth/login"
    assert _fresh_user("jo@example.com").email_verified
    again = client.post(link)
    assert again.status_code == 400 and "already confirmed" in again.text


def test_a_tampered_expired_or_outdated_link_is_refused(app, client, outbox, monkeypatch):
    user = make_user(email="jo@example.com", email_verified_at=None)
    db.session.commit()
    token = make_verification_token(user)
    tampered = client.post(f"/auth/verify/{token[:-3]}xyz")
    assert tampered.status_code == 400 and "not valid" in tampered.text
    monkeypatch.setattr("app.auth.verification.MAX_AGE", -1)
    expired = client.post(f"/auth/verify/{token}")
    assert expired.status_code == 400 and "expired" in expired.text
    monkeypatch.undo()
    user.email = "jo.other@example.com"  # the address changed after the link was sent
    db.session.commit()
    outdated = client.post(f"/auth/verify/{token}")
    assert outdated.status_code == 400 and "out of date" in outdated.text
    assert not _fresh_user("jo.other@example.com").email_verified


def test_until_confirmed_an_account_browses_but_cannot_register_or_benchmark(client, login, outbox):
    user = login(make_user(email="jo@example.com", email_verified_at=None))
    event = make_event()
    db.session.commit()
    home = client.get("/")
    assert home.status_code == 200 and "Confirm your email address" in home.text
    assert client.get(f"/events/{event.slug}").status_code == 200
    refused = client.post(
        f"/events/{event.slug}/register", data={"ticket_type": event.ticket_types[0].id}
    )
    assert refused.status_code == 403
    assert "Confirm your email address first" in refused.text
    for path in ("/benchmark/organisation", "/benchmark/review", "/benchmark/start"):
        response = client.post(path) if path.endswith("start") else client.get(path)
        assert response.status_code == 403, path
    colleague = client.get(f"/events/{event.slug}/register/colleague")
    assert colleague.status_code == 403
    assert _count(Registration) == 0 and _count(BenchmarkResponse) == 0
    assert not _fresh_user(user.email).email_verified


@pytest.mark.config(RATELIMIT_ENABLED=True)
def test_send_it_again_sends_a_new_link_and_is_rate_limited(client, login, outbox):
    login(make_user(email="jo@example.com", email_verified_at=None))
    db.session.commit()
    codes = [client.post("/auth/verify").status_code for _ in range(4)]
    assert codes == [303, 303, 303, 429]
    assert [m["To"] for m in outbox] == ["jo@example.com"] * 3
    assert client.post(_link(outbox[-1])).status_code == 303
    assert _fresh_user("jo@example.com").email_verified


def test_setting_a_password_from_an_emailed_link_confirms_the_address(client):
    user = make_user(email="invited@example.com", email_verified_at=None)
    db.session.commit()
    data = {"password": "brand-new-password", "confirm": "brand-new-password"}
    assert client.post(f"/auth/reset/{make_reset_token(user)}", data=data).status_code == 302
    assert _fresh_user("invited@example.com").email_verified


def test_signing_up_again_with_an_unconfirmed_address_resends_the_link(client, outbox):
    make_user(email="jo@example.com", email_verified_at=None)
    db.session.commit()
    assert client.post("/auth/signup", data=SIGNUP).status_code == 200
    [message] = outbox
    assert "/auth/verify/" in message.get_body(("plain",)).get_content()
    assert _count(User) == 1


def test_operator_made_accounts_are_confirmed(runner):
    result = runner.invoke(args=["create-user", "ops@example.com", "--role", "organiser",
                                 "--password", PASSWORD])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert _fresh_user("ops@example.com").email_verified
