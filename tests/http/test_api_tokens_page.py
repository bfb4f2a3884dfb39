"""Organiser → API tokens: the token is shown once, stored hashed, and revoking stops it."""

from __future__ import annotations

import re

from sqlalchemy import select

from app.api.models import ApiToken
from app.auth.models import Role
from app.extensions import db
from tests.conftest import csrf_token_from
from tests.factories import make_user


def test_create_show_once_and_revoke(client, login):
    me = make_user(Role.ORGANISER)
    db.session.commit()
    login(me)
    page = client.get("/organiser/api-tokens")
    assert page.status_code == 200 and "No tokens yet." in page.get_data(as_text=True)
    form = {"csrf_token": csrf_token_from(page.get_data(as_text=True)), "name": "CRM sync",
            "scopes": ["read", "write"], "expires_on": ""}  # fmt: skip
    created = client.post("/organiser/api-tokens", data=form)
    html = created.get_data(as_text=True)
    assert created.status_code == 200 and created.headers["Cache-Control"] == "no-store"
    [token] = re.findall(r'id="new-token">(jrn_[\w-]+)<', html)
    row = db.session.execute(select(ApiToken)).scalar_one()
    assert (row.name, row.scopes, row.user_id) == ("CRM sync", "read write", me.id)
    assert token not in client.get("/organiser/api-tokens").get_data(as_text=True)
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/events", headers=headers).status_code == 200

    listing = client.get("/organiser/api-tokens").get_data(as_text=True)
    revoked = client.post(
        f"/organiser/api-tokens/{row.id}/revoke", data={"csrf_token": csrf_token_from(listing)}
    )
    assert revoked.status_code == 303
    assert client.get("/api/v1/events", headers=headers).status_code == 401
    assert "revoked" in client.get("/organiser/api-tokens").get_data(as_text=True)


def test_bad_input_and_other_people(client, login):
    me, other = make_user(Role.ORGANISER), make_user(Role.ORGANISER)
    db.session.add(ApiToken(user_id=other.id, name="theirs", token_hash="x" * 64,
                            prefix="jrn_x", scopes="read"))  # fmt: skip
    db.session.commit()
    login(me)
    page = client.get("/organiser/api-tokens").get_data(as_text=True)
    assert "theirs" not in page
    token = csrf_token_from(page)
    bad = client.post("/organiser/api-tokens", data={"csrf_token": token, "name": "", "scopes": []})
    assert bad.status_code == 422
    past = client.post(
        "/organiser/api-tokens",
        data={"csrf_token": token, "name": "Old", "scopes": ["read"], "expires_on": "2001-01-01"},
    )
    assert past.status_code == 422 and "must be in the future" in past.get_data(as_text=True)
    their_id = db.session.execute(select(ApiToken.id)).scalar_one()
    assert (
        client.post(
            f"/organiser/api-tokens/{their_id}/revoke", data={"csrf_token": token}
        ).status_code
        == 404
    )
    assert db.session.execute(select(ApiToken.revoked_at)).scalar_one() is None


def test_delegates_cannot_open_the_page(client, login):
    login(make_user())
    assert client.get("/organiser/api-tokens").status_code == 403
