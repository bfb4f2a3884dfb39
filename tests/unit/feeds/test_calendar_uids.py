"""Calendar UIDs: new entries carry the host of BASE_URL; UIDs already published never change
(subscribers' calendars would show every entry twice)."""

from __future__ import annotations

from datetime import datetime

import pytest
from flask_migrate import upgrade
from sqlalchemy import create_engine, text

from app.events.models import new_calendar_uid
from tests.conftest import _config
from tests.factories import make_event, make_session


@pytest.mark.config(BASE_URL="https://events.example.org:8443")
def test_new_entries_use_the_base_url_host(app):
    event = make_event()
    session = make_session(event)
    assert event.calendar_uid.startswith("event-")
    assert event.calendar_uid.endswith("@events.example.org")
    assert session.calendar_uid.endswith("@events.example.org")
    assert len(session.calendar_uid) == 32 + len("@events.example.org")
    assert new_calendar_uid() != new_calendar_uid()


def test_stored_uid_is_kept_when_base_url_changes(app):
    event = make_event()
    uid = event.calendar_uid
    app.config["BASE_URL"] = "https://elsewhere.example"
    event.title = "Renamed"
    from app.extensions import db

    db.session.flush()
    db.session.expire_all()
    assert event.calendar_uid == uid


def test_migration_pins_the_uids_already_published(tmp_path):
    """Rows from before stored UIDs get exactly the UIDs the feeds used to write."""
    url = f"sqlite:///{tmp_path / 'old.db'}"
    from app import create_app

    app = create_app(_config(url))
    with app.app_context():
        upgrade(revision="0011_login_sessions")
        now = datetime(2026, 11, 1, 12)
        engine = create_engine(url)
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO event (id, slug, title, kind, summary, description, starts_at,"
                    " ends_at, timezone, status, seats_taken, requires_benchmark, pillars,"
                    " sequence, created_at, updated_at) VALUES (7, 'old', 'Old', 'conference',"
                    " '', '', :t, :t, 'Europe/London', 'published', 0, 1, '[]', 0, :t, :t)"
                ),
                {"t": now},
            )
            conn.execute(
                text(
                    "INSERT INTO agenda_session (id, event_id, uid, title, abstract, kind,"
                    " starts_at, ends_at, track, seats_taken, pillars, status, sequence,"
                    " created_at, updated_at) VALUES (3, 7, '0123456789abcdef0123456789abcdef',"
                    " 'Talk', '', 'talk', :t, :t, '', 0, '[]', 'scheduled', 0, :t, :t)"
                ),
                {"t": now},
            )
        upgrade()
        with engine.connect() as conn:
            assert conn.execute(text("SELECT calendar_uid FROM event")).scalar_one() == (
                "event-7@journey"
            )
            assert conn.execute(text("SELECT calendar_uid FROM agenda_session")).scalar_one() == (
                "0123456789abcdef0123456789abcdef@journey"
            )
        engine.dispose()
        from app.extensions import db

        db.engine.dispose()
