"""Outgoing webhooks: endpoints from the CLI and the organiser page, deliveries written with
their cause, signed like Stripe's, claimed once, retried with backoff, never redirected, the
SSRF guard, the delivery log and replays. A real HTTP receiver runs on 127.0.0.1."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import func, select

from app.auth.models import Role
from app.checkin.services import redeem_ticket
from app.events.agenda_publishing import publish_agenda
from app.extensions import db
from app.registration.services import register_delegate
from app.timeutil import utcnow
from app.webhooks.delivery import claim, deliver_due
from app.webhooks.models import WebhookDelivery, WebhookEndpoint
from app.webhooks.services import WebhookError, add_webhook_endpoint, check_destination
from tests.conftest import csrf_token_from
from tests.factories import make_event, make_organisation, make_session, make_user
from tests.factories_checkin import make_registration

SECRET = "whsec_journey_test_secret"


class Receiver:
    """Records each POST; answers `status` (a list is used up in order)."""

    def __init__(self) -> None:
        self.received: list[dict] = []
        self.statuses: list[int] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append(
                    {"path": self.path, "headers": dict(self.headers), "body": body}
                )
                status = receiver.statuses.pop(0) if receiver.statuses else 204
                self.send_response(status)
                if status in (301, 302, 307, 308):
                    self.send_header("Location", f"{receiver.url}/elsewhere")
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}"


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.server.shutdown()
    r.server.server_close()


def _endpoint(receiver, *types) -> WebhookEndpoint:
    endpoint = add_webhook_endpoint(None, f"{receiver.url}/hook", SECRET, list(types))
    db.session.commit()
    return endpoint


def _deliveries() -> list[WebhookDelivery]:
    db.session.expire_all()
    return list(db.session.execute(select(WebhookDelivery).order_by(WebhookDelivery.id)).scalars())


def _verify(headers: dict, body: bytes) -> dict:
    parts = dict(p.split("=", 1) for p in headers["Journey-Signature"].split(","))
    expected = hmac.new(SECRET.encode(), f"{parts['t']}.".encode() + body, hashlib.sha256)
    assert hmac.compare_digest(parts["v1"], expected.hexdigest())
    assert abs(int(parts["t"]) - time.time()) < 60
    return json.loads(body)


def test_cli_adds_a_loopback_webhook_outside_production(app, runner, receiver):
    events = ["--event", "checkin.created", "--event", "registration.confirmed"]
    result = runner.invoke(
        args=["add-webhook", f"{receiver.url}/hook", "--secret", SECRET, *events]
    )
    assert result.exit_code == 0, result.output
    endpoint_id = int(result.output.strip().splitlines()[-1])
    endpoint = db.session.get(WebhookEndpoint, endpoint_id)
    assert endpoint.event_types == ["registration.confirmed", "checkin.created"]
    assert endpoint.secret == SECRET and endpoint.active


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["ftp://example.com/x", "--secret", SECRET, "--event", "checkin.created"], "http://"),
        (["https://u:p@example.com/", "--secret", SECRET, "--event", "checkin.created"], "no user"),
        (["https://example.com/", "--secret", "short", "--event", "checkin.created"], "16 to 200"),
        (["https://example.com/", "--secret", SECRET, "--event", "nope"], "Invalid value"),
    ],
)
def test_cli_refuses_bad_endpoints(app, runner, args, message):
    result = runner.invoke(args=["add-webhook", *args])
    assert result.exit_code != 0 and message in result.output
    assert db.session.execute(select(func.count()).select_from(WebhookEndpoint)).scalar_one() == 0


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:9/x", "http://localhost/x", "http://10.1.2.3/", "http://192.168.0.1/",
     "http://169.254.169.254/latest/meta-data", "http://[::1]/x", "http://0.0.0.0/"],
)  # fmt: skip
def test_production_refuses_private_destinations(app, runner, url):
    app.config["WEBHOOK_ALLOW_PRIVATE"] = False
    result = runner.invoke(
        args=["add-webhook", url, "--secret", SECRET, "--event", "checkin.created"]
    )
    assert result.exit_code == 1
    assert "private, loopback or link-local" in result.output
    with pytest.raises(WebhookError):
        check_destination(url, allow_private=False)


def test_a_confirmed_registration_is_delivered_signed(app, receiver):
    _endpoint(receiver, "registration.confirmed")
    event = make_event(slug="lean-day", requires_benchmark=False)
    user = make_user(organisation=make_organisation(), name="Ann Delegate")
    registration = register_delegate(user, event, event.ticket_types[0])
    db.session.commit()
    [delivery] = _deliveries()
    assert (delivery.event_type, delivery.status, delivery.attempts) == (
        "registration.confirmed", "queued", 0,
    )  # fmt: skip

    outcome = deliver_due()
    assert (outcome.delivered, outcome.retrying, outcome.failed) == (1, 0, 0)
    [call] = receiver.received
    assert call["path"] == "/hook"
    body = _verify(call["headers"], call["body"])
    assert body["id"] == delivery.event_id == call["headers"]["Journey-Event-Id"]
    assert body["type"] == "registration.confirmed"
    assert body["data"]["registration"] == {
        "id": registration.id, "status": "confirmed", "event": "lean-day",
        "email": user.email, "name": "Ann Delegate",
        "ticket_type_id": event.ticket_types[0].id, "amount_paid_pence": 0,
    }  # fmt: skip
    [done] = _deliveries()
    assert (done.status, done.last_status, done.attempts) == ("delivered", 204, 1)
    assert deliver_due().delivered == 0  # delivered once


def test_nothing_is_written_when_the_cause_rolls_back(app, receiver):
    _endpoint(receiver, "registration.confirmed")
    event = make_event(requires_benchmark=False)
    register_delegate(make_user(organisation=make_organisation()), event, event.ticket_types[0])
    db.session.rollback()
    assert _deliveries() == []


def test_types_not_subscribed_and_inactive_endpoints_get_nothing(app, receiver):
    endpoint = _endpoint(receiver, "checkin.created")
    off = _endpoint(receiver, "registration.confirmed")
    off.active = False
    db.session.commit()
    event = make_event(requires_benchmark=False)
    register_delegate(make_user(organisation=make_organisation()), event, event.ticket_types[0])
    db.session.commit()
    assert _deliveries() == []
    assert endpoint.id


def test_failures_are_retried_with_backoff_then_given_up(app, receiver):
    _endpoint(receiver, "registration.confirmed")
    event = make_event(requires_benchmark=False)
    register_delegate(make_user(organisation=make_organisation()), event, event.ticket_types[0])
    db.session.commit()
    start = utcnow()
    receiver.statuses = [500]
    assert deliver_due(now=start).retrying == 1
    [d] = _deliveries()
    assert (d.status, d.attempts, d.last_status, d.last_error) == ("queued", 1, 500, "HTTP 500")
    assert d.next_attempt_at == start + timedelta(minutes=1)
    assert deliver_due(now=start + timedelta(seconds=30)).retrying == 0  # not due yet

    receiver.statuses = [503] * 7
    when = start
    for wait in (1, 5, 30, 120, 360, 720, 1440):
        when += timedelta(minutes=wait)
        deliver_due(now=when)
    [d] = _deliveries()
    assert (d.status, d.attempts) == ("failed", 8)
    assert len(receiver.received) == 8


def test_redirects_are_not_followed(app, receiver):
    _endpoint(receiver, "registration.confirmed")
    event = make_event(requires_benchmark=False)
    register_delegate(make_user(organisation=make_organisation()), event, event.ticket_types[0])
    db.session.commit()
    receiver.statuses = [302]
    assert deliver_due().retrying == 1
    assert [c["path"] for c in receiver.received] == ["/hook"]
    [d] = _deliveries()
    assert (d.last_status, d.last_error) == (302, "HTTP 302")


def test_a_claim_is_taken_once(app, receiver):
    _endpoint(receiver, "registration.confirmed")
    event = make_event(requires_benchmark=False)
    register_delegate(make_user(organisation=make_organisation()), event, event.ticket_types[0])
    db.session.commit()
    now = utcnow()
    _, first = claim(now)
    _, second = claim(now)
    assert len(first) == 1 and second == []
    # A worker that died mid-send: the lease runs out and another takes it.
    _, later = claim(now + timedelta(minutes=3))
    assert later == first


def test_check_ins_and_agenda_publishing_are_emitted(app, receiver):
    _endpoint(receiver, "checkin.created", "agenda.published")
    organiser = make_user(Role.ORGANISER)
    event = make_event(slug="lean-day")
    registration = make_registration(event, make_user())
    make_session(event, publish=False, title="Opening")
    db.session.commit()
    redeem_ticket(event, organiser, code=registration.ticket_secret, nonce="n-1")
    publish_agenda(organiser, event)
    db.session.commit()
    deliver_due()
    bodies = [_verify(c["headers"], c["body"]) for c in receiver.received]
    assert [b["type"] for b in bodies] == ["checkin.created", "agenda.published"]
    assert bodies[0]["data"]["registration"]["id"] == registration.id
    assert bodies[1]["data"]["event"] == "lean-day" and bodies[1]["data"]["version"] == 1


def test_organiser_pages_log_and_replay(client, login, receiver):
    organiser = make_user(Role.ORGANISER)
    db.session.commit()
    login(organiser)
    page = client.get("/organiser/webhooks")
    token = csrf_token_from(page.get_data(as_text=True))
    bad = client.post("/organiser/webhooks", data={"csrf_token": token, "url": "javascript:x",
                                                   "event_types": ["checkin.created"]})  # fmt: skip
    assert bad.status_code == 422
    form = {"csrf_token": token, "url": f"{receiver.url}/hook"}
    added = client.post(
        "/organiser/webhooks", data={**form, "event_types": ["registration.confirmed"]}
    )
    assert added.status_code == 303
    endpoint = db.session.execute(select(WebhookEndpoint)).scalar_one()
    assert len(endpoint.secret) >= 16

    event = make_event(requires_benchmark=False)
    register_delegate(make_user(organisation=make_organisation()), event, event.ticket_types[0])
    db.session.commit()
    deliver_due()
    [first] = _deliveries()
    detail = client.get(f"/organiser/webhooks/{endpoint.id}").get_data(as_text=True)
    assert first.event_id in detail and "delivered" in detail and endpoint.secret in detail

    replay = client.post(f"/organiser/webhooks/deliveries/{first.id}/replay",
                         data={"csrf_token": token})  # fmt: skip
    assert replay.status_code == 303
    deliver_due()
    first_again, second = _deliveries()
    assert (second.event_id, second.body, second.replay_of_id) == (
        first.event_id, first.body, first.id,
    )  # fmt: skip
    assert receiver.received[0]["body"] == receiver.received[1]["body"]

    login(make_user())
    assert client.get("/organiser/webhooks").status_code == 403


def test_a_verified_outcome_is_emitted(app, receiver):
    from app.outcomes import services as outcomes
    from tests.factories_outcomes import claim_data, make_programme

    _endpoint(receiver, "outcome.verified")
    programme = make_programme()
    org = make_organisation(name="Able Works")
    claim = outcomes.record_claim(make_user(organisation=org), programme, org, claim_data("jobs"))
    db.session.commit()
    assert _deliveries() == []  # recorded, not verified yet
    outcomes.review_claim(make_user(Role.ORGANISER), claim, "verified", "Seen the contract")
    db.session.commit()
    deliver_due()
    [call] = receiver.received
    body = _verify(call["headers"], call["body"])
    assert body["type"] == "outcome.verified"
    assert body["data"]["outcome"] == {
        "id": claim.id, "programme_id": programme.id, "organisation": "Able Works",
        "kind": "jobs", "title": "CNC setter", "quantity": 2.5,
        "occurred_on": claim.occurred_on.isoformat(),
    }  # fmt: skip


def test_the_job_queue_workers_deliver_webhooks(app, receiver):
    from app.outbox.jobs import HUEY

    huey = app.extensions[HUEY]
    [task] = [t for t in huey._registry._periodic_tasks if t.__name__ == "webhooks.deliver"]
    _endpoint(receiver, "registration.confirmed")
    event = make_event(requires_benchmark=False)
    register_delegate(make_user(organisation=make_organisation()), event, event.ticket_types[0])
    db.session.commit()
    task().execute()  # what a worker runs every minute
    assert len(receiver.received) == 1
    [d] = _deliveries()
    assert d.status == "delivered"
