import re
from datetime import datetime, timedelta

from sqlalchemy import insert

from app.extensions import db
from app.timeutil import to_utc, utcnow
from tests.factories import make_event, make_user
from tests.factories_checkin import make_registration


def test_home_groups_upcoming_published_events(client):
    make_event(title="Annual Conference")
    make_event(title="Lean Workshop", kind="workshop")
    make_event(title="Factory Visit", kind="site_visit")
    make_event(title="Secret Draft", status="draft")
    db.session.commit()
    html = client.get("/").get_data(as_text=True)
    html = html[html.index('id="h-conference"') :]  # the groups, after the Coming up strip
    assert html.index("Conference") < html.index("Annual Conference")
    assert html.index("Workshops") < html.index("Lean Workshop") < html.index("Site visits")
    assert html.index("Site visits") < html.index("Factory Visit")
    assert "Secret Draft" not in html


def test_event_page_shows_london_times_and_sanitised_markdown(client):
    event = make_event(
        title="Summer Conference",
        description="**Bold plan** <script>alert('x')</script> [link](javascript:alert(1))",
    )
    event.starts_at = to_utc(datetime(2031, 7, 1, 9, 30))
    event.ends_at = to_utc(datetime(2031, 7, 1, 17, 0))
    db.session.commit()
    assert event.starts_at.hour == 8  # stored as UTC (BST is UTC+1)
    html = client.get(f"/events/{event.slug}").get_data(as_text=True)
    assert "Tue 1 Jul 2031, 09:30–17:00" in html
    assert "<strong>Bold plan</strong>" in html
    assert "<script>" not in html
    assert "javascript:" not in html
    assert event.venue.name in html


def test_draft_and_unknown_events_are_404(client):
    draft = make_event(status="draft")
    db.session.commit()
    assert client.get(f"/events/{draft.slug}").status_code == 404
    missing = client.get("/events/no-such-event")
    assert missing.status_code == 404
    assert "Page not found" in missing.get_data(as_text=True)


def test_every_page_carries_the_csrf_meta_tag(client):
    html = client.get("/").get_data(as_text=True)
    assert '<meta name="csrf-token" content="' in html


def test_healthz_reports_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {
        "status": "ok",
        "database": "ok",
        "outbox": {"waiting": 0, "overdue_seconds": 0, "failed": 0},
    }


def test_healthz_reports_the_email_backlog_for_monitoring(app, client, count_queries):
    from app.outbox.models import OutboxMessage

    now = utcnow()
    rows = [("queued", -600), ("queued", 60), ("sending", -30), ("failed", -9000), ("sent", -9)]
    # A Core insert: rows added through the session would be delivered at COMMIT (inline).
    db.session.execute(
        insert(OutboxMessage),
        [
            {
                "status": status,
                "kind": "test",
                "to": f"p{n}@example.com",
                "subject": "Hello",
                "message_id": f"<{n}@journey.test>",
                "next_attempt_at": now + timedelta(seconds=due_in),
            }
            for n, (status, due_in) in enumerate(rows)
        ],
    )
    db.session.commit()
    with count_queries() as queries:
        response = client.get("/healthz")
    assert response.status_code == 200  # a backlog is for alerts, not the load balancer
    figures = response.get_json()["outbox"]
    assert (figures["waiting"], figures["failed"]) == (3, 1)
    assert 600 <= figures["overdue_seconds"] < 660
    assert len(queries) == 3


def test_unknown_api_path_gets_json_404(client):
    response = client.get("/api/nothing-here")
    assert response.status_code == 404
    assert response.get_json()["error"] == "Page not found"


def test_an_unknown_address_gets_a_plain_404_message(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert "There is nothing at this address" in response.get_data(as_text=True)


def test_a_registered_delegate_sees_their_place_not_a_register_button(client, login):

    event = make_event(title="Lean day")
    delegate = make_user()
    registration = make_registration(event, user=delegate)
    db.session.commit()
    register_link = f'href="/events/{event.slug}/register"'
    assert register_link in client.get(f"/events/{event.slug}").text  # anonymous
    login(delegate)
    html = client.get(f"/events/{event.slug}").text
    assert "You are registered: Delegate, confirmed." in html
    assert f"/me/tickets#registration-{registration.id}" in html
    assert register_link not in html


def test_the_event_page_lists_its_published_agendas_speakers(client):
    from app.timeutil import utcnow
    from tests.factories import make_session, make_speaker

    event = make_event(title="Makers Forum")
    ann = make_speaker("Ann Zephyr", organisation="Anglia Widgets Ltd")
    bob = make_speaker("Bob Able")
    make_speaker("Nobody Scheduled")
    make_session(event, speakers=[ann, bob])
    make_session(event, speakers=[make_speaker("Draft Only")], publish=False)
    db.session.commit()
    assert "speakers-heading" not in client.get(f"/events/{event.slug}").text  # not published
    event.agenda_published_at = utcnow()
    db.session.commit()
    html = client.get(f"/events/{event.slug}").text
    section = html.split('id="speakers-heading"', 1)[1]
    assert section.index("Bob Able") < section.index("Ann Zephyr")  # by surname
    assert "Anglia Widgets Ltd" in section
    assert "Nobody Scheduled" not in html and "Draft Only" not in html


def test_an_error_page_leads_back_to_the_page_before_on_this_site_only(client):
    def back_link(**headers) -> str | None:
        page = client.get("/events/no-such-event", headers=headers).get_data(as_text=True)
        found = re.search(r'<a class="btn btn-journey mt-3" href="([^"]+)">Go back</a>', page)
        return found and found.group(1)

    assert back_link(Referer="http://localhost/events?day=2") == "/events?day=2"
    assert back_link(Referer="https://evil.example/events") is None
    assert back_link(Referer="http://localhost//evil.example/") is None
    assert back_link(Referer="http://localhost/events/no-such-event") is None  # this very page
    assert back_link(Referer="http://[localhost/events") is None  # not a URL at all
    assert back_link() is None
    assert "Back to events" in client.get("/events/no-such-event").get_data(as_text=True)
