"""The scan API's sign-in, access checks and answers on the path each database takes: on
PostgreSQL the door's fast path (app/checkin/fastscan.py: a SignedInActor, one read, the log
row in autocommit), elsewhere the ORM path. Both must refuse exactly what a page refuses."""

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from app.auth.models import LoginSession, Role
from app.auth.sessions import SignedInActor, actor_for_login_id, user_for_login_id
from app.checkin.models import CheckIn, ScanLog
from app.extensions import db
from app.timeutil import utcnow
from tests.conftest import csrf_token_from
from tests.factories import PASSWORD, login_id, make_event, make_user
from tests.factories_checkin import make_door_staff, make_registration, new_secret

URL = "/api/checkin/conf/scan"


@pytest.fixture
def door(app):
    event = make_event(slug="conf")
    staff = make_door_staff(event, name="Dev Door", email="door@example.com")
    reg = make_registration(event, make_user(name="Ada Lovelace"))
    db.session.commit()
    return {"event": event, "staff": staff, "reg": reg, "secret": reg.ticket_secret}


def scan(client, code, **kw):
    return client.post(
        URL, json={"code": code, "session_id": None, "nonce": str(uuid.uuid4())}, **kw
    )


def count(model) -> int:
    return db.session.execute(select(func.count()).select_from(model)).scalar_one()


def _sign_in_by_form(client, email: str, remember: bool = False) -> None:
    data = {"email": email, "password": PASSWORD, **({"remember": "y"} if remember else {})}
    assert client.post("/auth/login", data=data).status_code == 302


def _ok_then_refused(client, door, change) -> None:
    """One scan admits; after `change` to the sign-in the next is 401 and writes nothing."""
    assert scan(client, door["secret"]).get_json()["result"] == "ok"
    change()
    db.session.commit()
    refused = scan(client, door["secret"])
    assert refused.status_code == 401
    assert refused.get_json()["message"] == "Sign in first."
    assert count(ScanLog) == 1


def test_a_signed_out_sign_in_is_refused_at_once(client, login, door):
    login(door["staff"])
    _ok_then_refused(
        client, door, lambda: db.session.execute(update(LoginSession).values(ended_at=utcnow()))
    )


def test_an_expired_sign_in_is_refused(client, login, door):
    login(door["staff"])
    past = utcnow() - timedelta(seconds=1)
    _ok_then_refused(
        client, door, lambda: db.session.execute(update(LoginSession).values(expires_at=past))
    )


def test_a_changed_password_signs_the_scanner_out(client, login, door):
    login(door["staff"])
    _ok_then_refused(client, door, lambda: door["staff"].set_password("a brand new password"))


def test_a_deactivated_account_is_refused(client, login, door):
    login(door["staff"])
    _ok_then_refused(client, door, lambda: setattr(door["staff"], "active", False))


def test_an_assigned_user_who_is_no_longer_door_staff_is_refused(client, login, door):
    login(door["staff"])
    door["staff"].role = Role.DELEGATE  # still on the event's staff list
    db.session.commit()
    response = scan(client, door["secret"])
    assert response.status_code == 403
    assert response.get_json()["message"] == "You are not door staff for this event."
    assert count(ScanLog) == 0


@pytest.mark.parametrize("role", [Role.ORGANISER, Role.ADMIN])
def test_organisers_scan_everywhere_without_assignment(client, login, door, role):
    login(make_user(role))
    db.session.commit()
    assert scan(client, door["secret"]).get_json()["result"] == "ok"


@pytest.mark.parametrize(
    "payload", [{"code": 42, "nonce": "abcdefgh1"}, ["not", "an", "object"], {"code": "JRN1-X"}]
)
def test_access_is_checked_before_the_body(client, login, door, payload):
    login(make_user(Role.DELEGATE))
    db.session.commit()
    assert client.post(URL, json=payload).status_code == 403
    assert client.post("/api/checkin/nope/scan", json=payload).status_code == 404
    login(door["staff"])
    assert client.post(URL, json=payload).status_code == 400
    assert count(ScanLog) == 0


@pytest.mark.config(SESSION_PROTECTION="strong")
def test_strong_session_protection_refuses_another_browser(client, door):
    _sign_in_by_form(client, "door@example.com")
    assert scan(client, door["secret"]).status_code == 200
    moved = scan(client, door["secret"], headers={"User-Agent": "Another browser/1.0"})
    assert moved.status_code == 401
    assert count(ScanLog) == 1


def test_a_remember_me_cookie_alone_scans_while_its_sign_in_lasts(app, client, door):
    _sign_in_by_form(client, "door@example.com", remember=True)
    remembered = client.get_cookie("remember_token").value
    phone = app.test_client()
    phone.set_cookie("remember_token", remembered)
    assert scan(phone, door["secret"]).get_json()["result"] == "ok"
    assert client.post("/auth/logout").status_code == 302
    stale = app.test_client()
    stale.set_cookie("remember_token", remembered)
    assert scan(stale, door["secret"]).status_code == 401
    assert count(ScanLog) == 1


@pytest.mark.config(WTF_CSRF_ENABLED=True)
def test_another_browsers_csrf_token_is_refused(app, client, login, door):
    other = app.test_client()
    login(door["staff"])
    token = csrf_token_from(client.get("/checkin/conf").get_data(as_text=True))
    with other.session_transaction() as session:
        session["_user_id"] = login_id(door["staff"])
    their_token = csrf_token_from(other.get("/checkin/conf").get_data(as_text=True))
    refused = scan(client, door["secret"], headers={"X-CSRFToken": their_token})
    assert refused.status_code == 400
    assert count(ScanLog) == 0
    accepted = scan(client, door["secret"], headers={"X-CSRFToken": token})
    assert accepted.get_json()["result"] == "ok"


@pytest.mark.parametrize(
    ("status", "result"),
    [
        ("pending_benchmark", "benchmark_pending"),
        ("pending_payment", "not_paid"),
        ("waitlisted", "waitlisted"),
        ("cancelled", "cancelled"),
        ("refunded", "cancelled"),
    ],
)
def test_every_refusal_names_the_holder_and_logs_the_registration(
    client, login, door, status, result
):
    secret = new_secret()
    reg = make_registration(
        door["event"], make_user(name="Grace Hopper"), status=status, ticket_secret=secret
    )
    db.session.commit()
    login(door["staff"])
    answer = scan(client, secret.lower()).get_json()  # as a keyboard wedge may type it
    assert (answer["result"], answer["name"]) == (result, "Grace Hopper")
    logged = db.session.execute(select(ScanLog.result, ScanLog.registration_id)).one()
    assert tuple(logged) == (result, reg.id)
    assert count(CheckIn) == 0


def test_another_events_ticket_is_wrong_event_and_logs_no_registration(client, login, door):
    other = make_event(slug="other", title="Lean Workshop")
    theirs = make_registration(other)
    db.session.commit()
    login(door["staff"])
    answer = scan(client, theirs.ticket_secret).get_json()
    assert (answer["result"], answer["other_event"], answer["name"]) == (
        "wrong_event",
        "Lean Workshop",
        None,
    )
    assert db.session.execute(select(ScanLog.registration_id)).scalar_one() is None


@pytest.mark.parametrize("code", ["JRN1-NOTAREALTICKETATALLNOPE", "hello", " jrn1-x "])
def test_a_replayed_refusal_returns_the_first_answer_and_writes_nothing(client, login, door, code):
    login(door["staff"])
    payload = {"code": code, "session_id": None, "nonce": str(uuid.uuid4())}
    first = client.post(URL, json=payload).get_json()
    again = client.post(URL, json=payload).get_json()
    assert first["result"] == "unknown_code"
    assert again == first
    assert count(ScanLog) == 1


def test_a_rescan_returns_its_connection_to_the_pool(app, client, login, door):
    login(door["staff"])
    db.session.remove()  # the test's own session holds none either
    for _ in range(3):
        assert scan(client, door["secret"]).status_code == 200
        assert db.engine.pool.checkedout() == 0
    missing = client.post("/api/checkin/nope/scan", json={"code": "x", "nonce": "abcdefgh1"})
    assert missing.status_code == 404
    assert db.engine.pool.checkedout() == 0


def test_the_actor_loader_checks_what_the_user_loader_checks(app, door):
    staff = door["staff"]
    ident = login_id(staff)

    def first_row(statement, params):
        return db.session.execute(statement, params).first()

    actor = actor_for_login_id(ident, first_row)
    assert isinstance(actor, SignedInActor)
    assert (actor.id, actor.name, actor.get_id()) == (staff.id, "Dev Door", ident)
    later = utcnow() + timedelta(days=31)
    for broken in (ident + "x", "x" + ident, ident.split(".")[0], ""):
        assert actor_for_login_id(broken, first_row) is None
        assert user_for_login_id(broken) is None
    assert actor_for_login_id(ident, first_row, now=later) is None
    assert user_for_login_id(ident, now=later) is None


@pytest.mark.parametrize("role", list(Role))
def test_a_signed_in_actor_has_the_roles_of_its_user(app, role):
    user = make_user(role)
    db.session.commit()
    actor = SignedInActor((user.id, user.name, user.role, None), "key", "print")
    assert actor.is_organiser == user.is_organiser
    for roles in [("door_staff",), ("organiser",), ("door_staff", "organiser"), ("delegate",)]:
        assert actor.has_role(*roles) == user.has_role(*roles)


def test_a_rescan_on_postgresql_runs_in_no_transaction(client, login, door):
    """The fast path's statements stand alone (autocommit): no BEGIN/COMMIT round trips. An
    admission still commits, in one transaction with its log row."""
    from sqlalchemy import event

    commits = []

    def committed(conn) -> None:
        commits.append(conn)

    event.listen(db.engine, "commit", committed)
    try:
        login(door["staff"])
        commits.clear()
        assert scan(client, door["secret"]).get_json()["result"] == "ok"
        assert len(commits) == 1
        commits.clear()
        assert scan(client, door["secret"]).get_json()["result"] == "already_checked_in"
        assert len(commits) == (0 if db.engine.dialect.name == "postgresql" else 1)
    finally:
        event.remove(db.engine, "commit", committed)


def test_the_door_scan_reads_alone_when_the_sign_in_read_did_not(app, door):
    """redeem_at_door without the user loader's read (its fallback): the same answers."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("the fast path is PostgreSQL's")
    from app.checkin.fastscan import redeem_at_door
    from app.checkin.services import CheckinForbidden, CheckinNotFound

    staff = door["staff"]
    actor = SignedInActor((staff.id, staff.name, staff.role, None), "key", "print")
    with app.test_request_context(URL, method="POST", json={}):

        def redeem(slug="conf", who=actor):
            answer = redeem_at_door(slug, who, code=door["secret"], nonce=str(uuid.uuid4()),
                                    device="test")  # fmt: skip
            db.session.commit()
            return answer.result

        assert redeem() == "ok"
        assert redeem() == "already_checked_in"
        with pytest.raises(CheckinNotFound):
            redeem(slug="nope")
        delegate = make_user()
        db.session.commit()
        with pytest.raises(CheckinForbidden):
            redeem(who=SignedInActor((delegate.id, "D", Role.DELEGATE, None), "k", "p"))
    assert count(ScanLog) == 2 and count(CheckIn) == 1


def test_an_admission_by_the_api_queues_its_webhook_and_a_rescan_none(client, login, door):
    from app.webhooks.models import WebhookDelivery
    from app.webhooks.services import add_webhook_endpoint

    add_webhook_endpoint(None, "https://hooks.example.com/in", "s" * 32, ["checkin.created"])
    db.session.commit()
    login(door["staff"])
    assert scan(client, door["secret"]).get_json()["result"] == "ok"
    assert scan(client, door["secret"]).get_json()["result"] == "already_checked_in"
    types = db.session.execute(select(WebhookDelivery.event_type)).scalars().all()
    assert types == ["checkin.created"]
