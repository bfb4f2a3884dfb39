"""The organiser API: tokens (hashed, scoped, revocable, expiring), reading and paging,
writes through the same rules as the forms, JSON errors, the per-token rate limit."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.api.models import ApiToken
from app.api.tokens import create_api_token, hash_token, revoke_api_token
from app.auth.models import Role, User
from app.extensions import db
from app.registration.models import Registration
from app.timeutil import utcnow
from tests.factories import make_event, make_user
from tests.factories_checkin import make_registration


def _token(user=None, scopes=("read",), **kw) -> str:
    user = user or make_user(Role.ORGANISER)
    _, token = create_api_token(user, user, name="CRM", scopes=list(scopes), **kw)
    db.session.commit()
    return token


def _auth(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def test_cli_prints_a_token_on_its_last_line(app, runner, client):
    make_user(Role.ORGANISER, email="org@example.com")
    db.session.commit()
    result = runner.invoke(
        args=["create-api-token", "ORG@example.com", "--name", "CRM", "--scope", "read"]
    )
    assert result.exit_code == 0, result.output
    token = result.output.strip().splitlines()[-1]
    assert token.startswith("jrn_") and len(token) == 47
    # Stored only as its hash.
    row = db.session.execute(select(ApiToken)).scalar_one()
    assert row.token_hash == hash_token(token) and token not in (row.prefix, row.token_hash)
    assert row.scopes == "read" and row.name == "CRM"
    assert client.get("/api/v1/events", headers=_auth(token)).status_code == 200


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nobody@example.com", "--name", "x"], "No account with the email address"),
        (["delegate@example.com", "--name", "x"], "API tokens are for organisers."),
        (["org@example.com", "--name", " "], "Give the token a name"),
    ],
)
def test_cli_refuses_and_writes_nothing(app, runner, args, message):
    make_user(Role.ORGANISER, email="org@example.com")
    make_user(email="delegate@example.com")
    db.session.commit()
    result = runner.invoke(args=["create-api-token", *args])
    assert result.exit_code == 1
    assert message in result.output
    assert db.session.execute(select(func.count()).select_from(ApiToken)).scalar_one() == 0


def test_registrations_list_has_the_contract_fields(client):
    event = make_event(slug="lean-day")
    people = [make_registration(event, make_user(name=f"Person {n}")) for n in range(3)]
    make_registration(make_event(), make_user())  # another event's
    token = _token()
    response = client.get("/api/v1/events/lean-day/registrations", headers=_auth(token))
    assert response.status_code == 200
    data = response.json["data"]
    assert [(r["id"], r["status"], r["email"], r["name"]) for r in data] == [
        (r.id, "confirmed", r.user.email, r.user.name) for r in people
    ]
    assert response.json["next_cursor"] is None


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer jrn_nope"}, {"Authorization": "Basic abc"},
     {"Authorization": "Bearer " + "x" * 500}],
)  # fmt: skip
def test_no_token_or_a_bad_one_is_401_json(client, headers):
    make_event(slug="lean-day")
    db.session.commit()
    response = client.get("/api/v1/events/lean-day/registrations", headers=headers)
    assert response.status_code == 401
    assert response.json["error"] == "unauthorized"
    assert "Bearer" in response.json["message"]
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_revoked_expired_and_demoted_tokens_stop_working(client):
    make_event(slug="lean-day")
    owner = make_user(Role.ORGANISER)
    revoked, expired, demoted = _token(owner), _token(owner), _token()
    row = db.session.execute(
        select(ApiToken).where(ApiToken.token_hash == hash_token(revoked))
    ).scalar_one()
    revoke_api_token(row, owner)
    db.session.execute(
        ApiToken.__table__.update()
        .where(ApiToken.token_hash == hash_token(expired))
        .values(expires_at=utcnow() - timedelta(seconds=1))
    )
    demoted_user = db.session.execute(
        select(User).join(ApiToken).where(ApiToken.token_hash == hash_token(demoted))
    ).scalar_one()
    demoted_user.role = Role.DELEGATE
    db.session.commit()
    for token in (revoked, expired, demoted):
        response = client.get("/api/v1/events", headers=_auth(token))
        assert response.status_code == 401, token


def test_last_use_is_recorded(client):
    token = _token()
    before = utcnow().replace(microsecond=0)
    client.get("/api/v1/events", headers=_auth(token))
    db.session.expire_all()
    row = db.session.execute(select(ApiToken)).scalar_one()
    assert row.last_used_at >= before


def test_paging_filters_and_bad_parameters(client):
    event = make_event(slug="lean-day")
    regs = [make_registration(event, make_user()) for _ in range(5)]
    waiting = make_registration(event, make_user(), status="waitlisted")
    token = _token()
    url = "/api/v1/events/lean-day/registrations"

    first = client.get(f"{url}?limit=2", headers=_auth(token)).json
    assert [r["id"] for r in first["data"]] == [regs[0].id, regs[1].id]
    second = client.get(f"{url}?limit=2&cursor={first['next_cursor']}", headers=_auth(token)).json
    assert [r["id"] for r in second["data"]] == [regs[2].id, regs[3].id]
    third = client.get(f"{url}?limit=2&cursor={second['next_cursor']}", headers=_auth(token)).json
    assert [r["id"] for r in third["data"]] == [regs[4].id, waiting.id]
    assert third["next_cursor"] is None

    only = client.get(f"{url}?status=waitlisted", headers=_auth(token)).json["data"]
    assert [r["id"] for r in only] == [waiting.id]
    future = (utcnow() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert client.get(f"{url}?updated_since={future}", headers=_auth(token)).json["data"] == []
    past = "2020-01-01T00:00:00%2B01:00"  # an offset, URL-encoded
    assert len(client.get(f"{url}?updated_since={past}", headers=_auth(token)).json["data"]) == 6

    for query, words in [
        ("status=lost", "status must be one of"),
        ("cursor=%%%", "cursor is not one this API gave out"),
        ("cursor=aWQ6YWJj", "cursor is not one this API gave out"),
        ("limit=0", "limit must be a whole number from 1 to 200"),
        ("limit=201", "limit must be a whole number"),
        ("updated_since=yesterday", "updated_since must be an ISO 8601 date-time"),
    ]:
        response = client.get(f"{url}?{query}", headers=_auth(token))
        assert response.status_code == 400, query
        assert response.json["error"] == "invalid"
        assert words in response.json["message"], query


def test_unknown_event_is_404_json(client):
    token = _token()
    response = client.get("/api/v1/events/nope/registrations", headers=_auth(token))
    assert response.status_code == 404
    assert response.json == {"error": "not_found", "message": "No event with this slug."}


def test_registrations_list_runs_a_fixed_number_of_queries(client, count_queries):
    small, big = make_event(slug="small"), make_event(slug="big")
    make_registration(small, make_user())
    for _ in range(40):
        make_registration(big, make_user())
    token = _token()
    client.get("/api/v1/events", headers=_auth(token))  # records the last use, once a minute
    counts = []
    for slug in ("small", "big"):
        with count_queries() as queries:
            response = client.get(f"/api/v1/events/{slug}/registrations", headers=_auth(token))
        assert response.status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1] == 3  # token with its user, event, registrations (joined)


def test_other_reads(client):
    event = make_event(slug="lean-day")
    reg = make_registration(event, make_user())
    token = _token()
    h = _auth(token)
    assert client.get("/api/v1/events/lean-day", headers=h).json["data"]["slug"] == "lean-day"
    assert [e["slug"] for e in client.get("/api/v1/events", headers=h).json["data"]] == ["lean-day"]
    types = client.get("/api/v1/events/lean-day/ticket-types", headers=h).json["data"]
    assert [t["id"] for t in types] == [t.id for t in event.ticket_types]
    assert client.get("/api/v1/events/lean-day/check-ins", headers=h).json["data"] == []
    assert client.get("/api/v1/events/lean-day/sessions", headers=h).status_code == 200
    assert client.get("/api/v1/events/lean-day/speakers", headers=h).status_code == 200
    assert reg.id


# ---- writes -------------------------------------------------------------------------------


def test_read_token_cannot_write(client):
    event = make_event(slug="lean-day")
    token = _token(scopes=("read",))
    response = client.post(
        "/api/v1/events/lean-day/registrations",
        json={"email": "new@example.com", "ticket_type_id": event.ticket_types[0].id},
        headers=_auth(token),
    )
    assert response.status_code == 403
    assert response.json["error"] == "forbidden"


def test_write_registers_through_the_rules(client, outbox):
    event = make_event(slug="lean-day", capacity=1, requires_benchmark=False)
    token = _token(scopes=("read", "write"))
    ticket = event.ticket_types[0].id
    body = {"email": "Ann@Example.com", "name": "Ann New", "organisation": "Ann's Works",
            "ticket_type_id": ticket}  # fmt: skip
    response = client.post("/api/v1/events/lean-day/registrations", json=body, headers=_auth(token))
    assert response.status_code == 201, response.json
    data = response.json["data"]
    assert (data["email"], data["name"], data["status"]) == (
        "ann@example.com", "Ann New", "confirmed",
    )  # fmt: skip
    assert data["organisation"] == "Ann's Works"
    # The new account is told, as from the Add delegate page.
    assert [m["To"] for m in outbox] == ["ann@example.com"] * len(outbox) and outbox
    # The seat guarantee holds: the event is now full.
    full = client.post(
        "/api/v1/events/lean-day/registrations",
        json={"email": "bob@example.com", "name": "Bob", "ticket_type_id": ticket},
        headers=_auth(token),
    )
    assert full.status_code == 409 and full.json["error"] == "full"
    assert db.session.execute(select(func.count()).select_from(Registration)).scalar_one() == 1

    cancel = client.post(f"/api/v1/registrations/{data['id']}/cancel", headers=_auth(token))
    assert cancel.status_code == 200 and cancel.json["data"]["status"] == "cancelled"
    again = client.post(f"/api/v1/registrations/{data['id']}/cancel", headers=_auth(token))
    assert again.status_code == 422 and again.json["error"] == "refused"


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"email": "not-an-address", "ticket_type_id": 1}, "email is not a valid address"),
        ({"ticket_type_id": 1}, "email is required"),
        ({"email": "a@example.com", "ticket_type_id": 999999}, "ticket_type_id must be"),
        ({"email": "a@example.com", "ticket_type_id": "1"}, "ticket_type_id must be"),
        ({"email": "a@example.com", "name": 5, "ticket_type_id": 0}, "ticket_type_id"),
        ([1, 2], "Send a JSON object."),
    ],
)
def test_bad_writes_are_400_and_write_nothing(client, body, words):
    make_event(slug="lean-day")
    token = _token(scopes=("write",))
    response = client.post("/api/v1/events/lean-day/registrations", json=body, headers=_auth(token))
    assert response.status_code == 400
    assert response.json["error"] == "invalid" and words in response.json["message"]
    assert db.session.execute(select(func.count()).select_from(Registration)).scalar_one() == 0


def test_check_in_through_the_api_is_the_door_scan(client):
    event = make_event(slug="lean-day")
    reg = make_registration(event, make_user())
    token = _token(scopes=("read", "write"))
    url = "/api/v1/events/lean-day/check-ins"
    first = client.post(url, json={"code": reg.ticket_secret.lower()}, headers=_auth(token))
    assert first.status_code == 200 and first.json["data"]["result"] == "ok"
    second = client.post(url, json={"code": reg.ticket_secret}, headers=_auth(token))
    assert second.json["data"]["result"] == "already_checked_in"
    [row] = client.get(url, headers=_auth(token)).json["data"]
    assert (row["registration_id"], row["point"]) == (reg.id, "Event entrance")
    bad = client.post(url, json={"code": 5}, headers=_auth(token))
    assert bad.status_code == 400


@pytest.mark.config(RATELIMIT_ENABLED=True, API_RATE_LIMIT="3 per minute")
def test_each_token_has_its_own_rate_limit(client):
    one, two = _token(), _token()
    answers = [client.get("/api/v1/events", headers=_auth(one)).status_code for _ in range(4)]
    assert answers == [200, 200, 200, 429]
    limited = client.get("/api/v1/events", headers=_auth(one))
    assert limited.json["message"].startswith("Too many")
    assert client.get("/api/v1/events", headers=_auth(two)).status_code == 200


def test_outcomes_are_read_with_a_status_filter(client):
    from app.outcomes import services as outcomes
    from tests.factories import make_organisation
    from tests.factories_outcomes import claim_data, make_programme

    programme = make_programme()
    org = make_organisation(name="Able Works")
    member = make_user(organisation=org)
    first = outcomes.record_claim(member, programme, org, claim_data("jobs"))
    second = outcomes.record_claim(member, programme, org, claim_data("product"))
    outcomes.review_claim(make_user(Role.ORGANISER), second, "verified", "Seen it")
    token = _token()
    everything = client.get("/api/v1/outcomes", headers=_auth(token)).json["data"]
    assert [(o["id"], o["status"]) for o in everything] == [
        (first.id, "claimed"), (second.id, "verified"),
    ]  # fmt: skip
    assert everything[0]["organisation"] == "Able Works"
    assert (everything[0]["kind"], everything[0]["quantity"]) == ("jobs", 2.5)
    verified = client.get("/api/v1/outcomes?status=verified", headers=_auth(token)).json["data"]
    assert [o["id"] for o in verified] == [second.id]
    bad = client.get("/api/v1/outcomes?status=maybe", headers=_auth(token))
    assert bad.status_code == 400 and bad.json["error"] == "invalid"
