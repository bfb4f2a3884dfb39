"""No state change on GET: every URL that changes something takes a POST with a CSRF token.

The test walks `app.url_map`, opens every rule that answers GET over the demo data as a
visitor, a delegate, door staff and an organiser, and fails on any request during which the
database session flushed a change or ran an INSERT, UPDATE or DELETE. The watch is a session
event hook, so a new GET view is covered without anyone adding it to a list.
"""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import event as sa_event
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from app.auth.email_change import make_email_change_token
from app.auth.models import User
from app.auth.services import make_reset_token
from app.benchmark.models import BenchmarkResponse
from app.benchmark.questionnaire import current_questionnaire
from app.checkin.services import redeem_ticket
from app.demo import seed_demo
from app.demo.hosts import VISIT_SLUG as HOSTED_VISIT
from app.demo.programme import CONFERENCE_SLUG
from app.events.models import AgendaSession, Event, Speaker
from app.extensions import db
from app.feeds.services import reset_calendar_token
from app.messages.scheduling import schedule_announcement
from app.questions.models import RegistrationQuestion
from app.registration.models import Registration
from app.timeutil import utcnow
from tests.factories import login_id

_PARAM = re.compile(r"<(?:(?P<conv>[a-z]+)(?:\([^)]*\))?:)?(?P<name>\w+)>")


class SessionWrites:
    """Collects what any SQLAlchemy session writes while armed: flushed objects and
    INSERT/UPDATE/DELETE statements run through `session.execute`."""

    def __init__(self) -> None:
        self.writes: list[str] = []

    def __enter__(self):
        sa_event.listen(Session, "before_flush", self._flush)
        sa_event.listen(Session, "do_orm_execute", self._execute)
        return self

    def __exit__(self, *exc) -> None:
        sa_event.remove(Session, "before_flush", self._flush)
        sa_event.remove(Session, "do_orm_execute", self._execute)

    def _flush(self, session, flush_context, instances) -> None:
        for kind, objs in (("new", session.new), ("changed", session.dirty),
                           ("deleted", session.deleted)):  # fmt: skip
            for obj in objs:
                if kind != "changed" or session.is_modified(obj):
                    self.writes.append(f"{kind} {type(obj).__name__}")

    def _execute(self, state) -> None:
        if state.is_insert or state.is_update or state.is_delete:
            self.writes.append(str(state.statement).split("\n")[0][:100])


@pytest.fixture
def demo(app, monkeypatch):
    monkeypatch.setattr(
        "app.auth.models.generate_password_hash",
        lambda password, method=None: generate_password_hash(password, "pbkdf2:sha256:1"),
    )
    seed_demo()
    db.session.commit()
    conference = db.session.execute(select(Event).where(Event.slug == CONFERENCE_SLUG)).scalar_one()
    delegate = db.session.execute(
        select(User).where(User.email == "delegate@example.com")
    ).scalar_one()
    door = db.session.execute(select(User).where(User.email == "door@example.com")).scalar_one()
    organiser = db.session.execute(
        select(User).where(User.email == "organiser@example.com")
    ).scalar_one()
    registration = db.session.execute(
        select(Registration).where(
            Registration.user_id == delegate.id, Registration.event_id == conference.id
        )
    ).scalar_one()
    session = db.session.execute(
        select(AgendaSession)
        .where(AgendaSession.event_id == conference.id, AgendaSession.capacity.is_not(None))
        .order_by(AgendaSession.id)
    ).scalars().first()  # fmt: skip
    speaker = db.session.execute(select(Speaker).order_by(Speaker.id)).scalars().first()
    of_business = BenchmarkResponse.organisation_id == delegate.organisation_id
    benchmark = db.session.execute(select(BenchmarkResponse).where(of_business)).scalars().first()
    token = reset_calendar_token(delegate)
    # A webhook endpoint with a delivery in its log (the admission below).
    from app.webhooks.services import add_webhook_endpoint

    endpoint = add_webhook_endpoint(None, "http://127.0.0.1:9/hook", "s" * 20, ["checkin.created"])
    tomorrow = utcnow() + timedelta(days=1)
    announcement = schedule_announcement(
        organiser, conference, "confirmed", "Walk", "Hello.", uuid.uuid4().hex, tomorrow
    )
    redeem_ticket(conference, door, code=registration.ticket_secret, registration_id=None,
                  session_id=None, nonce=str(uuid.uuid4()), device="walk")  # fmt: skip
    db.session.commit()
    values = {
        "slug": conference.slug,
        "session_id": str(session.id),
        "event_id": str(conference.id),
        "registration_id": str(registration.id),
        "ticket_type_id": str(conference.ticket_types[0].id),
        "speaker_id": str(speaker.id),
        "venue_id": str(conference.venue_id),
        "request_id": "1",
        "public_id": benchmark.public_id,
        "token": token,
        "secret": registration.ticket_secret,
        "pillar_key": current_questionnaire().pillar_keys[0],
        "filename": "css/app.css",
        "organisation_id": str(delegate.organisation_id),
        "endpoint_id": str(endpoint.id),
        "announcement_id": str(announcement.id),
        "question_id": str(
            db.session.execute(
                select(RegistrationQuestion.id).where(
                    RegistrationQuestion.kind == "consent",
                    RegistrationQuestion.event_id == conference.id,
                )
            ).scalar_one()
        ),
        "version": "1",
    }
    host = db.session.execute(select(User).where(User.email == "host@example.com")).scalar_one()
    users = {
        "anonymous": None,
        "delegate": delegate,
        "door": door,
        "organiser": organiser,
        "host": host,
    }
    return values, speaker.slug, users


def _url(rule, values: dict[str, str]) -> str:
    return _PARAM.sub(lambda m: values[m["name"]], rule.rule)


def _values_for(rule, values: dict[str, str], speaker_slug: str, delegate: User | None):
    values = dict(values)
    if rule.rule.startswith("/speakers/"):
        values["slug"] = speaker_slug
    if rule.rule.startswith("/host/") or "/visit-terms/" in rule.rule:
        values["slug"] = HOSTED_VISIT
    if rule.rule.startswith("/auth/reset/") and delegate is not None:
        values["token"] = make_reset_token(delegate)
    if rule.rule.startswith("/me/email/") and delegate is not None:
        values["token"] = make_email_change_token(delegate, "dana.new@example.com")
    return values


def test_no_get_view_writes_to_the_database(app, demo):
    values, speaker_slug, users = demo
    delegate = users["delegate"]
    get_rules = [r for r in app.url_map.iter_rules() if "GET" in r.methods]
    assert len(get_rules) > 60  # the walk really covers the application
    writers: dict[str, str] = {}
    requests = 0
    for who, user in users.items():
        client = app.test_client()
        ident = login_id(user) if user is not None else None
        for rule in sorted(get_rules, key=lambda r: r.rule):
            if ident is not None:
                with client.session_transaction() as s:
                    s["_user_id"], s["_fresh"] = ident, True
            url = _url(rule, _values_for(rule, values, speaker_slug, delegate))
            with app.app_context(), SessionWrites() as watch:
                response = client.get(url)
            requests += 1
            assert response.status_code < 500, f"{who} GET {url}: {response.status_code}"
            if watch.writes:
                writers.setdefault(rule.endpoint, f"{who} GET {url}: {watch.writes[:3]}")
    assert requests == len(users) * len(get_rules)
    assert writers == {}


def test_the_hook_notices_a_get_view_that_writes(app, demo):
    """The watch is not blind: a GET view that changes a row is caught."""
    values, _, users = demo

    @app.get("/_test/writes")
    def writes():
        user = db.session.get(User, users["delegate"].id)
        user.job_title = "Changed by a GET"
        db.session.commit()
        return "done"

    client = app.test_client()
    with app.app_context(), SessionWrites() as watch:
        assert client.get("/_test/writes").status_code == 200
    assert watch.writes == ["changed User"]


def test_checkout_refuses_get(client, app, demo, login):
    values, _, users = demo
    login(users["delegate"])
    response = client.get(f"/payments/checkout/{values['registration_id']}")
    assert response.status_code == 405
