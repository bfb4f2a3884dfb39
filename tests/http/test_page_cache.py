"""Public pages from cache (app/pagecache.py): queries per path, cheap revalidation, and an
organiser's change reaching every kept page within the staleness bound on two app instances
(sharing Redis too when the run has REDIS_URL). Counts queries; never times anything."""

from __future__ import annotations

import os
import uuid
from datetime import timedelta

import pytest
from flask import template_rendered

from app import create_app, pagecache
from app.events.models import Event, Speaker, TicketType
from app.extensions import db
from tests.conftest import IsolatedClient, _config
from tests.factories import make_event, make_session, make_speaker, make_user

REDIS_URL = os.environ.get("REDIS_URL")
SHARED = {"REDIS_URL": REDIS_URL, "PAGE_CACHE_NAMESPACE": f"journey-test-{uuid.uuid4().hex}"}


def _programme():
    event = make_event(slug="kept", title="Kept Forum")
    ann = make_speaker("Ann Example", slug="ann-example")
    talk = make_session(event, title="Kept talk", speakers=[ann])
    db.session.commit()
    return event, ann, talk


def _paths(talk_id: int) -> list[str]:
    return [
        "/",
        "/events/kept",
        "/events/kept/agenda",
        "/events/kept/agenda?track=Lean",
        "/events/kept/agenda/print",
        "/events/kept/agenda/changes",
        "/speakers",
        "/speakers/ann-example",
        "/events/kept/agenda.json",
        "/events/kept/schedule.xml",
        "/events/kept/schedule.json",
        "/events/kept/calendar.ics",
        f"/events/kept/sessions/{talk_id}.ics",
    ]


@pytest.fixture
def clock(page_clock):
    return page_clock


def _count(count_queries, client, path, **headers):
    rendered = []

    def record(sender, template, context, **extra):
        rendered.append(template.name)

    template_rendered.connect(record)
    try:
        with count_queries() as queries:
            response = client.get(path, headers=headers)
    finally:
        template_rendered.disconnect(record)
    return response, len(queries), rendered


def test_kept_public_pages_cost_no_query_within_the_bound_and_one_after(
    client, count_queries, clock
):
    _, _, talk = _programme()
    for path in _paths(talk.id):
        first = client.get(path)
        assert first.status_code == 200, path
        assert first.headers["Cache-Control"] == "public, no-cache", path
        again, queries, rendered = _count(count_queries, client, path)
        assert again.status_code == 200, path
        assert (queries, rendered) == (0, []), path
    clock.now += 1.0  # past the bound: the version is read again (one query), nothing else
    for path in _paths(talk.id):
        response, queries, rendered = _count(count_queries, client, path)
        assert response.status_code == 200, path
        assert queries <= 1 and rendered == [], path


def test_a_matching_etag_answers_304_before_any_query_or_template(client, count_queries, clock):
    _, _, talk = _programme()
    for path in _paths(talk.id):
        etag = client.get(path).headers["ETag"].strip('"')
        response, queries, rendered = _count(
            count_queries, client, path, **{"If-None-Match": f'"{etag}"'}
        )
        assert response.status_code == 304 and response.data == b"", path
        assert (queries, rendered) == (0, []), path


def test_kept_pages_carry_each_visitors_own_token_and_nonce(client):
    _programme()
    first = client.get("/events/kept").get_data(as_text=True)
    assert pagecache.CSRF_MARK not in first and pagecache.NONCE_MARK not in first
    other = client.application.test_client()
    second = other.get("/events/kept")
    html = second.get_data(as_text=True)
    assert pagecache.CSRF_MARK not in html and pagecache.NONCE_MARK not in html
    token = first.split('name="csrf-token" content="')[1].split('"')[0]
    assert token not in html  # a token is one visitor's, never served to another


def test_signed_in_and_flashed_pages_are_never_the_kept_copy(client, login):
    _programme()
    client.get("/events/kept")  # kept for visitors
    login(make_user(name="Dora Delegate"))
    mine = client.get("/events/kept")
    assert "Dora Delegate" in mine.get_data(as_text=True)
    assert "ETag" not in mine.headers and "no-store" in mine.headers["Cache-Control"]
    client.post("/auth/logout")
    flashed = client.get("/events/kept")
    assert "ETag" not in flashed.headers  # the "signed out" message is this visitor's only
    assert "ETag" in client.get("/events/kept").headers


def test_home_drops_an_event_once_it_has_ended_though_nothing_changed(client, monkeypatch):
    started = pagecache.utcnow() - timedelta(hours=1)
    make_event(slug="soon-over", title="Soon Over", starts_at=started, hours=2)
    db.session.commit()
    assert "Soon Over" in client.get("/").get_data(as_text=True)
    later = pagecache.utcnow() + timedelta(hours=2)
    monkeypatch.setattr(pagecache, "utcnow", lambda: later)
    monkeypatch.setattr("app.events.services.utcnow", lambda: later)
    assert "Soon Over" not in client.get("/").get_data(as_text=True)


def test_ticket_venue_and_room_edits_move_the_version(app):
    event = make_event()
    db.session.commit()
    before = pagecache.public_version()
    ticket = db.session.get(TicketType, event.ticket_types[0].id)
    ticket.name = "Early bird"
    db.session.commit()
    after_ticket = pagecache.public_version()
    assert after_ticket != before
    db.session.get(Event, event.id).venue.address = "1 New Street"
    db.session.commit()
    after_venue = pagecache.public_version()
    assert after_venue != after_ticket
    db.session.get(Event, event.id).venue.rooms[0].name = "The Loft"
    db.session.commit()
    assert pagecache.public_version() != after_venue


@pytest.mark.config(**SHARED)
def test_an_organisers_change_shows_on_every_kept_page_of_two_instances_within_the_bound(
    app, database_url, clock
):
    """Two app objects on one database, as two servers (and one Redis when REDIS_URL is
    set): a change committed through one shows on every kept page of the other once the
    staleness bound has passed, and at once on the one that made it."""
    other = create_app(_config(database_url, **SHARED))
    try:
        _, ann, talk = _programme()
        for instance in (app, other):
            instance.test_client_class = IsolatedClient
        clients = [app.test_client(), other.test_client()]
        paths = _paths(talk.id)
        for client in clients:
            for path in paths:
                assert client.get(path).status_code == 200, path

        # The organiser renames the event and the speaker, through the first instance.
        db.session.get(Event, talk.event_id).title = "Renamed Forum"
        db.session.get(Speaker, ann.id).name = "Ann Renamed"
        db.session.commit()

        def shows_change(client, path) -> bool:
            body = client.get(path).get_data(as_text=True)
            return "Renamed Forum" in body or "Ann Renamed" in body

        assert all(shows_change(clients[0], path) for path in paths)
        # The second instance read the version just now: within the bound it may keep the
        # old page (and here does, its clock not having moved) ...
        assert not shows_change(clients[1], "/events/kept")
        clock.now += other.config["PUBLIC_VERSION_SECONDS"]
        # ... and once the bound has passed, every kept page follows.
        stale = [path for path in paths if not shows_change(clients[1], path)]
        assert stale == []
    finally:
        with other.app_context():
            if REDIS_URL:
                pagecache.clear_all()
            db.session.remove()
            db.engine.dispose()


@pytest.mark.config(REDIS_URL="redis://127.0.0.1:1/0")  # nothing listens there
def test_pages_are_served_when_redis_is_away(client):
    _programme()
    response = client.get("/events/kept")
    assert response.status_code == 200 and "Kept Forum" in response.get_data(as_text=True)
